from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from apps.analytics.services import health_recompute


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recompute_health(*, day: str | None = None) -> int:
    """Recompute today's snapshots (and yesterday's, which late events may still change).
    Idempotent: each run upserts one row per account and day."""
    if day:
        return health_recompute(day=timezone.datetime.fromisoformat(day).date())
    today = timezone.localdate()
    return health_recompute(day=today - timedelta(days=1)) + health_recompute(day=today)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def refresh_account_health(*, account_id: int) -> int:
    """Refresh one account's snapshot for today after new activity."""
    return health_recompute(day=timezone.localdate(), account_ids=[account_id])
