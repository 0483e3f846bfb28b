"""Writes of the analytics app: health configuration versions and the daily health snapshots."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Renewal, RenewalOutcome, User
from apps.accounts.services import ServiceError
from apps.analytics.models import COMPONENTS, HealthConfig, HealthSnapshot, default_core_kinds
from apps.analytics.scoring import AccountCounts, score_account
from apps.interactions import kinds as registry
from apps.interactions.kinds import URGENT_SEVERITIES
from apps.interactions.models import Interaction
from apps.learning.kinds import TRAINED_KINDS

CONTENT_KINDS = ("learning.content_viewed", "community.idea_viewed", "community.question_viewed")
CERTIFIED_KINDS = ("certification.earned",)
NPS_KIND = "survey.response_submitted"
SUPPORT_OPENED = "support.ticket_opened"
SUPPORT_KINDS = ("support.ticket_opened", "support.ticket_closed")

ACTIVE_TIME_KINDS = ("portal.active_time", "learning.active_time")
# Things that happen *to* a person (an invitation sent, a certificate expiring) or that the vendor
# does (a ticket closed, a meeting a CS manager logged) do not make anyone at the account active.
PASSIVE_KINDS = (
    "survey.invitation_sent",
    "certification.expired",
    "certification.revoked",
    "learning.session_promoted",
    "support.ticket_closed",
    "engagement.message",
)
VENDOR_CATEGORIES = ("one_to_one",)


def passive_kinds() -> list[str]:
    """Kinds that do not count as a person's own activity (utilisation, visit days)."""
    vendor = [kind.name for kind in registry.all_kinds() if kind.category in VENDOR_CATEGORIES]
    return [*PASSIVE_KINDS, *vendor]


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


def _interaction_counts(t: datetime, configs: dict[str, HealthConfig], account_ids) -> dict[int, dict]:
    """One pass over the log with conditional aggregates: every windowed count of every account."""
    passive = passive_kinds()
    aggregates = {
        "active_users": Count(
            "user_id", distinct=True, filter=_window(t, ACTIVE_WINDOW) & ~Q(kind__in=passive)
        ),
        "content_views": Count("id", filter=_window(t, 30) & Q(kind__in=CONTENT_KINDS)),
        "content_views_before": Count(
            "id",
            filter=Q(
                kind__in=CONTENT_KINDS,
                occurred_at__gte=t - timedelta(days=60),
                occurred_at__lt=t - timedelta(days=30),
            ),
        ),
        "trained_users": Count(
            "user_id", distinct=True, filter=_window(t, TRAINED_WINDOW) & Q(kind__in=TRAINED_KINDS)
        ),
        "certified_users": Count(
            "user_id", distinct=True, filter=_window(t, TRAINED_WINDOW) & Q(kind__in=CERTIFIED_KINDS)
        ),
        "support_events": Count("id", filter=_window(t, SUPPORT_WINDOW) & Q(kind__in=SUPPORT_KINDS)),
        "tickets_opened": Count("id", filter=_window(t, 30) & Q(kind=SUPPORT_OPENED)),
        "urgent_tickets": Count(
            "id",
            filter=_window(t, 30) & Q(kind=SUPPORT_OPENED, properties__severity__in=URGENT_SEVERITIES),
        ),
        "active_seconds": Sum("value", filter=_window(t, 30) & Q(kind__in=ACTIVE_TIME_KINDS)),
        "visit_days": Count(
            TruncDate("occurred_at"),
            distinct=True,
            filter=_window(t, 30) & Q(user__isnull=False) & ~Q(kind__in=passive),
        ),
    }
    longest = max([365, 180, 60, *(rule["window_days"] for c in configs.values() for rule in c.rules)])
    for config in configs.values():
        for rule in config.rules:
            aggregates[f"rule_{config.pk}_{rule['key']}"] = Max(
                "id", filter=_window(t, rule["window_days"]) & Q(kind__in=rule["kinds"])
            )
    rows = (
        Interaction.objects.filter(account_id__in=account_ids)
        .filter(_window(t, longest))
        .order_by()
        .values("account_id")
        .annotate(**aggregates)
    )
    return {row["account_id"]: row for row in rows}


def _nps_counts(t: datetime, account_ids) -> dict[int, dict]:
    """Promoters, detractors and respondents per account: each person's latest answer in 12 months."""
    later = Interaction.objects.filter(kind=NPS_KIND, user_id=OuterRef("user_id"), occurred_at__lt=t).filter(
        Q(occurred_at__gt=OuterRef("occurred_at"))
        | Q(occurred_at=OuterRef("occurred_at"), id__gt=OuterRef("id"))
    )
    rows = (
        Interaction.objects.filter(kind=NPS_KIND, account_id__in=account_ids, user__isnull=False)
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


def _people_counts(t: datetime, configs: dict[str, HealthConfig], account_ids) -> dict[int, dict]:
    """Users per account on the day, and how many used at least K distinct core features in the
    last 30 days (per config, since segments may define core actions differently). One query."""
    people = User.objects.filter(account_id__in=account_ids, is_active=True)
    aggregates = {"users": Count("id", filter=Q(date_joined__lt=t))}
    for config in configs.values():
        features = (
            Interaction.objects.filter(user_id=OuterRef("pk"), kind__in=config.core_kinds)
            .filter(_window(t, ACTIVE_WINDOW))
            .order_by()
            .values("user_id")
            .annotate(n=Count("subject_id", distinct=True))
            .values("n")[:1]
        )
        name = f"features_{config.pk}"
        people = people.annotate(**{name: Subquery(features)})
        aggregates[f"advanced_{config.pk}"] = Count(
            "id", filter=Q(**{f"{name}__gte": config.advanced_min_features})
        )
    rows = people.order_by().values("account_id").annotate(**aggregates)
    return {row["account_id"]: row for row in rows}


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
    accounts = accounts_active_on(day)
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    accounts = list(accounts.values("pk", "segment", "arr", "licensed_seats"))
    ids = [a["pk"] for a in accounts]
    if not ids:
        _drop_stale(day, keep=[], account_ids=account_ids)
        return 0
    id_filter = ids if account_ids is not None else Account.objects.values("pk")
    counts = _interaction_counts(t, configs, id_filter)
    nps = _nps_counts(t, id_filter)
    people = _people_counts(t, configs, id_filter)
    snapshots = []
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
                rule_hits={rule["key"]: row.get(f"rule_{config.pk}_{rule['key']}") for rule in config.rules},
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
        snapshots.append(
            HealthSnapshot(
                account_id=account["pk"],
                date=day,
                config=config,
                score=result.score,
                band=result.band,
                engagement_score=result.engagement_score,
                rules_met=result.rules_met,
                engaged=result.engaged,
                engagement_drop=result.engagement_drop,
                segment=account["segment"],
                arr=account["arr"],
                components=result.components,
                rules=result.rules,
                figures=result.figures,
            )
        )
    with transaction.atomic():
        _drop_stale(day, keep=ids, account_ids=account_ids)
        HealthSnapshot.objects.bulk_create(
            snapshots,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["account", "date"],
            update_fields=[
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
            ],
        )
    return len(snapshots)


def _drop_stale(day: date, *, keep: list[int], account_ids: list[int] | None) -> None:
    """Remove the day's snapshots of accounts that were not customers that day (after a CRM fix)."""
    stale = HealthSnapshot.objects.filter(date=day).exclude(account_id__in=keep)
    if account_ids is not None:
        stale = stale.filter(account_id__in=account_ids)
    stale.delete()


def health_recompute_range(*, start: date, end: date, step_days: int = 1) -> int:
    """Recompute every `step_days`-th day in [start, end]; for backfills."""
    written, day = 0, start
    while day <= end:
        written += health_recompute(day=day)
        day += timedelta(days=step_days)
    return written
