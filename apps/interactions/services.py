"""Writes to the interaction log: `record` for Cairn's own apps, `ingest_batch` for integrations."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
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
    unique index (source, external_id) keeps this true under concurrent retries too.
    """
    report = IngestionReport()
    source = token.source
    fresh: dict[str, Interaction] = {}
    for event in events:
        event_id = event["event_id"]
        if event_id in fresh:
            report.duplicates += 1
            continue
        fresh[event_id] = Interaction(
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
    with transaction.atomic():
        seen = set(
            Interaction.objects.filter(source=source, external_id__in=list(fresh)).values_list(
                "external_id", flat=True
            )
        )
        rows = [row for event_id, row in fresh.items() if event_id not in seen]
        report.duplicates += len(seen)
        Interaction.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        report.accepted = len(rows)
        IntegrationToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return report
