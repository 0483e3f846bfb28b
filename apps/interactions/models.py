"""The append-only interaction log, and the tokens integrations use to write to it."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account


class Interaction(models.Model):
    """One thing a person (or an account, for product and support events) did, at a moment.

    Rows are never updated. Indexes are few on purpose: each extra B-tree index halves bulk
    ingestion throughput. (account, kind, occurred_at) serves per-account windowed queries; a
    partial index serves the NPS answers; a BRIN index on occurred_at (PostgreSQL, see migration 0002) serves
    time-range scans; the partial unique index on (source, external_id) makes ingestion retries
    idempotent.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.CharField(max_length=64, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    value = models.FloatField(null=True, blank=True)
    properties = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=64, default="cairn")
    # NULL, not "", for native interactions: the unique index covers only ids integrations sent.
    external_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [
            # With the person, so an account's people (the 360 page's learning coverage and who
            # was active when) are read from the index alone, never from the log's wide rows.
            models.Index(
                fields=["account", "kind", "occurred_at"],
                include=["user"],
                name="interaction_account_kind_time",
            ),
            models.Index(fields=["user", "occurred_at"], name="interaction_user_time"),
            # Each person's latest NPS answer (the sentiment of the health score): a few thousand
            # rows among millions, so a partial index costs ingestion nothing for other kinds.
            models.Index(
                fields=["user", "occurred_at", "id"],
                name="interaction_nps_answers",
                condition=Q(kind="survey.response_submitted"),
                include=["account", "value"],
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="interaction_unique_external_id",
            ),
        ]

    def __str__(self):
        return f"{self.kind} by {self.user_id or self.account_id} at {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        from apps.interactions import kinds

        return kinds.label(self.kind)


class IntegrationTokenQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True)


class IntegrationToken(models.Model):
    """A bearer token with which one external system sends events. Only a digest is stored."""

    name = models.CharField(
        max_length=100, unique=True, help_text="The system that sends events, e.g. 'Zendesk'."
    )
    source = models.SlugField(
        max_length=64, unique=True, help_text="Stored on each event; event ids are unique per source."
    )
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters, to recognise it."
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = IntegrationTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(source="cairn"), name="integration_source_not_cairn"),
        ]

    def __str__(self):
        return self.name

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None
