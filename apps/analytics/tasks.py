from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from apps.analytics.health_events import health_changes_raise
from apps.analytics.services import health_recompute


@shared_task
def recompute_health(*, day: str | None = None) -> int:
    """Recompute today's snapshots (and yesterday's, which late events may still change).
    Idempotent: each run upserts one row per account and day."""
    if day:
        return health_recompute(day=timezone.datetime.fromisoformat(day).date())
    today = timezone.localdate()
    written = health_recompute(day=today - timedelta(days=1)) + health_recompute(day=today)
    raise_health_moments.delay(day=today.isoformat())
    return written


@shared_task
def raise_health_moments(*, day: str) -> int:
    """Engagement moments for the day's health changes (red, usage and content drops); idempotent:
    each change has a key, so a rerun creates nothing twice."""
    when = timezone.datetime.fromisoformat(day).date()
    return health_changes_raise(day=when, today=timezone.localdate())


@shared_task
def refresh_account_health(*, account_id: int) -> int:
    """Refresh one account's snapshot for today after new activity."""
    return health_recompute(day=timezone.localdate(), account_ids=[account_id])
