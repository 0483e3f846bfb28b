"""Forms of the analytics pages: the portfolio filters."""

from __future__ import annotations

from django import forms

from apps.accounts.models import Role, Segment, User
from apps.analytics.models import Band
from apps.analytics.selectors import PORTFOLIO_SORTS, RENEWAL_WINDOWS, PortfolioFilters


class PortfolioFilterForm(forms.Form):
    """Filters and sort of the portfolio. A bad value in one field is ignored, not an error: the
    page (and the CSV export) then shows what the other fields ask for."""

    q = forms.CharField(
        label="Account",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name"}),
    )
    segment = forms.ChoiceField(
        label="Segment", choices=[("", "All segments"), *Segment.choices], required=False
    )
    band = forms.ChoiceField(label="Band", choices=[("", "All bands"), *Band.choices], required=False)
    owner = forms.ChoiceField(label="CS owner", required=False)
    renewal = forms.TypedChoiceField(
        label="Renewal",
        choices=[
            ("", "Any renewal date"),
            *((str(days), f"In the next {days} days") for days in RENEWAL_WINDOWS),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[(key, key) for name in PORTFOLIO_SORTS for key in (name, f"-{name}")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Staff have no account (a check constraint), so this reads a handful of rows, not every person.
        managers = User.objects.filter(role=Role.CS_MANAGER, is_active=True, account__isnull=True).order_by(
            "full_name", "pk"
        )
        self.fields["owner"].choices = [
            ("", "Any owner"),
            ("mine", "My accounts"),
            ("unassigned", "Unassigned"),
            *((str(manager.pk), str(manager)) for manager in managers),
        ]

    def filters(self) -> PortfolioFilters:
        """The valid part of the input as PortfolioFilters (defaults for the rest)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return PortfolioFilters(
            q=(data.get("q") or "").strip(),
            segment=data.get("segment") or "",
            band=data.get("band") or "",
            owner=data.get("owner") or "",
            renewal=data.get("renewal"),
            sort=data.get("sort") or PortfolioFilters.sort,
        )
