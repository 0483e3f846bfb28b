"""Health configuration (versioned, per segment) and the daily health snapshot of every account."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account, Segment

COMPONENTS = ("adoption", "engagement", "proficiency", "sentiment", "support")
COMPONENT_LABELS = {
    "adoption": "Adoption",
    "engagement": "Engagement",
    "proficiency": "Proficiency",
    "sentiment": "Sentiment",
    "support": "Support",
}


class Band(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    NONE = "none", "No data"


def default_rules() -> list[dict]:
    """The default community health rules of METRICS.md, equal weights."""
    return [
        {
            "key": "content",
            "label": "Viewed content in the last 30 days",
            "kinds": ["learning.content_viewed", "community.idea_viewed", "community.question_viewed"],
            "window_days": 30,
            "weight": 1,
            "fix": "Nobody has opened a guide, discussion or course lately: share a learning path or an "
            "answered question that fits their current goal.",
        },
        {
            "key": "updates",
            "label": "Viewed a product update in the last 60 days",
            "kinds": ["roadmap.update_read"],
            "window_days": 60,
            "weight": 1,
            "fix": "Nobody has read a product update: send the latest release notes to the admins "
            "and the sponsor.",
        },
        {
            "key": "ideas",
            "label": "Submitted or voted on an idea in the last 180 days",
            "kinds": ["community.idea_submitted", "community.vote_cast"],
            "window_days": 180,
            "weight": 1,
            "fix": "Nobody has voted on or submitted an idea: invite them to vote on ideas in their area.",
        },
    ]


def default_weights() -> dict[str, float]:
    return dict.fromkeys(COMPONENTS, 1.0)


def default_core_kinds() -> list[str]:
    return ["product.feature_used"]


class HealthConfig(models.Model):
    """One version of the health rules for a segment ("" is the default for every segment).

    Versions are never edited: saving a change writes the next version, so every stored snapshot
    can say which rules, windows, weights and bands produced it.
    """

    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True, default="")
    version = models.PositiveIntegerField()
    rules = models.JSONField(default=default_rules)
    engaged_min_rules = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How many rules an account must meet to count as engaged; empty means all of them.",
    )
    weights = models.JSONField(default=default_weights)
    red_below = models.PositiveSmallIntegerField(default=40)
    green_from = models.PositiveSmallIntegerField(default=70)
    drop_threshold = models.FloatField(
        default=0.25,
        help_text="Flag a content engagement drop when views fall by more than this share.",
    )
    core_kinds = models.JSONField(
        default=default_core_kinds,
        help_text="The product's core actions; a user with enough different ones is an advanced user.",
    )
    advanced_min_features = models.PositiveSmallIntegerField(
        default=3, help_text="Distinct core features used in 30 days that make an advanced user."
    )
    support_ticket_penalty = models.PositiveSmallIntegerField(default=10)
    support_urgent_penalty = models.PositiveSmallIntegerField(default=25)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["segment", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "version"], name="health_config_version_once"),
            models.CheckConstraint(
                condition=Q(red_below__lte=models.F("green_from")), name="health_bands_ordered"
            ),
            models.CheckConstraint(condition=Q(green_from__lte=100), name="health_green_at_most_100"),
        ]

    def __str__(self):
        return f"{self.get_segment_display() or 'All segments'} v{self.version}"

    def clean(self):
        if self.red_below > self.green_from:
            raise ValidationError("Red must end at or below where green starts.")
        if not self.rules:
            raise ValidationError("Keep at least one engagement rule.")

    @property
    def required_rules(self) -> int:
        return self.engaged_min_rules or len(self.rules)

    def band(self, score: float | None) -> str:
        """Red below `red_below`; amber from `red_below` up to but not including `green_from`."""
        if score is None:
            return Band.NONE
        if score < self.red_below:
            return Band.RED
        if score < self.green_from:
            return Band.AMBER
        return Band.GREEN


class HealthSnapshotQuerySet(models.QuerySet):
    def latest_per_account(self):
        """The snapshots of the most recent day anything was computed."""
        last = self.order_by("-date").values("date")[:1]
        return self.filter(date=models.Subquery(last))


class HealthSnapshot(models.Model):
    """An account's health at the end of one day, with everything needed to explain it.

    `components` maps each component to its score (None = no data); `rules` maps each engagement
    rule's key to the latest interaction that satisfied it (None = not met); `figures` keeps the
    raw counts the components were computed from. The weights, rule labels and windows are the
    configuration version's (`config`, never changed once saved): they are not copied into every
    snapshot (scoring.component_parts and scoring.rule_results put the two together).
    """

    # No index of its own: the (account, date) constraint's index serves lookups by account.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="health_snapshots", db_index=False
    )
    date = models.DateField()
    config = models.ForeignKey(HealthConfig, on_delete=models.PROTECT, related_name="snapshots")
    score = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=5, choices=Band.choices, default=Band.NONE)
    engagement_score = models.FloatField(null=True, blank=True)
    rules_met = models.PositiveSmallIntegerField(default=0)
    engaged = models.BooleanField(default=False)
    engagement_drop = models.BooleanField(default=False)
    # The account as it was that day, so month-over-month reports group by then, not now.
    segment = models.CharField(max_length=20, choices=Segment.choices)
    arr = models.DecimalField(max_digits=14, decimal_places=2)
    components = models.JSONField(default=dict)
    rules = models.JSONField(default=dict)
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)

    objects = HealthSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "date"], name="health_snapshot_once_per_day"),
        ]
        indexes = [
            # The portfolio and its band summary: one day's snapshots by score, from the index alone.
            models.Index(
                fields=["date", "score"], include=["account", "band"], name="health_snapshot_portfolio"
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.date}: {self.score}"


# --- rollups of the interaction log --------------------------------------------------------------
#
# The daily recompute reads these instead of the log: a few hundred thousand narrow rows instead of
# millions of wide ones. They are maintained incrementally (apps.analytics.rollups.fold): every
# recompute first folds the interactions added since the last fold, so a score never misses one.


class KindDay(models.Model):
    """Per account, day (in the portal's time zone) and kind: how many interactions there were,
    the newest one's id (the interaction that satisfied a rule), urgent tickets and summed value."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    kind = models.CharField(max_length=64)
    count = models.PositiveIntegerField()
    urgent = models.PositiveIntegerField(default=0)
    value_sum = models.FloatField(null=True, blank=True)
    last_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "kind"], name="kind_day_once"),
        ]
        # The recompute reads a few kinds over their windows from the index alone.
        indexes = [
            models.Index(
                fields=["kind", "day"],
                include=["account", "count", "urgent", "value_sum", "last_id"],
                name="kind_day_kind_day",
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.day} {self.kind}: {self.count}"


class PersonDay(models.Model):
    """Per person, account and day: how many of their interactions were their own activity, and
    how many were training or certification (distinct people over any window come from these)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    actions = models.PositiveIntegerField(default=0)
    trained = models.PositiveIntegerField(default=0)
    certified = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account", "day"], name="person_day_once"),
        ]
        # Both read by the recompute from the index alone: the last 30 days, and a year of learning.
        indexes = [
            models.Index(
                fields=["day", "account"],
                include=["user", "actions", "trained", "certified"],
                name="person_day_day",
            ),
            models.Index(
                fields=["day", "account"],
                include=["user", "actions", "trained", "certified"],
                name="person_day_learning",
                condition=Q(trained__gt=0) | Q(certified__gt=0),
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.day}"


class FeatureDay(models.Model):
    """Which features (subjects) of the core-action kinds a person used on a day, whatever account
    the event named: advanced users are people of an account with at least K distinct ones in 30
    days. Only the kinds some health configuration names as core actions are kept
    (RollupState.subject_kinds); a newly named kind is backfilled."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day", "kind", "subject_id"], name="feature_day_once"),
        ]
        # The recompute reads 30 days of it from the index alone.
        indexes = [
            models.Index(fields=["day", "kind"], include=["user", "subject_id"], name="feature_day_day")
        ]

    def __str__(self):
        return f"{self.user_id} {self.day} {self.kind}:{self.subject_id}"


class RollupState(models.Model):
    """How far the rollups have folded the log: every interaction with id <= folded_through."""

    name = models.CharField(max_length=40, unique=True)
    folded_through = models.BigIntegerField(default=0)
    folded_at = models.DateTimeField(null=True, blank=True)
    subject_kinds = models.JSONField(default=list, help_text="The kinds FeatureDay keeps.")
    definition = models.CharField(
        max_length=64,
        blank=True,
        help_text="A digest of what the rollups were folded with (time zone, kinds); a change refolds them.",
    )

    def __str__(self):
        return f"{self.name} through {self.folded_through}"
