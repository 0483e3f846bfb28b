"""Test helpers for analytics: stored snapshots without running the recompute."""

from apps.analytics.models import HealthSnapshot
from apps.analytics.services import health_config_current


def snapshot_of(account, score, *, day):
    """A stored snapshot of `account` on `day` with `score`, banded by the default config."""
    config = health_config_current()
    return HealthSnapshot.objects.create(
        account=account,
        date=day,
        config=config,
        score=score,
        band=config.band(score),
        segment=account.segment,
        arr=account.arr,
    )
