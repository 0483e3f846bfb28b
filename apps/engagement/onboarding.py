"""Onboarding momentum: which onboarding milestones each account reached and when, the days
between consecutive ones, and per segment the median days per step, so systematic delays show.

The arithmetic (`median_days`, `step_days`, `milestone_rows`, `medians_by_segment`) is pure, over
plain rows; the selectors below feed it with a fixed number of queries whatever the number of
accounts (one for the milestones reached, one for the escalations, one for the expected dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Segment
from apps.engagement.models import (
    ONBOARDING_ORDER,
    Milestone,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    OccurrenceStatus,
    TriggerType,
)

MISSED_KEY = "missed"  # the occurrence key of a milestone not reached within its window
TOO_FEW = 5  # below this many accounts a median says too little to show
CONTRACT_START = "contract_start"
# The steps between consecutive onboarding moments, the first one from the contract start.
STEPS: list[tuple[str, str]] = list(
    zip([CONTRACT_START, *ONBOARDING_ORDER[:-1]], ONBOARDING_ORDER, strict=True)
)
_LABELS = {CONTRACT_START: "Contract start", **dict(Milestone.choices)}


def step_label(step: tuple[str, str]) -> str:
    return f"{_LABELS[step[0]]} → {_LABELS[step[1]]}"


# --- pure arithmetic ------------------------------------------------------------------------------


def median_days(values: Iterable[float]) -> float | None:
    """The middle value of `values` (in any order), or the mean of the two middle values for an
    even count; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _day(value: date | datetime) -> date:
    return timezone.localdate(value) if isinstance(value, datetime) else value


def days_between(earlier: date | datetime, later: date | datetime) -> int:
    """Whole calendar days from one moment to the next, in the portal's time zone."""
    return (_day(later) - _day(earlier)).days


def _raw_step_days(contract_start: date | None, reached: dict[str, datetime]) -> dict[tuple[str, str], int]:
    ends: dict[str, date | datetime] = dict(reached)
    if contract_start is not None:
        ends[CONTRACT_START] = contract_start
    return {
        (start, end): days_between(ends[start], ends[end])
        for start, end in STEPS
        if start in ends and end in ends
    }


def step_days(*, contract_start: date | None, reached: dict[str, datetime]) -> dict[tuple[str, str], int]:
    """The days each step took for one account. A step counts only when both its ends are known:
    a skipped milestone leaves out the steps on either side of it. A milestone reached before the
    one it follows (people signed in before the kick-off) took 0 days after it, not fewer."""
    return {step: max(0, days) for step, days in _raw_step_days(contract_start, reached).items()}


@dataclass
class MilestoneRow:
    milestone: str
    label: str
    reached_at: datetime | None = None
    days_since_previous: int | None = None
    before_previous: bool = False  # reached before the milestone it follows (its step took 0 days)
    expected_by: date | None = None
    escalated_on: date | None = None  # when its window passed and it escalated
    overdue: bool = False  # escalated and still not reached
    late: bool = False  # escalated, then reached


def milestone_rows(
    *,
    contract_start: date | None,
    reached: dict[str, datetime],
    escalated: dict[str, date] | None = None,
    expected_by: dict[str, date] | None = None,
) -> list[MilestoneRow]:
    """The five onboarding milestones in order, each with when it was reached and the days since
    the previous one (the contract start for the first; none when the previous was skipped).
    `escalated` says when each escalated milestone's window passed."""
    escalated = escalated or {}
    expected_by = expected_by or {}
    days = _raw_step_days(contract_start, reached)
    return [
        MilestoneRow(
            milestone=end,
            label=_LABELS[end],
            reached_at=reached.get(end),
            days_since_previous=max(0, days[(start, end)]) if (start, end) in days else None,
            before_previous=days.get((start, end), 0) < 0,
            expected_by=expected_by.get(end),
            escalated_on=escalated.get(end),
            overdue=end in escalated and end not in reached,
            late=end in escalated and end in reached,
        )
        for start, end in STEPS
    ]


@dataclass
class StepMedian:
    step: tuple[str, str]
    label: str
    median: float | None
    n: int

    @property
    def too_few(self) -> bool:
        return self.n < TOO_FEW


@dataclass
class SegmentMedians:
    segment: str
    label: str
    accounts: int
    steps: list[StepMedian]


def medians_by_segment(rows: Iterable[tuple[str, date | None, dict[str, datetime]]]) -> list[SegmentMedians]:
    """Per segment (in the segments' order) and for all segments together, the median days of each
    step over the accounts that have both its ends. `rows` are (segment, contract_start, reached)."""
    durations: dict[str, dict[tuple[str, str], list[int]]] = {}
    accounts: dict[str, int] = {}
    for segment, contract_start, reached in rows:
        days = step_days(contract_start=contract_start, reached=reached)
        for group in (segment, ""):
            accounts[group] = accounts.get(group, 0) + 1
            for step, value in days.items():
                durations.setdefault(group, {}).setdefault(step, []).append(value)
    labels = dict(Segment.choices)
    result = []
    for group in [*Segment.values, ""]:
        if group not in accounts:
            continue
        steps = durations.get(group, {})
        result.append(
            SegmentMedians(
                segment=group,
                label=labels.get(group, "All segments") if group else "All segments",
                accounts=accounts[group],
                steps=[
                    StepMedian(
                        step=step,
                        label=step_label(step),
                        median=median_days(steps.get(step, [])),
                        n=len(steps.get(step, [])),
                    )
                    for step in STEPS
                ],
            )
        )
    return result


# --- selectors ------------------------------------------------------------------------------------


def escalations():
    """Occurrences of milestone moments whose window passed (the non-event escalations)."""
    return MomentOccurrence.objects.filter(key=MISSED_KEY, moment__trigger=TriggerType.MILESTONE)


def _open_escalations():
    return escalations().filter(status__in=[OccurrenceStatus.OPEN, OccurrenceStatus.MISSED])


def onboarding_accounts(*, segment: str = "", overdue_only: bool = False) -> QuerySet[Account]:
    """Active accounts for the momentum report, the most recent contract first; `overdue_only`
    keeps those with a milestone escalated and still not reached."""
    accounts = Account.objects.filter(status=AccountStatus.ACTIVE).select_related("cs_manager")
    if segment:
        accounts = accounts.filter(segment=segment)
    if overdue_only:
        accounts = accounts.filter(Exists(_open_escalations().filter(account=OuterRef("pk"))))
    return accounts.order_by("-contract_start", "name")


def _reached_of(account_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
    reached: dict[int, dict[str, datetime]] = {}
    for account_id, milestone, reached_at in MilestoneReached.objects.filter(
        account_id__in=account_ids
    ).values_list("account_id", "milestone", "reached_at"):
        reached.setdefault(account_id, {})[milestone] = reached_at
    return reached


def _expected_by(accounts: Sequence[Account]) -> dict[int, dict[str, date]]:
    """When each account's current model expects each milestone: the window of the moment that
    watches it, else the day of the contract moment that reaches it."""
    rows = (
        Moment.objects.filter(
            is_active=True,
            trigger__in=[TriggerType.MILESTONE, TriggerType.CONTRACT],
            model__assignments__account_id__in=[a.pk for a in accounts],
            model__assignments__ended_at__isnull=True,
        )
        .exclude(milestone="")
        .values_list("model__assignments__account_id", "milestone", "trigger", "offset_days")
    )
    offsets: dict[int, dict[str, tuple[int, int]]] = {}
    for account_id, milestone, trigger, offset in rows:
        rank = 0 if trigger == TriggerType.MILESTONE else 1  # the watching window wins
        mine = offsets.setdefault(account_id, {})
        if milestone not in mine or (rank, offset) < mine[milestone]:
            mine[milestone] = (rank, offset)
    starts = {a.pk: a.contract_start for a in accounts}
    return {
        account_id: {
            milestone: starts[account_id] + timedelta(days=offset) for milestone, (_, offset) in mine.items()
        }
        for account_id, mine in offsets.items()
        if starts.get(account_id)
    }


def _first_escalations(occurrences: list[MomentOccurrence]) -> dict[str, date]:
    """When each milestone first escalated (two models followed in turn may both have watched it)."""
    first: dict[str, date] = {}
    for occurrence in occurrences:
        first.setdefault(occurrence.moment.milestone, timezone.localdate(occurrence.happened_at))
    return first


@dataclass
class AccountMomentum:
    account: Account
    milestones: list[MilestoneRow]
    escalations: list[MomentOccurrence] = field(default_factory=list)

    @property
    def overdue(self) -> list[MilestoneRow]:
        return [row for row in self.milestones if row.overdue]

    @property
    def reached(self) -> int:
        return sum(row.reached_at is not None for row in self.milestones)


def onboarding_momentum(*, accounts: Sequence[Account]) -> list[AccountMomentum]:
    """Each account's milestones, days between them and escalations: three queries in all."""
    accounts = list(accounts)
    ids = [a.pk for a in accounts]
    if not ids:
        return []
    reached = _reached_of(ids)
    escalated: dict[int, list[MomentOccurrence]] = {}
    for occurrence in (
        escalations().filter(account_id__in=ids).select_related("moment").order_by("happened_at")
    ):
        escalated.setdefault(occurrence.account_id, []).append(occurrence)
    expected = _expected_by(accounts)
    return [
        AccountMomentum(
            account=account,
            milestones=milestone_rows(
                contract_start=account.contract_start,
                reached=reached.get(account.pk, {}),
                escalated=_first_escalations(escalated.get(account.pk, [])),
                expected_by=expected.get(account.pk),
            ),
            escalations=escalated.get(account.pk, []),
        )
        for account in accounts
    ]


def onboarding_medians(*, segment: str = "") -> list[SegmentMedians]:
    """Median days per step for each segment of active customers (and all together): one query."""
    rows = MilestoneReached.objects.filter(account__status=AccountStatus.ACTIVE)
    if segment:
        rows = rows.filter(account__segment=segment)
    per_account: dict[int, tuple[str, date | None, dict[str, datetime]]] = {}
    for account_id, account_segment, contract_start, milestone, reached_at in rows.values_list(
        "account_id", "account__segment", "account__contract_start", "milestone", "reached_at"
    ):
        per_account.setdefault(account_id, (account_segment, contract_start, {}))[2][milestone] = reached_at
    medians = medians_by_segment(per_account.values())
    return [m for m in medians if m.segment] if segment else medians


def account_onboarding(*, account: Account) -> dict:
    """One account's onboarding: the model it follows (or None) and its five milestones."""
    current = (
        ModelAssignment.objects.filter(account=account, ended_at__isnull=True).select_related("model").first()
    )
    (momentum,) = onboarding_momentum(accounts=[account])
    return {
        "account": account,
        "model": (
            {"id": current.model_id, "name": current.model.name, "since": current.started_at}
            if current
            else None
        ),
        "milestones": momentum.milestones,
    }
