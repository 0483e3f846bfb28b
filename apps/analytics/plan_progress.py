"""Current values of success plan objectives, read from each account's latest health snapshot
(see apps.engagement.progress; registered from AnalyticsConfig.ready()).

Each provider reads the snapshots of the most recent day computed in one query, whatever the
number of accounts, and computes from the raw counts in `figures` with exact fractions, so 7 of
10 seats is 70 % exactly, never 69.99999. An account without a snapshot that day, or without the
denominator (no licensed seats, no people, no NPS answer), has no value.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from apps.analytics.models import HealthSnapshot
from apps.engagement import progress
from apps.engagement.models import Metric


def _percent(numerator, denominator) -> float | None:
    if not denominator or numerator is None:
        return None
    return float(Fraction(numerator) * 100 / Fraction(denominator))


def _seats_certified(figures: dict) -> float | None:
    return _percent(figures.get("certified_users"), figures.get("licensed_seats"))


def _people_trained(figures: dict) -> float | None:
    return _percent(figures.get("trained_users"), figures.get("users"))


def _utilisation(figures: dict) -> float | None:
    # From the counts rather than the stored ratio, which has already been rounded to a float.
    return _percent(figures.get("active_users"), figures.get("licensed_seats"))


def _nps(figures: dict) -> float | None:
    responses = figures.get("nps_responses") or 0
    if responses < 1:
        return None
    return _percent((figures.get("promoters") or 0) - (figures.get("detractors") or 0), responses)


def _from_figures(compute: Callable[[dict], float | None]) -> progress.Provider:
    def provider(account_ids: list[int]) -> dict[int, progress.Reading]:
        rows = (
            HealthSnapshot.objects.latest_per_account()
            .filter(account_id__in=account_ids)
            .values_list("account_id", "date", "figures")
        )
        return {
            account_id: progress.Reading(compute(figures or {}), day) for account_id, day, figures in rows
        }

    return provider


def _health(account_ids: list[int]) -> dict[int, progress.Reading]:
    rows = (
        HealthSnapshot.objects.latest_per_account()
        .filter(account_id__in=account_ids)
        .values_list("account_id", "date", "score")
    )
    return {account_id: progress.Reading(score, day) for account_id, day, score in rows}


progress.register(Metric.SEATS_CERTIFIED, _from_figures(_seats_certified))
progress.register(Metric.PEOPLE_TRAINED, _from_figures(_people_trained))
progress.register(Metric.UTILISATION, _from_figures(_utilisation))
progress.register(Metric.NPS, _from_figures(_nps))
progress.register(Metric.HEALTH, _health)
