"""Demo health history: the snapshots the daily recompute would have written, so trends, the
engagement report and the score backtest have 18 months to show on a first run."""

from __future__ import annotations

from datetime import timedelta

from apps.analytics.models import HealthSnapshot
from apps.analytics.periods import last_months
from apps.analytics.services import health_recompute

MONTHS = 18
DAILY_DAYS = 14


def seed(ctx) -> None:
    if HealthSnapshot.objects.exists():
        ctx.write("analytics: health history already computed")
        return
    days = {month.end - timedelta(days=1) for month in last_months(ctx.today, MONTHS)[:-1]}
    days |= {ctx.today - timedelta(days=back) for back in range(0, 7 * 13, 7)}  # weekly for a quarter
    days |= {ctx.today - timedelta(days=back) for back in range(DAILY_DAYS)}
    written = sum(health_recompute(day=day) for day in sorted(days))
    ctx.write(f"analytics: {written} health snapshots over {len(days)} days")
