"""Writes of the analytics app: health configuration versions and the daily health snapshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Renewal, RenewalOutcome, User
from apps.accounts.services import ServiceError
from apps.analytics import rollups
from apps.analytics.models import (
    COMPONENTS,
    FeatureDay,
    HealthConfig,
    HealthSnapshot,
    KindDay,
    PersonDay,
    default_core_kinds,
)
from apps.analytics.rollups import (  # noqa: F401  (TRAINED_KINDS: re-exported for the reports)
    CERTIFIED_KINDS,
    SUPPORT_OPENED,
    TRAINED_KINDS,
    passive_kinds,
)
from apps.analytics.scoring import AccountCounts, score_account
from apps.core.bulk import insert, upsert
from apps.interactions import kinds as registry
from apps.interactions.models import Interaction

CONTENT_KINDS = ("learning.content_viewed", "community.idea_viewed", "community.question_viewed")
NPS_KIND = "survey.response_submitted"
SUPPORT_KINDS = ("support.ticket_opened", "support.ticket_closed")

ACTIVE_TIME_KINDS = ("portal.active_time", "learning.active_time")
ACTIVE_WINDOW = timedelta(days=30)
TRAINED_WINDOW = timedelta(days=365)
SUPPORT_WINDOW = timedelta(days=180)


MAX_RULES = 20  # each rule is one aggregate column of the recompute query
RULE_KEY = re.compile(r"^[a-z0-9_]{1,40}$")


class AnalyticsError(ServiceError):
    pass


def day_end(day: date) -> datetime:
    """The moment t a day's snapshot is taken at: midnight after the day, in the portal's zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


# --- configuration -----------------------------------------------------------------------------


def health_config_current(*, segment: str = "") -> HealthConfig:
    """The newest version for the segment, falling back to the default; version 1 is created on
    first use so a fresh install scores with the METRICS.md defaults."""
    config = HealthConfig.objects.filter(segment=segment).order_by("-version").first()
    if config is None and segment:
        return health_config_current(segment="")
    if config is None:
        config, _ = HealthConfig.objects.get_or_create(segment="", version=1)
    return config


def health_configs_current(*, at: datetime | None = None) -> dict[str, HealthConfig]:
    """{segment: the version in force} for every segment that has its own, plus "" (the default).

    With `at`, the version in force then: the newest saved before `at`, so recomputing a past day
    never stamps it with rules saved later. A segment whose own rules came later falls back to the
    default; before any default was saved (a backfill), the first default version applies.
    """
    health_config_current(segment="")  # makes sure version 1 of the default exists
    first_default = HealthConfig.objects.filter(segment="").order_by("version").first()
    configs = HealthConfig.objects.order_by("segment", "-version")
    if at is not None:
        configs = configs.filter(created_at__lt=at)
    newest = {}
    for config in configs:
        newest.setdefault(config.segment, config)
    newest.setdefault("", first_default)
    return newest


def _check_kinds(names: list[str], what: str) -> None:
    unknown = [name for name in names if registry.get(name) is None]
    if not names or unknown:
        raise AnalyticsError(f"{what}: choose interaction kinds from the list ({', '.join(unknown)}).")


def _clean_rules(rules: list[dict]) -> list[dict]:
    if not rules:
        raise AnalyticsError("Keep at least one engagement rule.")
    if len(rules) > MAX_RULES:
        raise AnalyticsError(f"Keep to at most {MAX_RULES} engagement rules.")
    cleaned, keys = [], set()
    for index, rule in enumerate(rules, start=1):
        key = str(rule.get("key") or f"rule{index}").strip()
        if not RULE_KEY.match(key):
            # Keys name SQL aliases in the recompute: keep them to a safe alphabet.
            raise AnalyticsError(f"Rule {index}: its key is lowercase letters, digits and _ (at most 40).")
        if key in keys:
            raise AnalyticsError(f"Two rules share the key {key!r}.")
        keys.add(key)
        _check_kinds(list(rule.get("kinds") or []), f"Rule {index}")
        window, weight = int(rule.get("window_days", 0)), float(rule.get("weight", 0))
        if not 1 <= window <= 730:
            raise AnalyticsError(f"Rule {index}: the window is 1 to 730 days.")
        if not 0 <= weight <= 100:
            raise AnalyticsError(f"Rule {index}: the weight is 0 to 100.")
        cleaned.append(
            {
                "key": key,
                "label": str(rule.get("label") or key)[:120],
                "kinds": list(rule["kinds"]),
                "window_days": window,
                "weight": weight,
                "fix": str(rule.get("fix", ""))[:300],
            }
        )
    return cleaned


def health_config_save(
    *,
    by: User,
    segment: str = "",
    rules: list[dict],
    weights: dict[str, float],
    red_below: int,
    green_from: int,
    engaged_min_rules: int | None = None,
    drop_threshold: float = 0.25,
    support_ticket_penalty: int = 10,
    support_urgent_penalty: int = 25,
    core_kinds: list[str] | None = None,
    advanced_min_features: int = 3,
    note: str = "",
) -> HealthConfig:
    """Write the next version of a segment's health rules. Stored snapshots keep their version."""
    if not (by.is_authenticated and by.is_cs_manager):
        raise AnalyticsError("Only a CS manager can change the health rules.")
    health_config_current(segment="")  # version 1 of the default exists, to lock on
    rules = _clean_rules(rules)
    if not 0 <= red_below <= green_from <= 100:
        raise AnalyticsError("Bands: red ends at or below where green starts, both within 0-100.")
    if set(weights) - set(COMPONENTS) or any(not 0 <= float(w) <= 100 for w in weights.values()):
        raise AnalyticsError("Component weights are 0 to 100.")
    if not any(float(w) for w in weights.values()):
        raise AnalyticsError("Give at least one component a weight.")
    if engaged_min_rules is not None and not 1 <= engaged_min_rules <= len(rules):
        raise AnalyticsError(f"An engaged account meets 1 to {len(rules)} rules.")
    core_kinds = list(core_kinds) if core_kinds is not None else default_core_kinds()
    _check_kinds(core_kinds, "Core actions")
    if not 1 <= advanced_min_features <= 50:
        raise AnalyticsError("An advanced user uses 1 to 50 distinct core features.")
    if not 0 <= drop_threshold < 1:
        raise AnalyticsError("The drop threshold is a share between 0 and 1.")
    for attempt in range(3):
        try:
            with transaction.atomic():
                # Saves queue on the first default version's row (it always exists), so the next
                # version number is read after any save in flight has committed.
                list(HealthConfig.objects.select_for_update().filter(segment="", version=1))
                last = HealthConfig.objects.filter(segment=segment).order_by("-version").first()
                return HealthConfig.objects.create(
                    segment=segment,
                    version=(last.version + 1) if last else 1,
                    rules=rules,
                    weights={name: float(weights.get(name, 0)) for name in COMPONENTS},
                    red_below=red_below,
                    green_from=green_from,
                    engaged_min_rules=engaged_min_rules,
                    drop_threshold=drop_threshold,
                    support_ticket_penalty=support_ticket_penalty,
                    support_urgent_penalty=support_urgent_penalty,
                    core_kinds=core_kinds,
                    advanced_min_features=advanced_min_features,
                    created_by=by,
                    note=note[:200],
                )
        except IntegrityError:
            # SQLite has no row locks: should two saves still collide, the unique (segment,
            # version) constraint catches it and the loser takes the next number.
            if attempt == 2:
                raise AnalyticsError("Someone else is saving these rules right now; try again.") from None
    raise AssertionError("unreachable")


# --- the daily recompute -----------------------------------------------------------------------


def accounts_active_on(day: date):
    """Accounts that were customers at the end of `day`: the contract had started, no renewal was
    lost on or before it, and the account is still active or had a renewal still ahead."""
    lost_before = Renewal.objects.filter(
        account_id=OuterRef("pk"), outcome=RenewalOutcome.LOST, close_date__lte=day
    )
    ahead = Renewal.objects.filter(account_id=OuterRef("pk"), close_date__gt=day)
    return (
        Account.objects.filter(Q(contract_start__isnull=True) | Q(contract_start__lte=day))
        .exclude(Exists(lost_before))
        .filter(Q(status=AccountStatus.ACTIVE) | Exists(ahead))
    )


def _window(t: datetime, days: int | timedelta) -> Q:
    span = days if isinstance(days, timedelta) else timedelta(days=days)
    return Q(occurred_at__gte=t - span, occurred_at__lt=t)


RECOMPUTE_WORK_MEM = "64MB"
RECOMPUTE_CONNECTIONS = 4  # the recompute's independent reads run on this many connections at once


@contextmanager
def _sort_memory(own_transaction: bool = True):
    """Let the recompute's grouped queries sort in memory (PostgreSQL's default work_mem of 4 MB
    spills their distinct counts to disk), and keep each on one process: the reads already run
    side by side on their own connections, and parallel workers for queries this short cost more
    to start than they save. For this transaction only."""
    if connection.vendor == "postgresql" and own_transaction:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SET LOCAL work_mem = '{RECOMPUTE_WORK_MEM}'; SET LOCAL max_parallel_workers_per_gather = 0"
            )
    yield


def _of(account_ids: list[int] | None) -> Q:
    """Rows of the given accounts, or of any account when None."""
    return Q(account_id__isnull=False) if account_ids is None else Q(account_id__in=account_ids)


def _days(day: date, days: int | timedelta) -> Q:
    """The rollup days of a window of `days` ending at the end of `day`: [t - days, t)."""
    span = days.days if isinstance(days, timedelta) else days
    return Q(day__gt=day - timedelta(days=span), day__lte=day)


def _kind_counts(day: date, configs: dict[str, HealthConfig], account_ids) -> dict[int, dict]:
    """Every windowed count by kind of every account (content views, tickets, active time, the
    rules' satisfying interactions), in one grouped pass over the KindDay rollup.

    Each distinct set of kinds is read once, by its own index-only scan over its longest window,
    and tagged with a number; every figure then filters on that number and its own days, which
    is much cheaper per row than comparing kind names (and a single OR of all the sets would
    read the table's rows instead of the index)."""
    figures: list[tuple[str, str, str, tuple[str, ...], int, int]] = [
        # name, aggregate, column, kinds, and the days (lo, hi]: offsets before `day`
        ("content_views", "SUM", "count", CONTENT_KINDS, 30, 0),
        ("content_views_before", "SUM", "count", CONTENT_KINDS, 60, 30),
        ("support_events", "SUM", "count", SUPPORT_KINDS, SUPPORT_WINDOW.days, 0),
        ("tickets_opened", "SUM", "count", (SUPPORT_OPENED,), 30, 0),
        ("urgent_tickets", "SUM", "urgent", (SUPPORT_OPENED,), 30, 0),
        ("active_seconds", "SUM", "value_sum", ACTIVE_TIME_KINDS, 30, 0),
    ]
    for config in configs.values():
        for rule in config.rules:
            figures.append(
                (
                    f"rule_{config.pk}_{rule['key']}",
                    "MAX",
                    "last_id",
                    tuple(rule["kinds"]),
                    rule["window_days"],
                    0,
                )
            )
    # One scan per set of kinds, over the union of its figures' days.
    spans: dict[frozenset[str], tuple[int, int]] = {}
    for *_, kinds, lo, hi in figures:
        key = frozenset(kinds)
        old_lo, old_hi = spans.get(key, (lo, hi))
        spans[key] = (max(old_lo, lo), min(old_hi, hi))
    tags = {kinds: tag for tag, kinds in enumerate(spans)}
    adapt = connection.ops.adapt_datefield_value
    scans, scan_params = [], []
    for kinds, tag in tags.items():
        lo, hi = spans[kinds]
        rows = KindDay.objects.filter(
            _of(account_ids),
            kind__in=sorted(kinds),
            day__gt=day - timedelta(days=lo),
            day__lte=day - timedelta(days=hi),
        ).values("account_id", "day", "count", "urgent", "value_sum", "last_id")
        sql, params = rows.query.sql_with_params()
        scans.append(f"SELECT {tag} AS tag, * FROM ({sql}) AS scan_{tag}")  # noqa: S608  # nosec B608
        scan_params.extend(params)
    aggregates, aggregate_params = [], []
    for name, function, column, kinds, lo, hi in figures:
        tag = tags[frozenset(kinds)]
        condition = f"tag = {tag}"
        if (lo, hi) != spans[frozenset(kinds)]:
            condition += " AND day > %s AND day <= %s"
            aggregate_params.extend([adapt(day - timedelta(days=lo)), adapt(day - timedelta(days=hi))])
        aggregates.append(
            f"{function}({column}) FILTER (WHERE {condition}) AS {connection.ops.quote_name(name)}"
        )
    # Names are the figures' own and the rules' keys (RULE_KEY); every value is a parameter.
    sql = (
        f"SELECT account_id, {', '.join(aggregates)} "  # noqa: S608  # nosec B608
        f"FROM ({' UNION ALL '.join(scans)}) AS kinds GROUP BY account_id"
    )
    names = [name for name, *_ in figures]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*aggregate_params, *scan_params])  # in the order they appear in the text
        found = cursor.fetchall()
    return {
        row[0]: {
            name: value if name.startswith("rule_") else value or 0
            for name, value in zip(names, row[1:], strict=True)
        }
        for row in found
    }


def _person_counts(day: date, account_ids) -> dict[int, dict]:
    """Active people and visit days in 30 days, trained and certified people in 12 months, from
    the PersonDay rollup."""
    active = _days(day, ACTIVE_WINDOW) & Q(actions__gt=0)
    rows = (
        PersonDay.objects.filter(_of(account_ids))
        .filter(
            _days(day, ACTIVE_WINDOW) | (_days(day, TRAINED_WINDOW) & (Q(trained__gt=0) | Q(certified__gt=0)))
        )
        .order_by()
        .values("account_id")
        .annotate(
            active_users=Count("user_id", distinct=True, filter=active),
            visit_days=Count("day", distinct=True, filter=active),
            trained_users=Count(
                "user_id", distinct=True, filter=_days(day, TRAINED_WINDOW) & Q(trained__gt=0)
            ),
            certified_users=Count(
                "user_id", distinct=True, filter=_days(day, TRAINED_WINDOW) & Q(certified__gt=0)
            ),
        )
    )
    return {row.pop("account_id"): row for row in rows}


def _nps_counts(t: datetime, account_ids) -> dict[int, dict]:
    """Promoters, detractors and respondents per account: each person's latest answer in 12 months."""
    later = Interaction.objects.filter(kind=NPS_KIND, user_id=OuterRef("user_id"), occurred_at__lt=t).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    rows = (
        Interaction.objects.filter(_of(account_ids), kind=NPS_KIND, user__isnull=False)
        .filter(_window(t, TRAINED_WINDOW))
        .exclude(Exists(later))
        .order_by()
        .values("account_id")
        .annotate(
            n=Count("id"),
            promoters=Count("id", filter=Q(value__gte=9)),
            detractors=Count("id", filter=Q(value__lte=6)),
        )
    )
    return {row["account_id"]: row for row in rows}


def _user_counts(t: datetime, account_ids) -> dict[int, dict]:
    """People per account on the day, counted from the covering index (user_active_by_account)
    alone."""
    return {
        row["account_id"]: {"users": row["users"]}
        for row in User.objects.filter(_of(account_ids), is_active=True, date_joined__lt=t)
        .order_by()
        .values("account_id")
        .annotate(users=Count("*"))
    }


def _advanced_counts(day: date, configs: dict[str, HealthConfig], account_ids) -> dict[int, dict]:
    """How many active people of each account used at least K distinct core features in the last
    30 days, in events naming any account or none (per config, since segments may define core
    actions differently). The people with K features are found with two hash aggregates (a
    COUNT(DISTINCT) would sort), and one row per account comes back."""
    advanced: dict[int, dict] = {}
    for config in configs.values():
        used = (
            FeatureDay.objects.filter(_days(day, ACTIVE_WINDOW), kind__in=config.core_kinds)
            .order_by()
            .values("user_id", "subject_id")
            .distinct()
        )
        select, params = used.query.sql_with_params()
        heavy_users = RawSQL(  # noqa: S611  (the SQL of a queryset; values are parameters)  # nosec B611
            f"SELECT user_id FROM ({select}) AS used GROUP BY user_id HAVING COUNT(*) >= %s",  # noqa: S608  # nosec B608
            (*params, config.advanced_min_features),
        )
        rows = (
            User.objects.filter(_of(account_ids), is_active=True, pk__in=heavy_users)
            .order_by()
            .values("account_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            advanced.setdefault(row["account_id"], {})[f"advanced_{config.pk}"] = row["n"]
    return advanced


def _gather(jobs: dict[str, Callable[[], dict]]) -> dict[str, dict]:
    """Run the recompute's independent read queries. Outside a transaction on PostgreSQL, each on
    its own connection at the same time (the database works on them in parallel); inside one (a
    caller's transaction must see its own writes), one after the other on this connection."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or not connection.get_autocommit():
        nested = connection.in_atomic_block or not connection.get_autocommit()
        with transaction.atomic(), _sort_memory(own_transaction=not nested):
            return {name: job() for name, job in jobs.items()}
    with ThreadPoolExecutor(max_workers=RECOMPUTE_CONNECTIONS, thread_name_prefix="recompute") as pool:
        futures = {name: pool.submit(_on_own_connection, job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def _on_own_connection(job: Callable[[], dict]) -> dict:
    try:
        with transaction.atomic(), _sort_memory():
            return job()
    finally:
        connection.close()  # this thread's connection


def health_recompute(*, day: date | None = None, account_ids: list[int] | None = None) -> int:
    """Compute and store the health snapshot of every account active at the end of `day`
    (default today, as of now), in a fixed number of queries whatever the number of accounts.
    Idempotent: recomputing a day with the same data writes the same rows.

    `account_ids` limits the work to some accounts (refreshing one account after new activity).
    Returns the number of snapshots written.
    """
    day = day or timezone.localdate()
    t = day_end(day)
    configs = health_configs_current(at=t)
    active = accounts_active_on(day)
    if account_ids is not None:
        active = active.filter(pk__in=account_ids)
    rollups.fold()
    # The rollup queries read every account's rows (or the given accounts'), without a join on
    # which accounts were customers that day: only those are scored below.
    # Longest first: started in this order, the shorter reads fill in beside the longer ones, and
    # no long read is left running alone at the end while the other connections idle.
    found = _gather(
        {
            "advanced": lambda: _advanced_counts(day, configs, account_ids),
            "kinds": lambda: _kind_counts(day, configs, account_ids),
            "people": lambda: _person_counts(day, account_ids),
            "users": lambda: _user_counts(t, account_ids),
            "nps": lambda: _nps_counts(t, account_ids),
            "accounts": lambda: list(active.values("pk", "segment", "arr", "licensed_seats")),
        }
    )
    accounts = found["accounts"]
    if not accounts:
        _drop_stale(day, account_ids=account_ids)
        return 0
    counts, nps, people = found["kinds"], found["nps"], found["users"]
    for account_id, row in found["people"].items():
        counts.setdefault(account_id, {}).update(row)
    for account_id, advanced in found["advanced"].items():
        people.setdefault(account_id, {"users": 0}).update(advanced)

    def snapshots():
        for account in accounts:
            config = configs.get(account["segment"], configs[""])
            row = counts.get(account["pk"], {})
            answers = nps.get(account["pk"], {})
            result = score_account(
                AccountCounts(
                    licensed_seats=account["licensed_seats"],
                    users=people.get(account["pk"], {}).get("users", 0),
                    active_users=row.get("active_users", 0),
                    advanced_users=people.get(account["pk"], {}).get(f"advanced_{config.pk}", 0),
                    rule_hits={
                        rule["key"]: row.get(f"rule_{config.pk}_{rule['key']}") for rule in config.rules
                    },
                    content_views=row.get("content_views", 0),
                    content_views_before=row.get("content_views_before", 0),
                    trained_users=row.get("trained_users", 0),
                    certified_users=row.get("certified_users", 0),
                    support_events=row.get("support_events", 0),
                    tickets_opened=row.get("tickets_opened", 0),
                    urgent_tickets=row.get("urgent_tickets", 0),
                    nps_responses=answers.get("n", 0),
                    promoters=answers.get("promoters", 0),
                    detractors=answers.get("detractors", 0),
                    active_seconds=float(row.get("active_seconds") or 0),
                    visit_days=row.get("visit_days", 0),
                ),
                config,
            )
            yield {
                "account_id": account["pk"],
                "date": day,
                "config_id": config.pk,
                "score": result.score,
                "band": result.band,
                "engagement_score": result.engagement_score,
                "rules_met": result.rules_met,
                "engaged": result.engaged,
                "engagement_drop": result.engagement_drop,
                "segment": account["segment"],
                "arr": account["arr"],
                "components": result.components,
                "rules": result.rules,
                "figures": result.figures,
            }

    nested = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not nested:
            # Snapshots are derived data a rerun rebuilds: no need to wait for the disk at commit
            # (only in this transaction, never in a caller's).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        # The day's first full recompute (the common case) has nothing stale to drop and inserts
        # every snapshot straight away.
        first = account_ids is None and not HealthSnapshot.objects.filter(date=day).exists()
        if not first:
            _drop_stale(day, account_ids=account_ids)
        # Scored one account at a time straight into the write, so the database stores the first
        # snapshots while Python still scores the last.
        _write_snapshots(snapshots(), first=first)
    return len(accounts)


SNAPSHOT_FIELDS = [
    "config",
    "score",
    "band",
    "engagement_score",
    "rules_met",
    "engaged",
    "engagement_drop",
    "segment",
    "arr",
    "components",
    "rules",
    "figures",
]


def _write_snapshots(snapshots: Iterator[dict], *, first: bool) -> None:
    """Insert the day's snapshots when none was written yet (`first`), or update them where the
    day was computed before."""
    written: list[dict] = []

    def kept():
        for snapshot in snapshots:
            written.append(snapshot)
            yield snapshot

    if first:
        try:
            with transaction.atomic():
                insert(HealthSnapshot, kept())
            return
        except IntegrityError:  # another recompute of the same day got there first
            written.extend(snapshots)
    else:
        written.extend(snapshots)
    upsert(HealthSnapshot, written, unique_fields=["account", "date"], update_fields=SNAPSHOT_FIELDS)


def _drop_stale(day: date, *, account_ids: list[int] | None) -> None:
    """Remove the day's snapshots of accounts that were not customers that day (after a CRM fix)."""
    stale = HealthSnapshot.objects.filter(date=day).exclude(
        account_id__in=accounts_active_on(day).values("pk")
    )
    if account_ids is not None:
        stale = stale.filter(account_id__in=account_ids)
    stale.delete()
