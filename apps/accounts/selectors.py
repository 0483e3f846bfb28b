"""Reads for accounts and people."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Account, Invitation, Renewal, User


def account_list(*, user: User) -> QuerySet[Account]:
    return (
        Account.objects.visible_to(user)
        .select_related("cs_manager")
        .annotate(user_count=Count("users", filter=Q(users__is_active=True)))
    )


def account_team(*, account: Account) -> QuerySet[User]:
    return account.users.filter(is_active=True).order_by("full_name")


def account_pending_invitations(*, account: Account) -> QuerySet[Invitation]:
    return Invitation.objects.pending().filter(account=account).select_related("invited_by")


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.select_related("account").filter(token_digest=Invitation.digest(token)).first()


def renewals_due(*, user: User, within_days: int = 90, today: date | None = None) -> QuerySet[Account]:
    """Active accounts (of this CS manager, or all for others) renewing in the next N days."""
    today = today or timezone.localdate()
    qs = Account.objects.active().filter(
        renewal_date__gte=today, renewal_date__lt=today + timedelta(days=within_days)
    )
    if user.is_cs_manager:
        qs = qs.filter(cs_manager=user)
    return qs.select_related("cs_manager").order_by("renewal_date")


def portfolio_totals(*, accounts: QuerySet[Account]) -> dict:
    return accounts.aggregate(arr=Sum("arr"), seats=Sum("licensed_seats"), count=Count("id"))


def account_renewals(*, account: Account) -> QuerySet[Renewal]:
    return account.renewals.all()
