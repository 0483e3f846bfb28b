"""What changed in a day's health snapshots that engagement moments react to: an account falling
into red, a content engagement drop, a drop in usage. Analytics sits above engagement, so it
hands these to `apps.engagement.triggers.health_events` after the snapshots are committed."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Max

from apps.analytics.models import Band, HealthSnapshot
from apps.engagement.triggers import health_events

USAGE_DROP = 0.3  # active people down by more than 30% against about a month before
USAGE_MIN_BEFORE = 3  # too small a base to call a drop
RECENT_DAYS = 2  # backfills of older days do not raise moments


def _snapshots_on(day: date | None) -> dict[int, HealthSnapshot]:
    if day is None:
        return {}
    return {
        s.account_id: s
        for s in HealthSnapshot.objects.filter(date=day).only(
            "account_id", "band", "engagement_drop", "figures"
        )
    }


def health_changes(*, day: date) -> list[dict]:
    """The day's changes, each {"account_id", "event", "key", "text"}. Four queries."""
    current = _snapshots_on(day)
    before = HealthSnapshot.objects.filter(date__lt=day).aggregate(d=Max("date"))["d"]
    month_ago = HealthSnapshot.objects.filter(date__lte=day - timedelta(days=28)).aggregate(d=Max("date"))[
        "d"
    ]
    previous, earlier = _snapshots_on(before), _snapshots_on(month_ago)
    changes = []
    for account_id, snap in current.items():
        prev = previous.get(account_id)
        if snap.band == Band.RED and (prev is None or prev.band != Band.RED):
            changes.append(
                {
                    "account_id": account_id,
                    "event": "health_red",
                    "key": f"health_red-{day.isoformat()}",
                    "text": f"The health score fell to {snap.band} on {day:%-d %b %Y}",
                }
            )
        if snap.engagement_drop and not (prev and prev.engagement_drop):
            figures = snap.figures or {}
            changes.append(
                {
                    "account_id": account_id,
                    "event": "content_drop",
                    "key": f"content_drop-{day.isoformat()}",
                    "text": (
                        f"Content views fell to {figures.get('content_views', 0)} in 30 days "
                        f"from {figures.get('content_views_before', 0)} the 30 days before"
                    ),
                }
            )
        then = earlier.get(account_id)
        active_now = (snap.figures or {}).get("active_users", 0)
        active_then = (then.figures or {}).get("active_users", 0) if then else 0
        if active_then >= USAGE_MIN_BEFORE and active_now < (1 - USAGE_DROP) * active_then:
            changes.append(
                {
                    "account_id": account_id,
                    "event": "usage_drop",
                    "key": f"usage_drop-{day:%Y-%m}",  # at most once a month
                    "text": f"Active people fell to {active_now} from {active_then} a month before",
                }
            )
    return changes


def health_changes_raise(*, day: date, today: date) -> int:
    """Raise the day's engagement moments, unless the day is an old one being backfilled."""
    if (today - day).days > RECENT_DAYS:
        return 0
    return health_events(day=day, changes=health_changes(day=day))
