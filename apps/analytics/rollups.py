"""Incremental rollups of the interaction log (KindDay, PersonDay) for the health recompute.

`fold()` adds every interaction with an id above the watermark to the rollups, with one
INSERT … SELECT … ON CONFLICT DO UPDATE per rollup (counts add up, the newest id wins), and moves
the watermark. The log is append-only, so a fold never revisits a row.

The watermark must never pass an id whose row is not yet committed, or that row would be skipped
for good. On PostgreSQL the high mark is read under a brief SHARE lock on the log, which waits for
the transactions writing to it to finish (an INSERT holds its lock from before it draws its id),
so every id at or below the mark is final. SQLite has a single writer, so the mark it reads is
final too.

The day of an interaction is its date in the portal's time zone (TIME_ZONE), the same days the
health windows are counted in. The rollups remember a digest of that zone and of the kinds they
were folded with (a person's own activity, training, certification, urgent tickets); when it no
longer matches, the next fold refolds the whole log, in one transaction, so readers keep seeing
the old rollups until the new ones are complete.

Run folds (and so health_recompute) outside a transaction: inside one, PostgreSQL keeps the SHARE
lock, and with it every writer to the log, waiting until that transaction ends.
"""

from __future__ import annotations

import hashlib
import json
import logging

from django.db import OperationalError, connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.analytics.models import FeatureDay, HealthConfig, KindDay, PersonDay, RollupState
from apps.interactions import kinds as registry
from apps.interactions.kinds import URGENT_SEVERITIES
from apps.interactions.models import Interaction
from apps.learning.kinds import TRAINED_KINDS

logger = logging.getLogger(__name__)

STATE = "daily"
CHUNK = 1_000_000  # ids per statement, so a first fold of a large log keeps its memory bounded
SUPPORT_OPENED = "support.ticket_opened"
CERTIFIED_KINDS = ("certification.earned",)
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


LOCK_TIMEOUT = "5s"


class LogBusy(Exception):
    """A writer held the log longer than LOCK_TIMEOUT: fold next time."""


def _high_mark() -> int:
    """The highest id of the log that no running transaction can still add below."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; "
                        f"LOCK TABLE {Interaction._meta.db_table} IN SHARE MODE"
                    )
            return Interaction.objects.aggregate(high=Max("id"))["high"] or 0
    except OperationalError as error:  # lock_timeout: a long transaction is writing to the log
        raise LogBusy from error


def definition() -> str:
    """A digest of everything the rollups' contents depend on besides the log itself."""
    parts = {
        "zone": timezone.get_current_timezone_name(),
        "passive": sorted(passive_kinds()),
        "trained": sorted(TRAINED_KINDS),
        "certified": sorted(CERTIFIED_KINDS),
        "urgent": sorted(URGENT_SEVERITIES),
        "opened": SUPPORT_OPENED,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if connection.vendor == "postgresql" else f"MAX({a}, {b})"


def _upsert(model, queryset, columns: list[str], keys: list[str], merge: dict[str, str] | None) -> None:
    """INSERT the grouped `queryset` into `model`'s table, merging with rows already there."""
    table = connection.ops.quote_name(model._meta.db_table)
    select, params = queryset.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    if merge:
        action = "UPDATE SET " + ", ".join(  # quoted column names, fixed SQL  # nosec B608
            f"{connection.ops.quote_name(c)} = {expr}" for c, expr in merge.items()
        )
    else:
        action = "NOTHING"
    # Names come from the model and the grouped queryset; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM ({select}) AS delta WHERE 1 = 1 "  # noqa: S608  # nosec B608
        f"ON CONFLICT ({', '.join(keys)}) DO {action}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _fold_subjects(low: int, high: int, subject_kinds: list[str]) -> None:
    """The features of the core-action kinds each person used each day (any account, or none)."""
    if not subject_kinds:
        return
    by_subject = (
        Interaction.objects.filter(id__gt=low, id__lte=high, user__isnull=False, kind__in=subject_kinds)
        .order_by()
        .annotate(day=TruncDate("occurred_at"))
        .values("user_id", "day", "kind", "subject_id")
        .distinct()
    )
    _upsert(
        FeatureDay,
        by_subject,
        ["user_id", "day", "kind", "subject_id"],
        ["user_id", "day", "kind", "subject_id"],
        None,
    )


def _ranges(low: int, high: int):
    while low < high:
        yield low, min(high, low + CHUNK)
        low += CHUNK


def _log(low: int, high: int):
    return Interaction.objects.filter(id__gt=low, id__lte=high, account__isnull=False).order_by()


def _fold_range(low: int, high: int, subject_kinds: list[str]) -> None:
    """Add the interactions with low < id <= high to the rollups."""
    rows = _log(low, high)
    _fold_subjects(low, high, subject_kinds)
    by_kind = (
        rows.annotate(day=TruncDate("occurred_at"))
        .values("account_id", "day", "kind")
        .annotate(
            count=Count("id"),
            urgent=Count("id", filter=Q(kind=SUPPORT_OPENED, properties__severity__in=URGENT_SEVERITIES)),
            value_sum=Sum("value"),
            last_id=Max("id"),
        )
    )
    table = KindDay._meta.db_table
    _upsert(
        KindDay,
        by_kind,
        ["account_id", "day", "kind", "count", "urgent", "value_sum", "last_id"],
        ["account_id", "day", "kind"],
        {
            "count": f"{table}.count + excluded.count",
            "urgent": f"{table}.urgent + excluded.urgent",
            "value_sum": f"CASE WHEN excluded.value_sum IS NULL THEN {table}.value_sum "
            f"ELSE COALESCE({table}.value_sum, 0) + excluded.value_sum END",
            "last_id": _greatest(f"{table}.last_id", "excluded.last_id"),
        },
    )
    by_person = (
        rows.filter(user__isnull=False)
        .annotate(day=TruncDate("occurred_at"))
        .values("account_id", "user_id", "day")
        .annotate(
            actions=Count("id", filter=~Q(kind__in=passive_kinds())),
            trained=Count("id", filter=Q(kind__in=TRAINED_KINDS)),
            certified=Count("id", filter=Q(kind__in=CERTIFIED_KINDS)),
        )
    )
    table = PersonDay._meta.db_table
    _upsert(
        PersonDay,
        by_person,
        ["account_id", "user_id", "day", "actions", "trained", "certified"],
        ["user_id", "account_id", "day"],
        {name: f"{table}.{name} + excluded.{name}" for name in ("actions", "trained", "certified")},
    )


def _core_kinds() -> set[str]:
    """Every kind some health configuration (any version) names as a core action."""
    return {kind for kinds in HealthConfig.objects.values_list("core_kinds", flat=True) for kind in kinds}


def fold() -> int:
    """Fold every committed interaction not yet in the rollups; returns the new watermark.
    Concurrent folds wait for each other (a row lock on the watermark), so nothing counts twice.
    When a long transaction holds the log, nothing is folded this time (the next fold catches up)."""
    try:
        high = _high_mark()
    except LogBusy:
        logger.warning(
            "The interaction log was busy for %s; the rollups were not brought up to date.", LOCK_TIMEOUT
        )
        return RollupState.objects.filter(name=STATE).values_list("folded_through", flat=True).first() or 0
    return _fold_through(high, refold=False)


def rebuild() -> int:
    """Fold the whole log again, in one transaction: readers see the old rollups until it commits."""
    return _fold_through(_high_mark(), refold=True)


def _fold_through(high: int, *, refold: bool) -> int:
    wanted, digest = _core_kinds(), definition()
    with transaction.atomic():
        state, _ = RollupState.objects.select_for_update().get_or_create(name=STATE)
        refold = refold or state.definition != digest
        if refold:
            KindDay.objects.all().delete()
            PersonDay.objects.all().delete()
            FeatureDay.objects.all().delete()
            state.folded_through, state.subject_kinds, state.definition = 0, [], digest
        new_kinds = sorted(wanted - set(state.subject_kinds))
        if not refold and not new_kinds and high <= state.folded_through:
            return state.folded_through
        # A kind just named as a core action: its history up to the watermark, then the rest.
        for low, top in _ranges(0, state.folded_through):
            _fold_subjects(low, top, new_kinds)
        state.subject_kinds = sorted({*state.subject_kinds, *new_kinds})
        for low, top in _ranges(state.folded_through, high):
            _fold_range(low, top, state.subject_kinds)
        state.folded_through = max(high, state.folded_through)
        state.folded_at = timezone.now()
        state.save()
    return state.folded_through
