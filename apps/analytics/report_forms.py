"""Filter forms of the report pages. A bad value (a hand-edited URL) becomes a form error the page
shows, never a 500."""

from __future__ import annotations

from django import forms

from apps.accounts.models import Segment
from apps.analytics import reports


class EngagementFilterForm(forms.Form):
    months = forms.TypedChoiceField(
        label="Months",
        choices=[(m, f"Last {m} months") for m in reports.ENGAGEMENT_MONTHS],
        coerce=int,
        required=False,
        error_messages={"invalid_choice": "Choose 6, 12 or 18 months."},
    )

    def clean_months(self):
        return self.cleaned_data["months"] or 12


class TrainingFilterForm(forms.Form):
    period = forms.CharField(label="Period", required=False, max_length=20)
    by_segment = forms.BooleanField(label="Stratify by segment", required=False)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.choices = [
            (reports.LAST_FOUR_QUARTERS if p.label.startswith("Last") else p.label, p.label)
            for p in reports.training_periods(today=today)
        ]

    def clean_period(self):
        """A Period, or None for "the default" (the view asks reports for it)."""
        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            return reports.training_period(text, today=self.today)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


class RetentionFilterForm(forms.Form):
    segment = forms.ChoiceField(
        label="Segment",
        choices=[("", "All segments"), *Segment.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a segment from the list."},
    )
