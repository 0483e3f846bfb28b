"""Writes to the interaction log: `record` for Cairn's own apps, `ingest_batch` for integrations."""

from __future__ import annotations

import functools
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from apps.accounts.models import Account, User
from apps.interactions import kinds
from apps.interactions.events import interaction_recorded
from apps.interactions.models import IntegrationToken, Interaction


def subject_ref(subject: Model) -> tuple[str, str]:
    return f"{subject._meta.app_label}.{subject._meta.model_name}", str(subject.pk)


def record(
    *,
    kind: str,
    user: User | None = None,
    account: Account | None = None,
    subject: Model | None = None,
    occurred_at: datetime | None = None,
    value: float | None = None,
    properties: dict | None = None,
) -> Interaction:
    """Append one interaction. Call it inside the service's own transaction, so the domain
    write and its interaction land together or not at all."""
    if kinds.get(kind) is None:
        raise ValueError(f"Unknown interaction kind {kind!r}: register it in interactions.kinds.")
    account_id = account.pk if account is not None else getattr(user, "account_id", None)
    subject_type, subject_id = subject_ref(subject) if subject is not None else ("", "")
    interaction = Interaction.objects.create(
        kind=kind,
        account_id=account_id,
        user=user,
        subject_type=subject_type,
        subject_id=subject_id,
        occurred_at=occurred_at or timezone.now(),
        value=value,
        properties=properties or {},
    )
    interaction_recorded.send(sender=Interaction, interaction=interaction)
    return interaction


def integration_token_create(
    *, name: str, source: str, created_by: User | None = None
) -> tuple[IntegrationToken, str]:
    """Create a token for an external system. The raw token is returned once and never stored."""
    raw = f"cairn_{secrets.token_urlsafe(32)}"
    token = IntegrationToken.objects.create(
        name=name,
        source=source,
        prefix=raw[:12],
        token_digest=IntegrationToken.digest(raw),
        created_by=created_by,
    )
    return token, raw


def integration_token_revoke(*, token: IntegrationToken) -> IntegrationToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@dataclass
class IngestionReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def ingest_batch(*, token: IntegrationToken, events: list[dict]) -> IngestionReport:
    """Store a batch of already-validated events from one integration, idempotently.

    Each event carries the integration's own `event_id`; an id seen before from the same source
    is counted as a duplicate and not stored again, so a client may retry a batch safely. The
    unique index (source, external_id) keeps this true under concurrent retries too: on
    PostgreSQL one INSERT … ON CONFLICT DO NOTHING stores the batch and its row count is the
    exact number of events stored now, whatever other requests do at the same moment.
    """
    report = IngestionReport()
    fresh: dict[str, dict] = {}
    for event in events:
        event_id = event["event_id"]
        if event_id in fresh:
            report.duplicates += 1
        else:
            fresh[event_id] = event
    if fresh:
        if connection.vendor == "postgresql":
            stored = _insert_postgresql(token.source, fresh)
        else:
            stored = _insert_portable(token.source, fresh)
        report.accepted = stored
        report.duplicates += len(fresh) - stored
    _touch(token)
    return report


# Columns the PostgreSQL ingestion statement fills from arrays, with their array types.
_ARRAY_COLUMNS = (
    ("external_id", "varchar[]"),
    ("kind", "varchar[]"),
    ("account_id", "bigint[]"),
    ("user_id", "bigint[]"),
    ("occurred_at", "timestamptz[]"),
    ("value", "float8[]"),
    ("subject_type", "varchar[]"),
    ("subject_id", "varchar[]"),
    ("properties", "text[]"),
)
_EMPTY_JSON = "{}"
# Refresh last_used_at at most this often: one token row updated by every batch would make
# concurrent requests queue on its lock, and "last used" needs no sub-minute precision.
LAST_USED_PRECISION = timedelta(minutes=1)


@functools.cache
def _insert_sql() -> str:
    meta = Interaction._meta
    quote = connection.ops.quote_name
    column = {f.attname: quote(f.column) for f in meta.concrete_fields}
    names = [name for name, _ in _ARRAY_COLUMNS]
    targets = ", ".join(column[name] for name in ("source", *names, "recorded_at"))
    selected = ", ".join(f"e.{name}" if name != "properties" else "e.properties::jsonb" for name in names)
    # %b: the arrays travel in binary (several times cheaper to encode than quoted text).
    arrays = ", ".join(f"%b::{kind}" for _, kind in _ARRAY_COLUMNS)
    # Only quoted identifiers from the model's metadata are interpolated; values are parameters.
    table, aliases = quote(meta.db_table), ", ".join(names)
    return f"INSERT INTO {table} ({targets}) SELECT %s, {selected}, %s FROM unnest({arrays}) AS e({aliases}) ON CONFLICT DO NOTHING"  # noqa: S608, E501  # nosec B608


def _insert_postgresql(source: str, fresh: dict[str, dict]) -> int:
    """One statement for the whole batch, rows in event_id order (so two requests inserting the
    same ids lock them in the same order and cannot deadlock); returns the rows stored."""
    columns = ([], [], [], [], [], [], [], [], [])
    external_id, kind, account_id, user_id, occurred_at, value, subject_type, subject_id, properties = columns
    dumps = json.dumps
    for event_id in sorted(fresh):
        event = fresh[event_id]
        external_id.append(event_id)
        kind.append(event["kind"])
        account_id.append(event["account_id"])
        user_id.append(event.get("user_id"))
        occurred_at.append(event["occurred_at"])
        value.append(event.get("value"))
        subject_type.append(event.get("subject_type", ""))
        subject_id.append(event.get("subject_id", ""))
        props = event.get("properties")
        properties.append(dumps(props) if props else _EMPTY_JSON)
    with _binding_cursor() as cursor:
        cursor.execute(_insert_sql(), [source, timezone.now(), *columns])
        return cursor.rowcount


def _binding_cursor():
    """A cursor with server-side parameter binding (Django's default cursors bind on the client,
    which cannot send binary parameters), wrapped like connection.cursor() so query logging,
    execute wrappers and error translation still apply."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _insert_portable(source: str, fresh: dict[str, dict]) -> int:
    """Other databases (the embedded SQLite): skip ids stored before, then insert the rest."""
    with transaction.atomic():
        seen = set(
            Interaction.objects.filter(source=source, external_id__in=list(fresh)).values_list(
                "external_id", flat=True
            )
        )
        rows = [
            Interaction(
                source=source,
                external_id=event_id,
                kind=event["kind"],
                account_id=event["account_id"],
                user_id=event.get("user_id"),
                occurred_at=event["occurred_at"],
                value=event.get("value"),
                subject_type=event.get("subject_type", ""),
                subject_id=event.get("subject_id", ""),
                properties=event.get("properties") or {},
            )
            for event_id, event in fresh.items()
            if event_id not in seen
        ]
        Interaction.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


def _touch(token: IntegrationToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
