"""Retention, churn and trained-vs-untrained outcomes, computed set-wise in SQL (a fixed number of
aggregate queries per report, whatever the number of accounts). Definitions: METRICS.md.

Rates are exact `Fraction`s, or None when their denominator is zero ("no data", never 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from apps.accounts.models import Account, Renewal, RenewalOutcome, Segment
from apps.analytics.models import Band, HealthSnapshot
from apps.analytics.periods import Period
from apps.analytics.services import NPS_KIND, TRAINED_KINDS, TRAINED_WINDOW, accounts_active_on, day_end
from apps.core.numbers import round_half_away
from apps.interactions.models import Interaction
from apps.surveys import stats

TOO_FEW = stats.TOO_FEW
ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
MONEY = DecimalField(max_digits=16, decimal_places=2)


def rate(numerator, denominator) -> Fraction | None:
    return None if not denominator else Fraction(numerator) / Fraction(denominator)


def percent(value: Fraction | None, places: int = 1) -> float | None:
    """A rate as a percentage, halves rounded away from zero (1/16 -> 6.3)."""
    return None if value is None else round_half_away(Fraction(value) * 100, places)


# --- retention and churn ------------------------------------------------------------------------


def customers_at_start(start: date, segment: str = "") -> QuerySet[Account]:
    """Accounts that were customers when the period began (end of the day before)."""
    accounts = accounts_active_on(start - timedelta(days=1))
    return accounts.filter(segment=segment) if segment else accounts


def _arr_at(start: date):
    """An account's ARR at `start`: the planned (previous) value of its first renewal on or after
    `start`; an account with no renewal since then still has its current ARR."""
    next_renewal = Renewal.objects.filter(account_id=OuterRef("pk"), close_date__gte=start).order_by(
        "close_date"
    )
    return Coalesce(Subquery(next_renewal.values("planned_value")[:1]), F("arr"), output_field=MONEY)


@dataclass(frozen=True)
class Retention:
    period: Period
    due: int  # renewals closed (won or lost) that fell due in the period
    won: int
    lost: int
    still_open: int  # due in the period, no outcome yet: not counted in the rates
    customers_at_start: int
    start_revenue: Decimal
    lost_revenue: Decimal
    contraction: Decimal
    expansion: Decimal

    @property
    def churn_rate(self) -> Fraction | None:
        return rate(self.lost, self.due)

    @property
    def retention_rate(self) -> Fraction | None:
        churn = self.churn_rate
        return None if churn is None else 1 - churn

    @property
    def revenue_churn(self) -> Fraction | None:
        return rate(self.lost_revenue + self.contraction, self.start_revenue)

    @property
    def net_revenue_churn(self) -> Fraction | None:
        return rate(self.lost_revenue + self.contraction - self.expansion, self.start_revenue)

    @property
    def nrr(self) -> Fraction | None:
        return rate(
            self.start_revenue + self.expansion - self.contraction - self.lost_revenue, self.start_revenue
        )

    @property
    def grr(self) -> Fraction | None:
        return rate(self.start_revenue - self.contraction - self.lost_revenue, self.start_revenue)

    @property
    def negative_churn(self) -> bool:
        value = self.net_revenue_churn
        return value is not None and value < 0

    def as_dict(self) -> dict:
        return {
            "period": self.period.label,
            "start": self.period.start,
            "end": self.period.end,
            "due": self.due,
            "won": self.won,
            "lost": self.lost,
            "still_open": self.still_open,
            "customers_at_start": self.customers_at_start,
            "start_revenue": self.start_revenue,
            "lost_revenue": self.lost_revenue,
            "contraction": self.contraction,
            "expansion": self.expansion,
            "churn_rate": percent(self.churn_rate),
            "retention_rate": percent(self.retention_rate),
            "revenue_churn": percent(self.revenue_churn),
            "net_revenue_churn": percent(self.net_revenue_churn),
            "nrr": percent(self.nrr),
            "grr": percent(self.grr),
            "negative_churn": self.negative_churn,
            "too_few": self.due < TOO_FEW,
        }


def retention(*, period: Period, segment: str = "") -> Retention:
    """Customer and revenue churn/retention for renewals due in [start, end). Two queries.

    Revenue figures count only accounts that were customers at the period start (new customers
    are excluded, METRICS.md "NRR"); customer churn counts every renewal that fell due.
    """
    at_start = customers_at_start(period.start, segment)
    renewals = Renewal.objects.filter(close_date__gte=period.start, close_date__lt=period.end)
    if segment:
        renewals = renewals.filter(account__segment=segment)
    renewals = renewals.annotate(at_start=Exists(at_start.filter(pk=OuterRef("account_id"))))
    won, lost = Q(outcome=RenewalOutcome.WON), Q(outcome=RenewalOutcome.LOST)
    counted = Q(at_start=True)
    figures = renewals.aggregate(
        won=Count("pk", filter=won),
        lost=Count("pk", filter=lost),
        still_open=Count("pk", filter=Q(outcome=RenewalOutcome.OPEN)),
        lost_revenue=Coalesce(Sum("planned_value", filter=lost & counted), ZERO),
        contraction=Coalesce(
            Sum(
                F("planned_value") - F("renewed_value"),
                filter=won & counted & Q(renewed_value__lt=F("planned_value")),
                output_field=MONEY,
            ),
            ZERO,
        ),
        expansion=Coalesce(
            Sum(
                F("renewed_value") - F("planned_value"),
                filter=won & counted & Q(renewed_value__gt=F("planned_value")),
                output_field=MONEY,
            ),
            ZERO,
        ),
    )
    start = at_start.annotate(arr_at_start=_arr_at(period.start)).aggregate(
        n=Count("pk"), revenue=Coalesce(Sum("arr_at_start", output_field=MONEY), ZERO)
    )
    return Retention(
        period=period,
        due=figures["won"] + figures["lost"],
        won=figures["won"],
        lost=figures["lost"],
        still_open=figures["still_open"],
        customers_at_start=start["n"],
        start_revenue=Decimal(start["revenue"]),
        lost_revenue=Decimal(figures["lost_revenue"]),
        contraction=Decimal(figures["contraction"]),
        expansion=Decimal(figures["expansion"]),
    )


# --- trained vs untrained -----------------------------------------------------------------------


def _trained_account_at_close():
    """Exists: someone at the renewal's account completed a course or path in the 12 months
    before the close date."""
    window_start = ExpressionWrapper(OuterRef("close_date") - TRAINED_WINDOW, output_field=DateField())
    return Exists(
        Interaction.objects.filter(
            account_id=OuterRef("account_id"),
            kind__in=TRAINED_KINDS,
            occurred_at__date__lt=OuterRef("close_date"),
            occurred_at__date__gte=window_start,
        )
    )


@dataclass
class Proportion:
    """k of n, with its Wilson 95% interval; `too_few` under 5."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return percent(rate(self.k, self.n))

    @property
    def interval(self) -> tuple[float | None, float | None]:
        low, high = stats.wilson_interval(self.k, self.n)
        return (
            None if low is None else round_half_away(low * 100, 1),
            None if high is None else round_half_away(high * 100, 1),
        )

    @property
    def whole(self) -> int | None:
        """The rate in whole percent, rounded once from the exact value (for sentences)."""
        return percent(rate(self.k, self.n), 0)

    @property
    def too_few(self) -> bool:
        return self.n < TOO_FEW

    def as_dict(self) -> dict:
        low, high = self.interval
        return {
            "k": self.k,
            "n": self.n,
            "percent": self.value,
            "percent_whole": self.whole,
            "ci_low": low,
            "ci_high": high,
            "too_few": self.too_few,
        }


@dataclass
class TrainingOutcomes:
    """One population's outcomes (all accounts, or one segment)."""

    lost_trained: Proportion  # of the lost renewals, how many had trained
    churn_trained: Proportion  # lost / due among trained accounts
    churn_untrained: Proportion
    above_plan_trained: Proportion  # won above plan / won, trained
    above_plan_untrained: Proportion
    retained_trained: Proportion  # of the renewals won, how many had trained
    nps: dict = field(default_factory=dict)  # stats.trained_split(...) plus "overall"

    def as_dict(self) -> dict:
        return {
            "lost_trained": self.lost_trained.as_dict(),
            "churn_trained": self.churn_trained.as_dict(),
            "churn_untrained": self.churn_untrained.as_dict(),
            "above_plan_trained": self.above_plan_trained.as_dict(),
            "above_plan_untrained": self.above_plan_untrained.as_dict(),
            "retained_trained": self.retained_trained.as_dict(),
            "nps": self.nps,
        }


def _outcomes(rows: list[dict], nps_rows: list[dict]) -> TrainingOutcomes:
    def total(key, trained=None):
        return sum(r[key] for r in rows if trained is None or bool(r["trained"]) == trained)

    groups: dict[bool, list[int]] = {True: [], False: []}
    for row in nps_rows:
        groups[bool(row["trained"])].extend([int(row["value"])] * row["c"])
    split = stats.trained_split(groups[True], groups[False])
    split["overall"] = stats.group_summary(groups[True] + groups[False])
    return TrainingOutcomes(
        lost_trained=Proportion(total("lost", True), total("lost")),
        churn_trained=Proportion(total("lost", True), total("due", True)),
        churn_untrained=Proportion(total("lost", False), total("due", False)),
        above_plan_trained=Proportion(total("above_plan", True), total("won", True)),
        above_plan_untrained=Proportion(total("above_plan", False), total("won", False)),
        retained_trained=Proportion(total("won", True), total("won")),
        nps=split,
    )


def _nps_rows(period: Period) -> list[dict]:
    """(segment, trained, score, count) over the latest answer per person per campaign whose
    answer fell in the period; trained = completed a course or path in the 12 months before."""
    later = Interaction.objects.filter(
        kind=NPS_KIND,
        user_id=OuterRef("user_id"),
        subject_type=OuterRef("subject_type"),
        subject_id=OuterRef("subject_id"),
        occurred_at__lt=period_end_dt(period),
    ).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    window_start = ExpressionWrapper(
        OuterRef("occurred_at") - Value(TRAINED_WINDOW), output_field=DateTimeField()
    )
    completed = Interaction.objects.filter(
        user_id=OuterRef("user_id"),
        kind__in=TRAINED_KINDS,
        occurred_at__lt=OuterRef("occurred_at"),
        occurred_at__gte=window_start,
    )
    return list(
        Interaction.objects.filter(
            kind=NPS_KIND,
            user__isnull=False,
            account__isnull=False,
            occurred_at__gte=period_start_dt(period),
            occurred_at__lt=period_end_dt(period),
        )
        .exclude(Exists(later))
        .annotate(trained=Exists(completed))
        .order_by()
        .values("account__segment", "trained", "value")
        .annotate(c=Count("id"))
    )


def period_start_dt(period: Period):
    return day_end(period.start - timedelta(days=1))


def period_end_dt(period: Period):
    return day_end(period.end - timedelta(days=1))


def training_impact(*, period: Period) -> dict:
    """Trained vs untrained outcomes for renewals due and NPS answers given in the period, overall
    and per segment. Two queries. Correlation, not cause: the report says so."""
    rows = list(
        Renewal.objects.filter(
            close_date__gte=period.start,
            close_date__lt=period.end,
            outcome__in=[RenewalOutcome.WON, RenewalOutcome.LOST],
        )
        .annotate(trained=_trained_account_at_close())
        .order_by()
        .values("account__segment", "trained")
        .annotate(
            due=Count("pk"),
            lost=Count("pk", filter=Q(outcome=RenewalOutcome.LOST)),
            won=Count("pk", filter=Q(outcome=RenewalOutcome.WON)),
            above_plan=Count(
                "pk", filter=Q(outcome=RenewalOutcome.WON, renewed_value__gt=F("planned_value"))
            ),
        )
    )
    nps_rows = _nps_rows(period)
    by_segment = {}
    for value, label in Segment.choices:
        seg_rows = [r for r in rows if r["account__segment"] == value]
        seg_nps = [r for r in nps_rows if r["account__segment"] == value]
        by_segment[value] = {"label": label, "outcomes": _outcomes(seg_rows, seg_nps)}
    return {"period": period, "overall": _outcomes(rows, nps_rows), "by_segment": by_segment}


# --- engagement over months ---------------------------------------------------------------------

ARR_BANDS = [
    ("under_25k", "Under $25k", Decimal("0"), Decimal("25000")),
    ("25k_100k", "$25k to $100k", Decimal("25000"), Decimal("100000")),
    ("100k_500k", "$100k to $500k", Decimal("100000"), Decimal("500000")),
    ("500k_plus", "$500k and above", Decimal("500000"), None),
]


def arr_band_case():
    whens = [
        When(arr__gte=low, arr__lt=high, then=Value(key))
        if high is not None
        else When(arr__gte=low, then=Value(key))
        for key, _, low, high in ARR_BANDS
    ]
    return Case(*whens, default=Value(ARR_BANDS[0][0]))


def _month_end_dates(months: list[Period]) -> dict[str, date]:
    """The last snapshot day within each month."""
    days = (
        HealthSnapshot.objects.filter(date__gte=months[0].start, date__lt=months[-1].end)
        .order_by()
        .values_list("date", flat=True)
        .distinct()
    )
    last: dict[str, date] = {}
    for day in days:
        key = f"{day:%Y-%m}"
        if key not in last or day > last[key]:
            last[key] = day
    return last


def engagement_by_month(*, months: list[Period]) -> dict:
    """% engaged customers (accounts meeting the configured number of rules, of the accounts
    scored that month) per month, overall, per segment and per ARR band, from each month's last
    snapshot, with the change from the previous month in points. Two queries."""
    ends = _month_end_dates(months)
    rows = list(
        HealthSnapshot.objects.filter(date__in=list(ends.values()))
        .annotate(arr_band=arr_band_case())
        .order_by()
        .values("date", "segment", "arr_band")
        .annotate(n=Count("pk"), engaged=Count("pk", filter=Q(engaged=True)))
    )
    groups = {
        "all": [("all", "All customers")],
        "segment": list(Segment.choices),
        "arr_band": [(key, label) for key, label, *_ in ARR_BANDS],
    }
    table = {}
    for dimension, keys in groups.items():
        series = []
        for key, label in keys:
            points, previous = [], None
            for month in months:
                day = ends.get(month.label)
                cells = [r for r in rows if r["date"] == day and (dimension == "all" or r[dimension] == key)]
                n, k = sum(r["n"] for r in cells), sum(r["engaged"] for r in cells)
                exact = rate(k, n)
                value = percent(exact)
                change = None if exact is None or previous is None else percent(exact - previous)
                points.append(
                    {
                        "month": month.label,
                        "n": n,
                        "engaged": k,
                        "percent": value,
                        "change": change,
                        "too_few": n < TOO_FEW,
                    }
                )
                previous = exact
            series.append({"key": key, "label": label, "points": points})
        table[dimension] = series
    return {"months": [m.label for m in months], **table}


# --- score validity -----------------------------------------------------------------------------


def score_backtest(*, start: date, end: date, lead_days: int = 90) -> list[dict]:
    """For renewals closed in [start, end): the renewal rate by the colour band the account had
    `lead_days` before the close date (its latest snapshot on or before that day). One query."""
    before = ExpressionWrapper(OuterRef("close_date") - timedelta(days=lead_days), output_field=DateField())
    band = (
        HealthSnapshot.objects.filter(account_id=OuterRef("account_id"), date__lte=before)
        .order_by("-date")
        .values("band")[:1]
    )
    rows = (
        Renewal.objects.filter(
            close_date__gte=start, close_date__lt=end, outcome__in=[RenewalOutcome.WON, RenewalOutcome.LOST]
        )
        .annotate(band_before=Coalesce(Subquery(band), Value(Band.NONE)))
        .order_by()
        .values("band_before")
        .annotate(n=Count("pk"), won=Count("pk", filter=Q(outcome=RenewalOutcome.WON)))
    )
    found = {row["band_before"]: row for row in rows}
    result = []
    for value, label in [
        (Band.GREEN, "Green"),
        (Band.AMBER, "Amber"),
        (Band.RED, "Red"),
        (Band.NONE, "No score yet"),
    ]:
        row = found.get(value, {"n": 0, "won": 0})
        result.append({"band": value, "label": label, **Proportion(row["won"], row["n"]).as_dict()})
    return result
