"""django-filter filter sets and the ordering of the analytics API."""

import django_filters
from django.db.models import F
from rest_framework.filters import OrderingFilter

from apps.accounts.models import Account, Role, Segment, User
from apps.analytics.models import Band, HealthSnapshot


class ScoreFilter(django_filters.FilterSet):
    """Filters of the latest scores. An unknown account or CS manager id is a 400, not an empty list."""

    band = django_filters.ChoiceFilter(choices=Band.choices)
    segment = django_filters.ChoiceFilter(
        choices=Segment.choices, help_text="The account's segment on the snapshot's day."
    )
    account = django_filters.ModelChoiceFilter(queryset=Account.objects.all(), help_text="An account's id.")
    cs_manager = django_filters.ModelChoiceFilter(
        field_name="account__cs_manager",
        queryset=User.objects.filter(role=Role.CS_MANAGER),
        help_text="The id of the CS manager who owns the account.",
    )

    class Meta:
        model = HealthSnapshot
        fields = ["band", "segment", "account", "cs_manager"]


class SnapshotFilter(django_filters.FilterSet):
    """One account's history between two days, both inclusive."""

    since = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", help_text="YYYY-MM-DD, inclusive."
    )
    until = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", help_text="YYYY-MM-DD, inclusive."
    )

    class Meta:
        model = HealthSnapshot
        fields = ["since", "until"]


class StableOrderingFilter(OrderingFilter):
    """OrderingFilter that puts rows without a value (no score yet) last in either direction, on
    every database, and ends on the primary key so pages never repeat or skip a row when many
    rows share a score or a date."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view) or []
        expressions = [
            F(name[1:]).desc(nulls_last=True) if name.startswith("-") else F(name).asc(nulls_last=True)
            for name in ordering
            if name.lstrip("-") != "pk"
        ]
        return queryset.order_by(*expressions, "pk")
