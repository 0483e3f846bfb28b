"""REST endpoints for people, accounts and renewals; every queryset is scoped to the caller."""

import django_filters
from rest_framework import generics

from apps.accounts.models import Account, Renewal, User
from apps.accounts.permissions import IsVendorStaff
from apps.accounts.serializers import AccountSerializer, RenewalSerializer, UserSerializer


class MeApi(generics.RetrieveAPIView):
    """The signed-in person."""

    serializer_class = UserSerializer

    def get_object(self):
        return self.request.user


class AccountFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Account
        fields = ["name", "segment", "vertical", "touch_model", "status", "cs_manager"]


class AccountListApi(generics.ListAPIView):
    """Accounts the caller may see: all for vendor staff, their own for customers."""

    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    ordering_fields = ["name", "arr", "renewal_date", "licensed_seats"]
    ordering = ["name"]

    def get_queryset(self):
        return Account.objects.visible_to(self.request.user).select_related("cs_manager")


class AccountDetailApi(generics.RetrieveAPIView):
    serializer_class = AccountSerializer

    def get_queryset(self):
        return Account.objects.visible_to(self.request.user).select_related("cs_manager")


def _visible_accounts(request):
    """The accounts a filter may name: those the caller may see, so another account's id is
    refused like one that does not exist, not answered with an empty page that confirms it."""
    if request is None:  # schema generation
        return Account.objects.none()
    return Account.objects.visible_to(request.user)


class UserFilter(django_filters.FilterSet):
    account = django_filters.ModelChoiceFilter(queryset=_visible_accounts)

    class Meta:
        model = User
        fields = ["role", "account", "is_executive_sponsor"]


class UserListApi(generics.ListAPIView):
    """People the caller may see: their own account's team, or everyone for vendor staff."""

    serializer_class = UserSerializer
    filterset_class = UserFilter
    ordering_fields = ["full_name", "email", "date_joined"]
    ordering = ["full_name"]

    def get_queryset(self):
        return User.objects.visible_to(self.request.user).filter(is_active=True)


class RenewalListApi(generics.ListAPIView):
    """Renewal opportunities (CRM-lite); vendor staff only."""

    serializer_class = RenewalSerializer
    permission_classes = [IsVendorStaff]
    filterset_fields = ["account", "outcome"]
    ordering_fields = ["close_date", "planned_value"]
    ordering = ["-close_date"]

    def get_queryset(self):
        return Renewal.objects.all()
