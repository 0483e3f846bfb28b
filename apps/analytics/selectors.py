"""Reads of the analytics app for the portfolio and the account 360 pages.

Every function here runs a fixed number of queries whatever the number of accounts, people or
interactions: the portfolio joins each account to its snapshots of two days (FilteredRelation),
and the account page groups per person in SQL rather than looping per person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from urllib.parse import urlencode

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Account, User
from apps.analytics import scoring
from apps.analytics.models import COMPONENT_LABELS, Band, HealthSnapshot
from apps.analytics.services import CERTIFIED_KINDS, NPS_KIND, TRAINED_KINDS, TRAINED_WINDOW
from apps.community.models import Idea
from apps.core.numbers import round_half_away
from apps.core.spreadsheet import safe_cell
from apps.interactions import kinds
from apps.interactions.models import Interaction
from apps.surveys import stats

TREND_DAYS = 30
RENEWAL_WINDOWS = (30, 90, 180)
PORTFOLIO_PAGE_SIZE = 25
TIMELINE_PAGE_SIZE = 25
# The people table of the account page lists at most this many, the most recently active first.
COVERAGE_PEOPLE_SHOWN = 50
BAND_ORDER = (Band.RED, Band.AMBER, Band.GREEN, Band.NONE)
IDEA_KINDS = ("community.idea_submitted", "community.vote_cast")
HISTORY_MONTHS = 12
# Up to this many daily points the chart shows every day; beyond it, the last point of each week.
HISTORY_DAILY_POINTS = 70
TOO_FEW = stats.TOO_FEW


# --- Portfolio -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilters:
    """What the portfolio shows. owner: "" (anyone), "mine", "unassigned" or a CS manager's pk."""

    q: str = ""
    segment: str = ""
    band: str = ""
    owner: str = ""
    renewal: int | None = None  # renewing within this many days from today
    sort: str = "score"

    def querystring(self, **changes) -> str:
        """The filters as a query string (empty values left out), with `changes` applied."""
        values = {**asdict(self), **changes}
        if values["sort"] == PortfolioFilters.sort:
            values["sort"] = None
        return urlencode({key: value for key, value in values.items() if value not in (None, "")})


_BAND_RANK = Case(
    *(When(band=band, then=Value(rank)) for rank, band in enumerate(BAND_ORDER)),
    default=Value(len(BAND_ORDER)),
    output_field=IntegerField(),
)
# sort key -> the expression it orders by; "-key" orders descending. Empty values go last both ways.
PORTFOLIO_SORTS = {
    "account": F("name"),
    "score": F("score"),
    "band": F("band_rank"),
    "arr": F("arr"),
    "renewal": F("renewal_date"),
}


def portfolio_dates() -> tuple[date | None, date | None]:
    """(latest snapshot date, the latest snapshot date on or before it minus TREND_DAYS), or Nones."""
    latest = HealthSnapshot.objects.aggregate(day=Max("date"))["day"]
    if latest is None:
        return None, None
    earlier = HealthSnapshot.objects.filter(date__lte=latest - timedelta(days=TREND_DAYS)).aggregate(
        day=Max("date")
    )["day"]
    return latest, earlier


def portfolio_list(
    *, latest: date, earlier: date | None, user: User, filters: PortfolioFilters, today: date | None = None
) -> QuerySet[Account]:
    """The accounts that have a snapshot on `latest`, annotated with that snapshot's `score`,
    `band`, `snapshot_date`, and the score of their snapshot on `earlier` (`earlier_score`, None when
    they had none), filtered and sorted as `filters` ask. One query, with select_related CS owner."""
    today = today or timezone.localdate()
    accounts = Account.objects.annotate(
        snap=FilteredRelation("health_snapshots", condition=Q(health_snapshots__date=latest))
    )
    if earlier is not None:
        accounts = accounts.annotate(
            before=FilteredRelation("health_snapshots", condition=Q(health_snapshots__date=earlier)),
            earlier_score=F("before__score"),
        )
    else:
        accounts = accounts.annotate(earlier_score=Value(None, output_field=FloatField()))
    accounts = (
        accounts.filter(snap__date=latest)
        .annotate(score=F("snap__score"), band=F("snap__band"), snapshot_date=F("snap__date"))
        .annotate(band_rank=_BAND_RANK)
        .select_related("cs_manager")
    )
    if filters.q:
        accounts = accounts.filter(name__icontains=filters.q)
    if filters.segment:
        accounts = accounts.filter(segment=filters.segment)
    if filters.band:
        accounts = accounts.filter(band=filters.band)
    if filters.owner == "mine":
        accounts = accounts.filter(cs_manager=user)
    elif filters.owner == "unassigned":
        accounts = accounts.filter(cs_manager__isnull=True)
    elif filters.owner:
        accounts = accounts.filter(cs_manager_id=filters.owner)
    if filters.renewal:
        accounts = accounts.filter(
            renewal_date__gte=today, renewal_date__lt=today + timedelta(days=filters.renewal)
        )
    key = filters.sort.lstrip("-")
    expression = PORTFOLIO_SORTS.get(key, PORTFOLIO_SORTS["score"])
    if filters.sort.startswith("-"):
        order = expression.desc(nulls_last=True)
    else:
        order = expression.asc(nulls_last=True)
    return accounts.order_by(order, "name", "pk")


def portfolio_summary(*, accounts: QuerySet[Account]) -> dict:
    """Accounts and ARR per band of a portfolio_list queryset, in one aggregate query:
    {"bands": [{"band", "label", "n", "arr"}], "n", "arr"}."""
    aggregates = {"total_n": Count("pk"), "total_arr": Sum("arr")}
    for band in BAND_ORDER:
        aggregates[f"{band}_n"] = Count("pk", filter=Q(band=band))
        aggregates[f"{band}_arr"] = Sum("arr", filter=Q(band=band))
    totals = accounts.order_by().aggregate(**aggregates)
    bands = [
        {
            "band": band.value,
            "label": band.label,
            "n": totals[f"{band}_n"],
            "arr": totals[f"{band}_arr"] or 0,
        }
        for band in BAND_ORDER
    ]
    return {"bands": bands, "n": totals["total_n"], "arr": totals["total_arr"] or 0}


def portfolio_count(*, summary: dict, band: str) -> int:
    """How many accounts portfolio_list lists, from the portfolio_summary of the same filters
    without the band: all of them, or those of `band`."""
    if not band:
        return summary["n"]
    return next((item["n"] for item in summary["bands"] if item["band"] == band), 0)


@dataclass(frozen=True)
class Trend:
    """The change of a score since an earlier snapshot, for an arrow and its words."""

    change: int | None
    since: date | None

    @classmethod
    def of(cls, score: float | None, earlier: float | None, since: date | None) -> Trend:
        if score is None or earlier is None or since is None:
            return cls(change=None, since=since)
        return cls(change=round_half_away(Fraction(score) - Fraction(earlier)), since=since)

    @property
    def direction(self) -> str:
        if self.change is None:
            return "none"
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"

    @property
    def arrow(self) -> str:
        return {"up": "▲", "down": "▼", "flat": "▶", "none": ""}[self.direction]

    @property
    def text(self) -> str:
        if self.change is None:
            return "no earlier score to compare"
        since = f"{self.since.day} {self.since:%b}"
        if self.change == 0:
            return f"no change since {since}"
        return f"{self.direction} {abs(self.change)} since {since}"


def portfolio_with_trends(accounts: Iterable[Account], *, since: date | None) -> list[Account]:
    """Set `trend` (a Trend) on each account of a portfolio_list page."""
    rows = list(accounts)
    for account in rows:
        account.trend = Trend.of(account.score, account.earlier_score, since)
    return rows


CSV_HEADER = [
    "Account",
    "Segment",
    "Health score",
    "Band",
    "Score date",
    "Earlier score",
    "Earlier date",
    "Change",
    "ARR",
    "Renewal date",
    "CS owner",
]


def _number(value: float | None) -> str:
    """A score as a whole number, halves away from zero (an f-string would round 12.5 to 12)."""
    return "" if value is None else str(round_half_away(value))


def portfolio_csv_rows(*, accounts: QuerySet[Account], earlier: date | None) -> Iterator[list[str]]:
    """The header, then one row per account of a portfolio_list queryset, streamed in chunks."""
    yield CSV_HEADER
    labels = dict(Band.choices)
    for account in accounts.iterator(chunk_size=500):
        trend = Trend.of(account.score, account.earlier_score, earlier)
        yield [
            safe_cell(account.name),
            safe_cell(account.get_segment_display()),
            _number(account.score),
            labels.get(account.band, account.band),
            account.snapshot_date.isoformat(),
            _number(account.earlier_score),
            earlier.isoformat() if earlier and account.earlier_score is not None else "",
            "" if trend.change is None else str(trend.change),  # a plain number: not a formula
            f"{account.arr:.2f}",
            account.renewal_date.isoformat() if account.renewal_date else "",
            safe_cell(account.cs_manager.full_name if account.cs_manager else "Unassigned"),
        ]


# --- Account 360 -----------------------------------------------------------------------------------


def account_health_latest(*, account: Account) -> HealthSnapshot | None:
    """The account's newest snapshot with its configuration, or None before the first recompute."""
    return HealthSnapshot.objects.filter(account=account).select_related("config").order_by("-date").first()


def _week_ends(rows: list[dict]) -> list[dict]:
    """The last row of each ISO week (rows sorted by date)."""
    kept: list[dict] = []
    for row in rows:
        if kept and kept[-1]["date"].isocalendar()[:2] == row["date"].isocalendar()[:2]:
            kept[-1] = row
        else:
            kept.append(row)
    return kept


def account_health_history(*, account: Account, end: date, months: int = HISTORY_MONTHS) -> dict:
    """The account's scores over the `months` before `end`, in one query:
    {"points": [{date, score, band}] (daily, or the last of each week when there are many),
     "fell_to_red": the last day the score went from another band into red (or None),
     "left_red": the day after that it left red (None while still red)}."""
    start = end - timedelta(days=round(months * 365 / 12))
    rows = list(
        HealthSnapshot.objects.filter(account=account, date__gt=start, date__lte=end)
        .order_by("date")
        .values("date", "score", "band")
    )
    fell, left = None, None
    previous = None
    for row in rows:
        if row["band"] == Band.RED and previous is not None and previous != Band.RED:
            fell, left = row["date"], None
        elif row["band"] != Band.RED and previous == Band.RED and fell is not None:
            left = row["date"]
        previous = row["band"]
    points = rows if len(rows) <= HISTORY_DAILY_POINTS else _week_ends(rows)
    return {"points": points, "fell_to_red": fell, "left_red": left, "weekly": points is not rows}


def account_health_explanation(*, snapshot: HealthSnapshot) -> dict:
    """Why the snapshot scored what it did, with one query (the interactions behind passed rules):
    {"components": [{name, label, score, weight, contribution, share}],
     "rules": [{key, label, passed, weight, window_days, interaction, fix, kinds}]}.
    The snapshot holds the scores and the satisfying interactions; its configuration version
    (never changed once saved) the weights, labels, windows and fixes."""
    config = snapshot.config
    parts = scoring.component_parts(snapshot.components or {}, config.weights)
    used_weight = sum(part["weight"] for part in parts.values() if part["score"] is not None)
    components = [
        {
            "name": name,
            "label": COMPONENT_LABELS[name],
            **part,
            # the share of the overall score this component carried (its weight among those used)
            "share": (
                100 * part["weight"] / used_weight
                if part["score"] is not None and part["weight"] and used_weight
                else None
            ),
        }
        for name, part in parts.items()
    ]
    results = scoring.rule_results(snapshot.rules, config)
    ids = [rule["interaction_id"] for rule in results if rule["passed"]]
    found = Interaction.objects.select_related("user").in_bulk(ids) if ids else {}
    rules = [
        {
            "key": result["key"],
            "label": result["label"],
            "passed": result["passed"],
            "weight": result["weight"],
            "window_days": result["window_days"],
            "interaction": found.get(result["interaction_id"]),
            "fix": setup.get("fix", ""),
            "kinds": [kinds.label(kind) for kind in setup.get("kinds", [])],
        }
        for result, setup in zip(results, config.rules, strict=False)  # no results: no rules recorded
    ]
    return {"components": components, "rules": rules}


def _exact(value) -> Fraction | None:
    """A stored figure as an exact Fraction (floats by their shortest decimal form, so 0.285 is
    57/200, not the binary value just under it)."""
    if value is None:
        return None
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


def _share_of_seats(figures: dict, count_key: str, share_key: str) -> int | None:
    """A count per licensed seat in whole percent, rounded once from the exact count / seats (the
    stored share is a float: 57 of 200 seats is 0.285, 28.4999...% in binary, yet 29%)."""
    seats, count = figures.get("licensed_seats"), figures.get(count_key)
    if figures.get(share_key) is None:
        return None
    if seats and count is not None:
        return round_half_away(Fraction(100 * count, seats))
    return round_half_away(100 * _exact(figures[share_key]))


def account_figures(*, snapshot: HealthSnapshot) -> dict:
    """The raw figures of a snapshot with the derived rates the page shows (None = no data;
    an NPS on fewer than TOO_FEW respondents is marked too_few). Every derived figure is rounded
    once, halves away from zero, from its exact value (METRICS.md)."""
    figures = dict(snapshot.figures or {})
    figures["utilisation_percent"] = _share_of_seats(figures, "active_users", "utilisation")
    responses = figures.get("nps_responses") or 0
    promoters, detractors = figures.get("promoters", 0), figures.get("detractors", 0)
    figures["nps"] = (
        round_half_away(Fraction(100 * (promoters - detractors), responses)) if responses else None
    )
    figures["nps_too_few"] = 0 < responses < TOO_FEW
    before, now = figures.get("content_views_before") or 0, figures.get("content_views") or 0
    figures["content_change_percent"] = (
        round_half_away(Fraction(100 * (now - before), before)) if before else None
    )
    figures["active_hours"] = round_half_away(_exact(figures.get("active_seconds") or 0) / 3600, 1)
    # Visit frequency: distinct days with activity in the 30-day window, per week.
    figures["visits_per_week"] = round_half_away(Fraction((figures.get("visit_days") or 0) * 7, 30), 1)
    figures["advanced_share_percent"] = _share_of_seats(figures, "advanced_users", "advanced_share")
    figures["basic_share_percent"] = _share_of_seats(figures, "basic_users", "basic_share")
    return figures


# --- Reads of the interaction log for one account -------------------------------------------------
#
# The log is indexed on (account, kind, occurred_at) only (each extra index slows ingestion). An
# account's latest interactions across kinds are read on PostgreSQL as a merge of one short backward
# index scan per kind: the kinds the account has are found with a loose index scan (a recursive CTE,
# one index probe per kind), so a page costs ~30 short scans whatever the account's size, instead of
# reading and sorting every row of the account.

_ACCOUNT_KINDS_CTE = """
    account_kinds(kind) AS (
        (SELECT kind FROM interactions_interaction WHERE account_id = %(account)s ORDER BY kind LIMIT 1)
        UNION ALL
        SELECT (
            SELECT i.kind FROM interactions_interaction i
            WHERE i.account_id = %(account)s AND i.kind > k.kind ORDER BY i.kind LIMIT 1
        )
        FROM account_kinds k WHERE k.kind IS NOT NULL
    )"""


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _shown(interactions: QuerySet[Interaction]) -> QuerySet[Interaction]:
    """Only the columns the account page shows of an interaction and its person (with select_related
    "user"): the rest, the properties' JSON above all, would be read and decoded for nothing."""
    return interactions.only(
        "account_id", "kind", "subject_id", "occurred_at", "value", "user__full_name", "user__email"
    )


def _latest_interactions(
    *,
    account: Account,
    kinds_wanted: Iterable[str] | None = None,
    limit: int,
    before: tuple[datetime, int] | None = None,
) -> list[Interaction]:
    """The account's `limit` latest interactions (of `kinds_wanted`, or of every kind) with their
    people, latest first (occurred_at, then pk), strictly before the `before` (occurred_at, pk)
    cursor. One query."""
    rows = _shown(Interaction.objects.select_related("user")).order_by("-occurred_at", "-pk")
    if not _is_postgres():
        rows = rows.filter(account=account)
        if kinds_wanted is not None:
            rows = rows.filter(kind__in=list(kinds_wanted))
        if before is not None:
            rows = rows.filter(Q(occurred_at__lt=before[0]) | Q(occurred_at=before[0], pk__lt=before[1]))
        return list(rows[:limit])
    # The pks of the page: a merge of one short backward index scan per kind.
    if kinds_wanted is None:
        kinds_cte = _ACCOUNT_KINDS_CTE.replace("%(account)s", "%s")
        with_kinds, kinds_from, params = f"WITH RECURSIVE {kinds_cte}", "account_kinds k", [account.pk] * 2
    else:
        with_kinds, kinds_from, params = "", "unnest(%s::text[]) AS k(kind)", [list(kinds_wanted)]
    params.append(account.pk)
    after = ""
    if before is not None:
        after = "AND i.occurred_at <= %s AND (i.occurred_at < %s OR i.id < %s)"
        params += [before[0], before[0], before[1]]
    params += [limit, limit]
    # Only constant fragments are formatted in; every value is a parameter.
    page = f"""
        {with_kinds}
        SELECT latest.id FROM {kinds_from} CROSS JOIN LATERAL (
            SELECT i.id, i.occurred_at FROM interactions_interaction i
            WHERE i.account_id = %s AND i.kind = k.kind {after}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %s
        ) latest
        WHERE k.kind IS NOT NULL
        ORDER BY latest.occurred_at DESC, latest.id DESC LIMIT %s"""  # noqa: S608  # nosec B608
    return list(rows.filter(pk__in=RawSQL(page, params)))  # noqa: S611 - values are parameters  # nosec B611


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timeline_cursor(item: Interaction) -> str:
    """The "Load more" cursor after an interaction: "<microseconds since 1970>-<pk>"."""
    delta = item.occurred_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}-{item.pk}"


def parse_timeline_cursor(value: str | None) -> tuple[datetime, int] | None:
    """A timeline_cursor back as (occurred_at, pk); None when missing or malformed."""
    match = re.fullmatch(r"(-?\d{1,18})-(\d{1,18})", value or "", re.ASCII)
    if not match:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(match[1])), int(match[2])
    except OverflowError:
        return None


@dataclass
class TimelinePage:
    items: list[Interaction]
    # The cursor the page starts after (None: the latest), and the one of the next page.
    before: str | None
    has_more: bool

    @property
    def next_before(self) -> str:
        return timeline_cursor(self.items[-1]) if self.items else ""


def account_timeline_page(
    *, account: Account, before: str | None = None, size: int = TIMELINE_PAGE_SIZE
) -> TimelinePage:
    """One page of the account's interactions, latest first, after the `before` cursor (keyset
    pagination: a deep page costs what the first does). One query (no COUNT: one row more than
    the page tells whether another page exists). A malformed cursor gives the first page."""
    cursor = parse_timeline_cursor(before)
    rows = _latest_interactions(account=account, limit=size + 1, before=cursor)
    return TimelinePage(items=rows[:size], before=before if cursor else None, has_more=len(rows) > size)


_COVERAGE_PEOPLE_SQL = """
WITH RECURSIVE {kinds_cte},
recent AS (
    SELECT r.user_id, max(r.occurred_at) AS last_activity
    FROM account_kinds k CROSS JOIN LATERAL (
        SELECT i.user_id, i.occurred_at FROM interactions_interaction i
        WHERE i.account_id = %(account)s AND i.kind = k.kind
          AND i.occurred_at >= %(since)s AND i.occurred_at < %(now)s AND i.user_id IS NOT NULL
    ) r
    GROUP BY r.user_id
),
listed AS (
    -- Each recent person looked up by primary key (LIMIT 1 keeps the planner from hashing all
    -- of a large account's people instead, several times the work for a day's few hundred).
    (SELECT u.id, recent.last_activity FROM recent CROSS JOIN LATERAL (
        SELECT u.id, u.full_name FROM accounts_user u
        WHERE u.id = recent.user_id AND u.account_id = %(account)s AND u.is_active LIMIT 1
     ) u
     ORDER BY recent.last_activity DESC, u.full_name, u.id LIMIT %(limit)s)
    UNION ALL
    -- The whole window holds fewer active people than the page: the others, by name.
    (SELECT u.id, NULL FROM accounts_user u
     WHERE %(everyone)s AND u.account_id = %(account)s AND u.is_active
       AND u.id NOT IN (SELECT user_id FROM recent)
     ORDER BY u.full_name, u.id LIMIT %(limit)s)
),
-- Completions and certifications of the account's people in the window (the listed ones are joined
-- below): few rows, read on (account, kind, time).
counted AS (
    SELECT i.user_id,
           count(*) FILTER (WHERE i.kind = ANY(%(trained)s::text[])) AS completed,
           count(*) FILTER (WHERE i.kind = ANY(%(certified)s::text[])) AS certifications
    FROM interactions_interaction i
    WHERE i.account_id = %(account)s AND i.kind = ANY(%(counted)s::text[])
      AND i.occurred_at >= %(start)s AND i.occurred_at < %(now)s AND i.user_id IS NOT NULL
    GROUP BY i.user_id
),
-- How many people the account has (from the index alone).
people AS (
    SELECT count(*) AS n FROM accounts_user u WHERE u.account_id = %(account)s AND u.is_active
)
SELECT u.id, u.full_name, u.email, u.role, u.is_executive_sponsor, listed.last_activity,
       coalesce(counted.completed, 0) AS completed, coalesce(counted.certifications, 0) AS certifications,
       people.n AS people_total
FROM listed JOIN accounts_user u ON u.id = listed.id LEFT JOIN counted ON counted.user_id = listed.id
CROSS JOIN people
ORDER BY listed.last_activity DESC NULLS LAST, u.full_name, u.id
LIMIT %(limit)s
"""
# When the account has more active people than the page shows, the people list first reads only the
# account's activity of the last day: a large account's most recently active are all in it (one
# query); when they are not, or the account is small, it reads the whole window (small then).
COVERAGE_FIRST_BAND = timedelta(days=1)


def _coverage_postgres(*, account: Account, now: datetime, start: datetime, limit: int, busy: bool) -> dict:
    """The page of people and their number in one query; two when a `busy` account's last day is
    too quiet."""
    sql = _COVERAGE_PEOPLE_SQL.format(kinds_cte=_ACCOUNT_KINDS_CTE)
    params = {
        "account": account.pk,
        "now": now,
        "start": start,
        "limit": limit,
        "trained": list(TRAINED_KINDS),
        "certified": list(CERTIFIED_KINDS),
        "counted": [*TRAINED_KINDS, *CERTIFIED_KINDS],
    }
    people = []
    if busy and now - COVERAGE_FIRST_BAND > start:
        last_day = {**params, "since": now - COVERAGE_FIRST_BAND, "everyone": False}
        people = list(User.objects.raw(sql, last_day))
    if len(people) < limit:
        people = list(User.objects.raw(sql, {**params, "since": start, "everyone": True}))
    # Every row carries the number of people; no row means nobody (the whole window lists everyone).
    return {"people": people, "n": people[0].people_total if people else 0}


def account_learning_coverage(
    *,
    account: Account,
    now: datetime | None = None,
    limit: int = COVERAGE_PEOPLE_SHOWN,
    expected_people: int | None = None,
) -> dict:
    """The account's active people with, in the 12 months before `now`, their last activity and
    the courses or paths completed and certifications earned; in one query on PostgreSQL (two when
    a large account had a quiet last day) whatever the number of people or interactions (every
    count is windowed to those 12 months):
    {"people": the `limit` most recently active (people without activity in the window last, by
    name), "n": active people}. How many of them are trained and certified is the health score's
    (its snapshot's figures), shown beside them, not counted again here.

    `expected_people` (the latest snapshot's count) says whether the account is large enough for
    its page of people to come from its last day alone; a wrong guess costs a query, never a row.
    """
    now = now or timezone.now()
    start = now - TRAINED_WINDOW
    if _is_postgres():
        busy = expected_people is not None and expected_people > limit
        return _coverage_postgres(account=account, now=now, start=start, limit=limit, busy=busy)
    # Elsewhere (SQLite in development): the number of people, then per-person subqueries on the
    # (user, occurred_at) index.
    active = User.objects.filter(account=account, is_active=True)
    window = Interaction.objects.filter(
        user_id=OuterRef("pk"), account_id=account.pk, occurred_at__gte=start, occurred_at__lt=now
    ).order_by()

    def count_of(kinds_counted) -> Coalesce:
        counted = window.filter(kind__in=kinds_counted).values("user_id").annotate(c=Count("pk")).values("c")
        return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))

    people = list(
        active.only("pk", "full_name", "email", "role", "is_executive_sponsor")
        .annotate(
            last_activity=Subquery(window.order_by("-occurred_at").values("occurred_at")[:1]),
            completed=count_of(TRAINED_KINDS),
            certifications=count_of(CERTIFIED_KINDS),
        )
        .order_by(F("last_activity").desc(nulls_last=True), "full_name", "pk")[:limit]
    )
    return {"people": people, "n": active.count()}


def account_nps_answers(*, account: Account, limit: int = 20) -> list[Interaction]:
    """The latest NPS answers of the account's people (score in `value`), newest first."""
    return list(
        _shown(Interaction.objects.filter(account=account, kind=NPS_KIND).select_related("user")).order_by(
            "-occurred_at", "-pk"
        )[:limit]
    )


def account_idea_activity(*, account: Account, user: User, limit: int = 20) -> list[dict]:
    """Ideas the account's people submitted or voted for, newest first, with the idea's title
    (two queries: the interactions, the titles):
    [{"interaction", "idea_id", "title", "url"}]; title is None when the idea is
    gone or hidden from `user`."""
    rows = _latest_interactions(account=account, kinds_wanted=IDEA_KINDS, limit=limit)
    ids = {int(row.subject_id) for row in rows if row.subject_id.isdigit()}
    titles = (
        dict(Idea.objects.visible_to(user).filter(pk__in=ids).order_by().values_list("pk", "title"))
        if ids
        else {}
    )
    activity = []
    for row in rows:
        idea_id = int(row.subject_id) if row.subject_id.isdigit() else None
        title = titles.get(idea_id)
        activity.append(
            {
                "interaction": row,
                "idea_id": idea_id,
                "title": title,
                "url": reverse("idea_detail", args=[idea_id]) if title else None,
            }
        )
    return activity
