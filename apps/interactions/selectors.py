"""Reads of the interaction log."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from apps.accounts.models import Account, User
from apps.interactions import kinds
from apps.interactions.models import IntegrationToken, Interaction


def recent_activity(
    *, user: User | None = None, account: Account | None = None, limit: int = 10
) -> list[Interaction]:
    qs = Interaction.objects.all()
    if user is not None:
        qs = qs.filter(user=user)
    if account is not None:
        qs = qs.filter(account=account)
    return list(qs.select_related("user").order_by("-occurred_at")[:limit])


def active_users_by_account(*, since: datetime, account_ids: list[int] | None = None) -> dict[int, int]:
    """Distinct people with any interaction since `since`, per account."""
    qs = Interaction.objects.filter(occurred_at__gte=since, user__isnull=False, account__isnull=False)
    if account_ids is not None:
        qs = qs.filter(account_id__in=account_ids)
    rows = qs.values("account_id").annotate(n=Count("user_id", distinct=True))
    return {row["account_id"]: row["n"] for row in rows}


def last_active_by_user(*, user_ids: list[int]) -> dict[int, datetime]:
    rows = (
        Interaction.objects.filter(user_id__in=user_ids).values("user_id").annotate(last=Max("occurred_at"))
    )
    return {row["user_id"]: row["last"] for row in rows}


def kind_counts(*, since: datetime) -> list[dict]:
    rows = list(
        Interaction.objects.filter(occurred_at__gte=since)
        .values("kind")
        .annotate(n=Count("id"))
        .order_by("-n", "kind")
    )
    for row in rows:
        row["label"] = kinds.label(row["kind"])
    return rows


def last_30_days() -> datetime:
    return timezone.now() - timedelta(days=30)


def integration_tokens() -> QuerySet[IntegrationToken]:
    return IntegrationToken.objects.select_related("created_by").order_by("revoked_at", "name")


def token_by_raw(raw: str) -> IntegrationToken | None:
    return IntegrationToken.objects.live().filter(token_digest=IntegrationToken.digest(raw)).first()
