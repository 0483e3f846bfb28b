"""Reads for success plans: each objective's current value, progress and state, each plan's
realisation, and the portfolio's.

The current values come from apps.engagement.progress, one query per metric in use (at most one
per computed metric), whatever the number of plans and objectives. Realisation is the share of a
plan's objectives achieved (k of n); a plan without objectives has no realisation ("no data"),
never 0 % or 100 %. Average progress is over the objectives that have a value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone

from apps.accounts.models import Account
from apps.core.numbers import round_half_away
from apps.core.spreadsheet import safe_cell
from apps.engagement import progress
from apps.engagement.models import Metric, Objective, SuccessPlan

PLANS_PER_PAGE = 50
ACCOUNTS_WITHOUT_PLAN_PER_PAGE = 25


@dataclass
class ObjectiveProgress:
    objective: Objective
    current: float | None
    as_of: date | None
    computed: bool
    progress: float | None
    achieved: bool | None
    state: str

    @property
    def overdue(self) -> bool:
        return self.state == progress.State.OVERDUE

    @property
    def state_label(self) -> str:
        return progress.STATE_LABELS[self.state]

    @property
    def is_percent(self) -> bool:
        return self.objective.metric in progress.PERCENT_METRICS

    @property
    def progress_whole(self) -> int | None:
        return round_half_away(self.progress)


@dataclass
class PlanProgress:
    plan: SuccessPlan
    objectives: list[ObjectiveProgress] = field(default_factory=list)

    @property
    def account(self) -> Account:
        return self.plan.account

    @property
    def total(self) -> int:
        return len(self.objectives)

    @property
    def achieved(self) -> int:
        return sum(1 for item in self.objectives if item.achieved)

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.objectives if item.overdue)

    @property
    def at_risk(self) -> int:
        return sum(1 for item in self.objectives if item.state == progress.State.AT_RISK)

    @property
    def realisation(self) -> float | None:
        return progress.share_percent(self.achieved, self.total)

    @property
    def average_progress(self) -> float | None:
        values = [item.progress for item in self.objectives if item.progress is not None]
        return sum(values) / len(values) if values else None

    @property
    def realisation_whole(self) -> int | None:
        return round_half_away(self.realisation)

    @property
    def average_progress_whole(self) -> int | None:
        return round_half_away(self.average_progress)


@dataclass
class PortfolioProgress:
    plans: int
    active_accounts: int
    objectives: int
    achieved: int
    overdue: int

    @property
    def realisation(self) -> float | None:
        return progress.share_percent(self.achieved, self.objectives)

    @property
    def coverage(self) -> float | None:
        """The share of active accounts with a plan."""
        return progress.share_percent(self.plans, self.active_accounts)

    @property
    def realisation_whole(self) -> int | None:
        return round_half_away(self.realisation)

    @property
    def coverage_whole(self) -> int | None:
        return round_half_away(self.coverage)


def objective_readings(objectives: Iterable[Objective]) -> dict[int, progress.Reading]:
    """Current value per objective id: entered by hand for MANUAL objectives, else computed (one
    query per metric in use)."""
    objectives = list(objectives)
    accounts_by_metric: dict[str, set[int]] = defaultdict(set)
    for objective in objectives:
        if objective.metric != Metric.MANUAL:
            accounts_by_metric[objective.metric].add(objective.plan.account_id)
    values = {
        metric: progress.current_values(metric, ids) for metric, ids in sorted(accounts_by_metric.items())
    }
    readings = {}
    for objective in objectives:
        if objective.metric == Metric.MANUAL:
            updated = objective.manual_updated_at
            readings[objective.pk] = progress.Reading(
                objective.manual_value,
                timezone.localdate(updated) if updated and objective.manual_value is not None else None,
            )
        else:
            readings[objective.pk] = values[objective.metric].get(objective.plan.account_id, progress.NO_DATA)
    return readings


def objective_progress(*, objective: Objective, reading: progress.Reading, today: date) -> ObjectiveProgress:
    current = reading.value
    achieved = progress.is_achieved(target=objective.target, current=current)
    percent = progress.progress_percent(metric=objective.metric, target=objective.target, current=current)
    return ObjectiveProgress(
        objective=objective,
        current=current,
        as_of=reading.as_of if current is not None else None,
        computed=objective.metric != Metric.MANUAL,
        progress=percent,
        achieved=achieved,
        state=progress.objective_state(
            achieved=achieved,
            progress=percent,
            agreed_on=objective.plan.agreed_on,
            due_on=objective.due_on,
            today=today,
        ),
    )


def plans_progress(plans: Iterable[SuccessPlan], *, today: date | None = None) -> list[PlanProgress]:
    """Progress of each plan (objectives prefetched, see `success_plans`)."""
    today = today or timezone.localdate()
    plans = list(plans)
    readings = objective_readings(objective for plan in plans for objective in plan.objectives.all())
    return [
        PlanProgress(
            plan=plan,
            objectives=[
                objective_progress(objective=objective, reading=readings[objective.pk], today=today)
                for objective in plan.objectives.all()
            ],
        )
        for plan in plans
    ]


def success_plans() -> QuerySet[SuccessPlan]:
    return SuccessPlan.objects.select_related("account", "account__cs_manager").prefetch_related(
        Prefetch(
            "objectives",
            # Soonest due first, those without a due day last (on every database).
            queryset=Objective.objects.order_by("position", F("due_on").asc(nulls_last=True), "pk"),
        )
    )


def success_plan_of(*, account: Account) -> SuccessPlan | None:
    return success_plans().filter(account=account).first()


def success_plan_progress(*, account: Account, today: date | None = None) -> PlanProgress | None:
    """The account's plan with every objective's progress; None when it has no plan."""
    plan = success_plan_of(account=account)
    return None if plan is None else plans_progress([plan], today=today)[0]


def _realisation_order(row: PlanProgress):
    # Worst first; plans without objectives (no realisation) after every plan that has one.
    realisation = row.realisation
    return (realisation is None, realisation or 0, row.account.name.lower(), row.plan.pk)


def success_plan_rows(*, today: date | None = None) -> list[PlanProgress]:
    """Every active account's plan with its progress, lowest realisation first."""
    plans = success_plans().filter(account__in=Account.objects.active())
    return sorted(plans_progress(plans, today=today), key=_realisation_order)


def success_plan_portfolio(*, rows: list[PlanProgress]) -> PortfolioProgress:
    """Across `rows` (from `success_plan_rows`): objectives achieved of all, and plans of active
    accounts."""
    return PortfolioProgress(
        plans=len(rows),
        active_accounts=Account.objects.active().count(),
        objectives=sum(row.total for row in rows),
        achieved=sum(row.achieved for row in rows),
        overdue=sum(row.overdue for row in rows),
    )


def accounts_without_plan() -> QuerySet[Account]:
    return (
        Account.objects.active()
        .filter(success_plan__isnull=True)
        .select_related("cs_manager")
        .order_by("name", "pk")
    )


CSV_HEADER = [
    "Account",
    "Segment",
    "CS manager",
    "Agreed on",
    "Objectives",
    "Achieved",
    "Realisation %",
    "Average progress %",
    "At risk",
    "Overdue",
]


def success_plan_csv_rows(*, rows: list[PlanProgress]) -> Iterator[list]:
    yield CSV_HEADER
    for row in rows:
        account = row.account
        yield [
            safe_cell(account.name),
            account.get_segment_display(),
            safe_cell(account.cs_manager or ""),
            row.plan.agreed_on.isoformat(),
            row.total,
            row.achieved,
            "" if row.realisation is None else round_half_away(row.realisation, 1),
            "" if row.average_progress is None else round_half_away(row.average_progress, 1),
            row.at_risk,
            row.overdue,
        ]
