"""Report data for the CS managers' Engagement, Training impact and Retention pages and for the
customer admin's own team training page, assembled from `apps.analytics.metrics` into plain dicts
and lists a template (or the API) can show as they are; plus the CSV rows of every report table.

Every function runs a fixed number of queries whatever the number of accounts. Figures keep their
n; a figure on fewer than `TOO_FEW` accounts or people is flagged `too_few` ("too few to tell"),
and a rate whose denominator is zero is None ("no data"). Definitions: METRICS.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from apps.accounts.models import Account, Renewal, RenewalOutcome, Segment, User
from apps.analytics import charts, metrics, periods
from apps.analytics.models import HealthConfig, HealthSnapshot
from apps.analytics.periods import Period
from apps.analytics.services import CERTIFIED_KINDS, TRAINED_KINDS, TRAINED_WINDOW, day_end
from apps.assessments.selectors import LEVEL_LABELS, accounts_proficiency
from apps.core.numbers import round_half_away
from apps.core.spreadsheet import safe_cell
from apps.interactions.models import Interaction
from apps.surveys import stats

TOO_FEW = metrics.TOO_FEW
ENGAGEMENT_MONTHS = (6, 12, 18)
LAST_FOUR_QUARTERS = "last-4q"
QUARTERS_SHOWN = 8
COURSE_KIND, PATH_KIND = "learning.course_completed", "learning.path_completed"


# --- small helpers ------------------------------------------------------------------------------


def whole(value: Fraction | float | int | None) -> str:
    """A figure for a sentence in whole points, halves rounded away from zero ("16", "-3"). Give
    it the exact value (a Fraction, or an int already rounded once such as `Proportion.whole`),
    never a figure already rounded to one decimal: 45.45 -> "45", but 45.5 -> "46"."""
    if value is None:
        return "no data"
    return str(round_half_away(value))


def _number(value) -> str:
    return "" if value is None else str(value)


def _flag(value: bool) -> str:
    return "yes" if value else "no"


def period_phrase(period: Period) -> str:
    """How a sentence names the period: "in 2026-Q3", "in the last 4 quarters"."""
    label = period.label
    return f"in the {label[0].lower()}{label[1:]}" if label.startswith("Last") else f"in {label}"


def _padded_range(values: list[float], *, step: int = 10, floor: float | None = None) -> tuple[int, int]:
    """A y axis that holds every value with some room, on multiples of `step`."""
    if not values:
        return 0, 100
    low = math.floor((min(values) - step / 2) / step) * step
    high = math.ceil((max(values) + step / 2) / step) * step
    if floor is not None:
        low = max(low, floor)
    return low, max(high, low + step)


# --- engagement ---------------------------------------------------------------------------------


def engagement_report(*, months: int, today: date | None = None) -> dict:
    """% engaged customers month by month (overall, per segment, per ARR band) with charts. Two
    queries. A point on fewer than 5 accounts is left out of the chart and its change is not shown."""
    today = today or timezone.localdate()
    data = metrics.engagement_by_month(months=periods.last_months(today, months))
    overall = data["all"][0]
    tables = {}
    for dimension in ("segment", "arr_band"):
        tables[dimension] = [_with_changes(series) for series in [overall, *data[dimension]]]
    return {
        "months": data["months"],
        "has_data": any(point["n"] for point in overall["points"]),
        "segment": tables["segment"],
        "arr_band": tables["arr_band"],
        "segment_chart": _engagement_chart(
            data["months"], tables["segment"], "% engaged customers by segment"
        ),
        "arr_band_chart": _engagement_chart(
            data["months"], tables["arr_band"], "% engaged customers by ARR band"
        ),
    }


def _with_changes(series: dict) -> dict:
    points, previous = [], None
    for point in series["points"]:
        shown = (
            point["change"] is not None and not point["too_few"] and not (previous and previous["too_few"])
        )
        points.append({**point, "show_change": shown})
        previous = point
    return {**series, "points": points}


def _engagement_chart(labels: list[str], table: list[dict], title: str):
    series = [
        {"label": s["label"], "values": [None if p["too_few"] else p["percent"] for p in s["points"]]}
        for s in table
    ]
    return charts.line_chart(labels=labels, series=series, title=title, y_suffix="%")


def engagement_latest() -> dict:
    """The latest snapshot day, the rule versions its snapshots were scored with (in words), and
    the accounts flagged for a content engagement drop that day (a queryset, biggest ARR first).
    Three queries (the drops are evaluated by the caller)."""
    latest = HealthSnapshot.objects.aggregate(day=Max("date"))["day"]
    if latest is None:
        return {"date": None, "rules": [], "drops": HealthSnapshot.objects.none()}
    used: dict[int, set[str]] = {}
    for config_id, segment in (
        HealthSnapshot.objects.filter(date=latest).order_by().values_list("config_id", "segment").distinct()
    ):
        used.setdefault(config_id, set()).add(segment)
    labels = dict(Segment.choices)
    rules = []
    for config in HealthConfig.objects.filter(pk__in=used).order_by("segment", "version"):
        segments = sorted(labels.get(s, s) for s in used[config.pk])
        rules.append(
            {
                "name": f"{config.get_segment_display() or 'Default rules'}, version {config.version}",
                "segments": segments,
                "required": config.required_rules,
                "total": len(config.rules),
                "rules": [rule["label"] for rule in config.rules],
                "drop_percent": _drop_percent(config.drop_threshold),
            }
        )
    drops = (
        HealthSnapshot.objects.filter(date=latest, engagement_drop=True)
        .select_related("account")
        .order_by("-arr", "account__name")
    )
    return {"date": latest, "rules": rules, "drops": drops}


def _drop_percent(threshold: float) -> int | float:
    """The drop threshold (a share stored as a float) as the percent the settings form took: one
    decimal at most, "25" rather than "25.0"."""
    value = round_half_away(Decimal(str(threshold)) * 100, 1)
    return int(value) if float(value).is_integer() else value


def engagement_drop_rows(snapshots) -> list[dict]:
    """Content views in the last 30 days against the 30 before, from each snapshot's figures;
    the change in percent to one decimal (`change`, for the CSV) and whole (`change_whole`, for
    the page), each rounded once from the exact counts."""
    rows = []
    for snapshot in snapshots:
        now = snapshot.figures.get("content_views") or 0
        before = snapshot.figures.get("content_views_before") or 0
        exact = Fraction(100 * (now - before), before) if before else None
        rows.append(
            {
                "snapshot": snapshot,
                "account": snapshot.account,
                "now": now,
                "before": before,
                "change": round_half_away(exact, 1),
                "change_whole": round_half_away(exact),
            }
        )
    return rows


ENGAGEMENT_CSV_HEADER = [
    "dimension",
    "group",
    "month",
    "accounts",
    "engaged",
    "percent_engaged",
    "change_points",
]


def engagement_csv_rows(report: dict) -> Iterator[list[str]]:
    yield ENGAGEMENT_CSV_HEADER
    seen = set()
    for dimension, title in (("segment", "segment"), ("arr_band", "arr band")):
        for series in report[dimension]:
            name = "all" if series["key"] == "all" else title
            if (name, series["key"]) in seen:
                continue
            seen.add((name, series["key"]))
            for point in series["points"]:
                yield [
                    name,
                    safe_cell(series["label"]),
                    point["month"],
                    str(point["n"]),
                    str(point["engaged"]),
                    _number(point["percent"]),
                    _number(point["change"]),
                ]


DROPS_CSV_HEADER = [
    "account",
    "segment",
    "arr",
    "content_views_last_30_days",
    "content_views_30_days_before",
    "change_percent",
]


def engagement_drops_csv_rows(snapshots) -> Iterator[list[str]]:
    yield DROPS_CSV_HEADER
    for row in engagement_drop_rows(snapshots):
        snapshot = row["snapshot"]
        yield [
            safe_cell(row["account"].name),
            snapshot.segment,
            str(snapshot.arr),
            str(row["now"]),
            str(row["before"]),
            _number(row["change"]),
        ]


# --- training impact ----------------------------------------------------------------------------


def training_periods(*, today: date | None = None) -> list[Period]:
    """The periods offered: the last 4 quarters together, then the last 8 quarters, newest first."""
    today = today or timezone.localdate()
    return [last_four_quarters(today=today), *reversed(periods.last_quarters(today, QUARTERS_SHOWN))]


def last_four_quarters(*, today: date) -> Period:
    quarters = periods.last_quarters(today, 4)
    return Period(quarters[0].start, quarters[-1].end, "Last 4 quarters")


def training_period(text: str, *, today: date | None = None) -> Period:
    """The period a ?period= value names: "last-4q", a quarter "2026-Q3" or a month "2026-07".
    ValueError with a readable message otherwise."""
    today = today or timezone.localdate()
    if text == LAST_FOUR_QUARTERS:
        return last_four_quarters(today=today)
    return periods.parse(text)


def training_period_default(*, today: date | None = None) -> Period:
    """The latest of the last 8 quarters with a closed renewal (else the current one). One query."""
    today = today or timezone.localdate()
    quarters = periods.last_quarters(today, QUARTERS_SHOWN)
    last = Renewal.objects.filter(
        close_date__gte=quarters[0].start,
        close_date__lt=quarters[-1].end,
        outcome__in=[RenewalOutcome.WON, RenewalOutcome.LOST],
    ).aggregate(day=Max("close_date"))["day"]
    return periods.quarter_of(last) if last else quarters[-1]


def _complement(proportion: dict) -> dict:
    """The other group's share of the same population (untrained = n - trained)."""
    return metrics.Proportion(proportion["n"] - proportion["k"], proportion["n"]).as_dict()


def training_table(outcomes: metrics.TrainingOutcomes) -> dict:
    """Rows of outcome | trained | untrained, and the NPS rows, for one population."""
    figures = outcomes.as_dict()
    rows = [
        {
            "key": "churn",
            "label": "Churn rate",
            "help": "lost renewals / renewals due, in each group",
            "trained": figures["churn_trained"],
            "untrained": figures["churn_untrained"],
        },
        {
            "key": "above_plan",
            "label": "Renewals won above plan",
            "help": "renewals won at more than the planned value / renewals won, in each group",
            "trained": figures["above_plan_trained"],
            "untrained": figures["above_plan_untrained"],
        },
        {
            "key": "lost",
            "label": "Share of the lost renewals",
            "help": "of all renewals lost, the share in each group",
            "trained": figures["lost_trained"],
            "untrained": _complement(figures["lost_trained"]),
        },
        {
            "key": "retained",
            "label": "Share of the retained customers",
            "help": "of all renewals won, the share in each group",
            "trained": figures["retained_trained"],
            "untrained": _complement(figures["retained_trained"]),
        },
    ]
    nps = {**figures["nps"], "difference_whole": round_half_away(nps_difference(figures["nps"]))}
    return {"rows": rows, "nps": nps, "due": figures["churn_trained"]["n"] + figures["churn_untrained"]["n"]}


def _nps_exact(group: dict) -> Fraction | None:
    """A group's NPS as an exact Fraction from its counts (None without answers)."""
    if not group["n"]:
        return None
    return Fraction(100 * (group["promoters"] - group["detractors"]), group["n"])


def nps_difference(split: dict) -> Fraction | None:
    """Trained minus untrained NPS, exact (the split's `difference` is a float), or None when a
    group has no answers."""
    trained, untrained = _nps_exact(split["trained"]), _nps_exact(split["untrained"])
    return None if trained is None or untrained is None else trained - untrained


def training_sentences(*, outcomes: metrics.TrainingOutcomes, period: Period) -> list[str]:
    """The report's questions answered in words, each with its n and, where a rate is given, its
    95% interval; "too few to tell" under 5."""
    phrase = period_phrase(period)
    lost = outcomes.lost_trained
    if lost.n == 0:
        first = f"No renewals were lost {phrase}."
    elif lost.too_few:
        first = (
            f"Of the {lost.n} account{'s' if lost.n != 1 else ''} lost {phrase}, {lost.k} had trained in "
            "the 12 months before their renewal: too few to tell."
        )
    else:
        first = (
            f"Of the {lost.n} accounts lost {phrase}, {lost.k} ({whole(lost.whole)}%) had trained in the "
            "12 months before their renewal."
        )
    trained, untrained = outcomes.churn_trained, outcomes.churn_untrained
    if trained.too_few and untrained.too_few:
        second = (
            f"Too few renewals closed {phrase} to compare churn: {trained.n} trained and {untrained.n} "
            "untrained accounts were due, at least 5 of each are needed."
        )
    elif untrained.n == 0 or trained.n == 0:
        group, other = ("Trained", "untrained") if untrained.n == 0 else ("Untrained", "trained")
        second = (
            f"{group} accounts churned at {_rate_words(trained if untrained.n == 0 else untrained)}; "
            f"no {other} account was due {phrase}."
        )
    elif trained.too_few or untrained.too_few:
        second = (
            f"Trained accounts churned at {_rate_words(trained)}; untrained accounts: "
            f"{_rate_words(untrained)}."
        )
    else:
        second = (
            f"Trained accounts churned at {_rate_words(trained)} against {_rate_words(untrained)} for "
            "untrained accounts."
        )
    split = outcomes.nps
    if split["trained"]["too_few"] or split["untrained"]["too_few"]:
        third = (
            f"Too few NPS answers {phrase} to compare: {split['trained']['n']} from trained and "
            f"{split['untrained']['n']} from untrained people, at least 5 of each are needed."
        )
    else:
        difference = nps_difference(split)
        third = (
            f"Trained people gave an NPS of {split['trained']['nps']} (n={split['trained']['n']}) against "
            f"{split['untrained']['nps']} for untrained people (n={split['untrained']['n']}): "
            f"{_signed(difference)} points (95% bootstrap interval {_signed(split['difference_low'])} to "
            f"{_signed(split['difference_high'])})."
        )
    return [first, second, third]


def _rate_words(p: metrics.Proportion) -> str:
    if p.n == 0:
        return "no data (none due)"
    if p.too_few:
        return f"too few to tell (n={p.n})"
    # The interval rounded once from Wilson's bounds, not from `p.interval` (already one decimal).
    low, high = stats.wilson_interval(p.k, p.n)
    return f"{whole(p.whole)}% (n={p.n}, 95% CI {whole(low * 100)}\u2013{whole(high * 100)}%)"


def _signed(value: Fraction | float | None) -> str:
    if value is None:
        return "no data"
    text = whole(value)
    return text if text.startswith("-") or text == "0" else f"+{text}"


def training_report(*, period: Period, by_segment: bool = False) -> dict:
    """Trained vs untrained outcomes for the period, in words and as tables; per segment on
    request. Two queries (metrics.training_impact)."""
    impact = metrics.training_impact(period=period)
    overall = impact["overall"]
    segments = [
        {"key": key, "label": item["label"], **training_table(item["outcomes"])}
        for key, item in impact["by_segment"].items()
    ]
    return {
        "period": period,
        "sentences": training_sentences(outcomes=overall, period=period),
        "overall": training_table(overall),
        "segments": segments if by_segment else [],
        "all_segments": segments,
    }


TRAINING_CSV_HEADER = [
    "period",
    "population",
    "outcome",
    "group",
    "k",
    "n",
    "percent",
    "ci_low",
    "ci_high",
    "too_few",
]


def training_csv_rows(report: dict) -> Iterator[list[str]]:
    """Every outcome of every population (all, then each segment), one row per group."""
    yield TRAINING_CSV_HEADER
    label = report["period"].label
    for population, table in [("All segments", report["overall"])] + [
        (s["label"], s) for s in report["all_segments"]
    ]:
        for row in table["rows"]:
            for group in ("trained", "untrained"):
                p = row[group]
                yield [
                    label,
                    population,
                    row["label"],
                    group,
                    str(p["k"]),
                    str(p["n"]),
                    _number(p["percent"]),
                    _number(p["ci_low"]),
                    _number(p["ci_high"]),
                    _flag(p["too_few"]),
                ]
        nps = table["nps"]
        for group in ("trained", "untrained"):
            yield _nps_csv_row(label, population, group, nps[group])
        # The difference with its bootstrap interval, to one decimal like every interval here.
        yield [
            label,
            population,
            "NPS difference (trained - untrained)",
            "difference",
            "",
            str(nps["trained"]["n"] + nps["untrained"]["n"]),
            _number(round_half_away(nps_difference(nps), 1)),
            _number(round_half_away(nps["difference_low"], 1)),
            _number(round_half_away(nps["difference_high"], 1)),
            _flag(nps["too_few"]),
        ]
        yield _nps_csv_row(label, population, "overall", nps["overall"])


def _nps_csv_row(label: str, population: str, group: str, g: dict) -> list[str]:
    return [
        label,
        population,
        "NPS",
        group,
        "",
        str(g["n"]),
        _number(g["nps"]),
        _number(round_half_away(g["ci_low"], 1)),
        _number(round_half_away(g["ci_high"], 1)),
        _flag(g["too_few"]),
    ]


# --- retention ----------------------------------------------------------------------------------

RETENTION_ROWS = [
    # key, label, kind ("count", "money", "percent"), population for n ("due", "start")
    ("due", "Renewals due (closed)", "count", ""),
    ("won", "Won", "count", ""),
    ("lost", "Lost", "count", ""),
    ("still_open", "Still open", "count", ""),
    ("churn_rate", "Customer churn rate", "percent", "due"),
    ("retention_rate", "Customer retention rate", "percent", "due"),
    ("customers_at_start", "Customers at the start", "count", ""),
    ("start_revenue", "Revenue at the start (ARR)", "money", ""),
    ("lost_revenue", "Lost revenue", "money", ""),
    ("contraction", "Contraction", "money", ""),
    ("expansion", "Expansion", "money", ""),
    ("revenue_churn", "Revenue churn", "percent", "start"),
    ("net_revenue_churn", "Net revenue churn", "percent", "start"),
    ("nrr", "Net revenue retention (NRR)", "percent", "start"),
    ("grr", "Gross revenue retention (GRR)", "percent", "start"),
]


def retention_report(*, segment: str = "", today: date | None = None) -> dict:
    """Retention, churn, NRR and GRR for each of the last 8 quarters (2 queries each), the score
    backtest over the last four (1 query), and charts."""
    today = today or timezone.localdate()
    quarters = periods.last_quarters(today, QUARTERS_SHOWN)
    figures = []
    for quarter in quarters:
        row = metrics.retention(period=quarter, segment=segment).as_dict()
        row["too_few_revenue"] = row["customers_at_start"] < TOO_FEW
        figures.append(row)
    table = []
    for key, label, kind, population in RETENTION_ROWS:
        cells = []
        for row in figures:
            n = row["due"] if population == "due" else row["customers_at_start"] if population else None
            too_few = population != "" and n < TOO_FEW
            cells.append(
                {
                    "value": row[key],
                    "kind": kind,
                    "n": n,
                    "too_few": too_few,
                    "negative": key == "net_revenue_churn" and row["negative_churn"],
                }
            )
        table.append({"key": key, "label": label, "kind": kind, "cells": cells})
    labels = [row["period"] for row in figures]

    def shown(row, key, too_few_key):
        return None if row[too_few_key] else row[key]

    revenue_values = [
        value
        for row in figures
        for value in (shown(row, "nrr", "too_few_revenue"), shown(row, "grr", "too_few_revenue"))
        if value is not None
    ]
    y_min, y_max = _padded_range(revenue_values, floor=0)
    churn_values = [shown(row, "churn_rate", "too_few") for row in figures]
    churn_max = _padded_range([v for v in churn_values if v is not None] + [0], floor=0)[1]
    backtest_quarters = quarters[-4:]
    backtest = metrics.score_backtest(start=backtest_quarters[0].start, end=backtest_quarters[-1].end)
    return {
        "quarters": labels,
        "figures": figures,
        "table": table,
        "has_data": any(row["due"] or row["still_open"] or row["customers_at_start"] for row in figures),
        "revenue_chart": charts.line_chart(
            labels=labels,
            series=[
                {"label": "NRR", "values": [shown(r, "nrr", "too_few_revenue") for r in figures]},
                {"label": "GRR", "values": [shown(r, "grr", "too_few_revenue") for r in figures]},
            ],
            title="Net and gross revenue retention by quarter",
            y_min=y_min,
            y_max=y_max,
            y_suffix="%",
        ),
        "churn_chart": charts.line_chart(
            labels=labels,
            series=[{"label": "Customer churn rate", "values": churn_values}],
            title="Customer churn rate by quarter",
            y_min=0,
            y_max=min(churn_max, 100),
            y_suffix="%",
        ),
        "backtest": backtest,
        "backtest_sentence": backtest_sentence(backtest),
        "backtest_from": backtest_quarters[0].label,
        "backtest_to": backtest_quarters[-1].label,
    }


def backtest_sentence(rows: list[dict]) -> str | None:
    """Green against red renewal rates in words, when both bands have at least 5 renewals."""
    bands = {row["band"]: row for row in rows}
    green, red = bands.get("green"), bands.get("red")
    if not green or not red or green["too_few"] or red["too_few"]:
        return None
    return (
        f"Accounts that were green 90 days before renewed at {green['percent_whole']}% (n={green['n']}), "
        f"against {red['percent_whole']}% for those that were red (n={red['n']})."
    )


RETENTION_CSV_HEADER = ["quarter", "segment"] + [key for key, *_ in RETENTION_ROWS] + ["negative_churn"]


def retention_csv_rows(report: dict, *, segment: str = "") -> Iterator[list[str]]:
    yield RETENTION_CSV_HEADER
    for row in report["figures"]:
        yield (
            [row["period"], segment or "all"]
            + [_number(row[key]) for key, *_ in RETENTION_ROWS]
            + [_flag(row["negative_churn"])]
        )


BACKTEST_CSV_HEADER = [
    "band_90_days_before",
    "renewals_closed",
    "renewed",
    "renewal_rate",
    "ci_low",
    "ci_high",
    "too_few",
]


def backtest_csv_rows(report: dict) -> Iterator[list[str]]:
    yield BACKTEST_CSV_HEADER
    for row in report["backtest"]:
        yield [
            row["label"],
            str(row["n"]),
            str(row["k"]),
            _number(row["percent"]),
            _number(row["ci_low"]),
            _number(row["ci_high"]),
            _flag(row["too_few"]),
        ]


# --- the customer admin's own team ---------------------------------------------------------------


def _team_interactions(account: Account) -> QuerySet[Interaction]:
    """The account's interactions by its own active people (someone who moved to another account
    or left is not counted, so the trained share never exceeds 100%)."""
    return Interaction.objects.filter(
        account_id=account.pk, user__account_id=account.pk, user__is_active=True
    ).order_by()


def _local(moment):
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _share(k: int, n: int) -> dict:
    """k of n with the percent to one decimal and whole (each rounded once from k / n)."""
    exact = metrics.rate(k, n)
    return {
        "k": k,
        "n": n,
        "percent": metrics.percent(exact),
        "percent_whole": metrics.percent(exact, 0),
        "too_few": n < TOO_FEW,
    }


def training_team(*, account: Account, now=None) -> dict:
    """One customer account's own training figures, for its customer admin (page and API).

    Returns plain data, three queries whatever the size of the account:
        {"people": n,                                  # active people of the account
         "trained": {"k", "n", "percent", "percent_whole", "too_few"},  # a course or path in 12 months
         "certified": {"k", "n", "percent", "percent_whole", "too_few"},  # a certification in 12 months
         "by_month": [{"month": "2026-07", "trained": k, "certified": k}, ...]}  # last 12, oldest first
    `percent` (one decimal) and `percent_whole` are None when the account has nobody ("no data");
    `too_few` under 5 people.
    Never includes health scores, ARR or another account's data.
    """
    now = now or timezone.now()
    people = account.users.filter(is_active=True).count()
    since = now - TRAINED_WINDOW
    counts = (
        _team_interactions(account)
        .filter(occurred_at__gte=since, occurred_at__lt=now)
        .aggregate(
            trained=Count("user_id", distinct=True, filter=Q(kind__in=TRAINED_KINDS)),
            certified=Count("user_id", distinct=True, filter=Q(kind__in=CERTIFIED_KINDS)),
        )
    )
    months = periods.last_months(timezone.localtime(now).date(), 12)
    start = day_end(months[0].start - timedelta(days=1))
    monthly = {
        f"{_local(row['month']):%Y-%m}": row
        for row in _team_interactions(account)
        .filter(occurred_at__gte=start, occurred_at__lt=now, kind__in=(*TRAINED_KINDS, *CERTIFIED_KINDS))
        .annotate(month=TruncMonth("occurred_at"))
        .values("month")
        .annotate(
            trained=Count("user_id", distinct=True, filter=Q(kind__in=TRAINED_KINDS)),
            certified=Count("user_id", distinct=True, filter=Q(kind__in=CERTIFIED_KINDS)),
        )
    }
    return {
        "people": people,
        "trained": _share(counts["trained"], people),
        "certified": _share(counts["certified"], people),
        "by_month": [
            {
                "month": month.label,
                "trained": monthly.get(month.label, {}).get("trained", 0),
                "certified": monthly.get(month.label, {}).get("certified", 0),
            }
            for month in months
        ],
    }


def training_team_chart(team: dict):
    """People who trained and who got certified, per month, as an SVG line chart."""
    top = max([row["trained"] for row in team["by_month"]] + [row["certified"] for row in team["by_month"]])
    return charts.line_chart(
        labels=[row["month"] for row in team["by_month"]],
        series=[
            {"label": "Trained", "values": [row["trained"] for row in team["by_month"]]},
            {"label": "Certified", "values": [row["certified"] for row in team["by_month"]]},
        ],
        title="People who trained or got certified, by month",
        y_max=max(4, math.ceil(top / 4) * 4),
    )


def training_team_people(*, account: Account, now=None) -> QuerySet[User]:
    """The account's active people by name, each with `courses`, `paths` and `certifications`
    completed or earned in the last 12 months and `last_completed` (a subquery each: one query
    per page whatever the size of the log)."""
    now = now or timezone.now()
    window = Interaction.objects.filter(
        user_id=OuterRef("pk"),
        account_id=account.pk,
        occurred_at__gte=now - TRAINED_WINDOW,
        occurred_at__lt=now,
    ).order_by()

    def count_of(*kinds):
        counted = window.filter(kind__in=kinds).values("user_id").annotate(c=Count("id")).values("c")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    last = window.filter(kind__in=TRAINED_KINDS).order_by("-occurred_at").values("occurred_at")[:1]
    return (
        account.users.filter(is_active=True)
        .annotate(
            courses=count_of(COURSE_KIND),
            paths=count_of(PATH_KIND),
            certifications=count_of(*CERTIFIED_KINDS),
            last_completed=Subquery(last),
        )
        .order_by("full_name", "pk")
    )


def training_team_proficiency(*, account: Account, target: str = "practitioner") -> dict:
    """Per skill, how many of the account's active people are at or above `target` (assessments'
    accounts_proficiency on this one account: a query per skill, none per person)."""
    coverage = accounts_proficiency(target=target, accounts=Account.objects.filter(pk=account.pk))
    rows = []
    if coverage["rows"]:
        holder, cells = coverage["rows"][0]
        for skill, (k, _) in zip(coverage["skills"], cells, strict=True):
            rows.append({"skill": skill.name, **_share(k, holder.people)})
    rows.sort(key=lambda r: (-(r["percent"] or 0), r["skill"]))
    return {"target": LEVEL_LABELS[target], "skills": rows}


TEAM_CSV_HEADER = [
    "name",
    "email",
    "courses_completed_12_months",
    "paths_completed_12_months",
    "certifications_12_months",
    "last_completed",
]


def training_team_csv_rows(people) -> Iterator[list[str]]:
    yield TEAM_CSV_HEADER
    for person in people.iterator(chunk_size=500):
        yield [
            safe_cell(person.full_name),
            safe_cell(person.email),
            str(person.courses),
            str(person.paths),
            str(person.certifications),
            person.last_completed.date().isoformat() if person.last_completed else "",
        ]


TEAM_MONTHS_CSV_HEADER = ["month", "people_trained", "people_certified"]


def training_team_months_csv_rows(team: dict) -> Iterator[list[str]]:
    """The "By month" table of a training_team result, oldest month first."""
    yield TEAM_MONTHS_CSV_HEADER
    for row in team["by_month"]:
        yield [row["month"], str(row["trained"]), str(row["certified"])]


TEAM_PROFICIENCY_CSV_HEADER = ["skill", "target_level", "people_at_or_above", "people", "percent", "too_few"]


def training_team_proficiency_csv_rows(proficiency: dict) -> Iterator[list[str]]:
    """The "Proficiency coverage" table of a training_team_proficiency result."""
    yield TEAM_PROFICIENCY_CSV_HEADER
    for row in proficiency["skills"]:
        yield [
            safe_cell(row["skill"]),
            proficiency["target"],
            str(row["k"]),
            str(row["n"]),
            _number(row["percent"]),
            _flag(row["too_few"]),
        ]
