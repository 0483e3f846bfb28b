"""Where a success plan objective's current value comes from, and how far along it is.

Engagement sits below analytics in the layers, so it cannot read health snapshots itself. A
higher app registers one provider per metric (apps.analytics.plan_progress does, from its
`ready()`), and engagement asks this registry. A metric nobody provides reads as "no data",
never as 0.

Progress is measured along the metric's scale from its floor (0, or -100 for NPS) up to the
target: (current - floor) / (target - floor), clamped to 0..100 %. Every metric is "higher is
better", so an objective is achieved when current >= target; a target at the floor (an NPS target
of -100) is achieved as soon as there is a value. An NPS of -20 against a target of 0 is thus 80 %
of the way, and an NPS of 20 against a target of 60 is 75 %.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from apps.engagement.models import Metric

PERCENT_METRICS = frozenset({Metric.SEATS_CERTIFIED, Metric.PEOPLE_TRAINED, Metric.UTILISATION})

# The range a target may take per metric; the lower end is the floor progress is measured from.
TARGET_RANGES: dict[str, tuple[float, float]] = {
    Metric.SEATS_CERTIFIED: (0, 100),
    Metric.PEOPLE_TRAINED: (0, 100),
    Metric.UTILISATION: (0, 100),
    Metric.NPS: (-100, 100),
    Metric.HEALTH: (0, 100),
    Metric.MANUAL: (0, 1_000_000_000),
}

# Values computed in floating point (a ratio x 100) may miss a whole target by 1e-14.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Reading:
    """A current value and the day it was true of (None, None: no data)."""

    value: float | None
    as_of: date | None = None


NO_DATA = Reading(None, None)

Provider = Callable[[list[int]], dict[int, Reading]]

_PROVIDERS: dict[str, Provider] = {}


def register(metric: str, fn: Provider) -> None:
    """`fn(account_ids)` returns {account_id: Reading} for those accounts, in one query."""
    _PROVIDERS[metric] = fn


def is_provided(metric: str) -> bool:
    return metric in _PROVIDERS


def current_values(metric: str, account_ids: Iterable[int]) -> dict[int, Reading]:
    """The current value of `metric` for each account; an account without data is left out."""
    ids = sorted(set(account_ids))
    fn = _PROVIDERS.get(metric)
    if fn is None or not ids:
        return {}
    return fn(ids)


# --- the maths ---------------------------------------------------------------------------------


def floor_of(metric: str) -> float:
    return TARGET_RANGES.get(metric, (0, 0))[0]


def is_achieved(*, target: float, current: float | None) -> bool | None:
    """None when there is no current value."""
    if current is None:
        return None
    return current >= target - _TOLERANCE


def progress_percent(*, metric: str, target: float, current: float | None) -> float | None:
    """How far from the metric's floor to the target the current value is, 0 to 100."""
    if current is None:
        return None
    if is_achieved(target=target, current=current):
        return 100.0
    floor = floor_of(metric)
    if target <= floor:  # not achieved yet the target sits at the floor: a value below the scale
        return 0.0
    return max(0.0, min(100.0, (current - floor) / (target - floor) * 100))


def share_percent(part: int, whole: int) -> float | None:
    return None if not whole else part * 100 / whole


class State:
    ACHIEVED = "achieved"
    OVERDUE = "overdue"
    AT_RISK = "at_risk"
    ON_TRACK = "on_track"
    NO_DATA = "no_data"


STATE_LABELS = {
    State.ACHIEVED: "Achieved",
    State.OVERDUE: "Overdue",
    State.AT_RISK: "At risk",
    State.ON_TRACK: "On track",
    State.NO_DATA: "No data",
}


def objective_state(
    *, achieved: bool | None, progress: float | None, agreed_on: date, due_on: date | None, today: date
) -> str:
    """Achieved; else overdue once the due day has passed; else at risk when behind pace (less of
    the way to the target than of the time from agreement to the due day has gone); else on track,
    or no data when nothing is known yet."""
    if achieved:
        return State.ACHIEVED
    if due_on is not None and due_on < today:
        return State.OVERDUE
    if progress is None:
        return State.NO_DATA
    if due_on is not None:
        span = (due_on - agreed_on).days
        elapsed = 1.0 if span <= 0 else min(1.0, max(0.0, (today - agreed_on).days / span))
        if progress < elapsed * 100:
            return State.AT_RISK
    return State.ON_TRACK
