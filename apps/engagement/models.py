"""Engagement models: which moments each kind of customer gets, when they happen, who owns them,
and the CS manager's tasks, onboarding milestones and success plans that come out of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Account


class Phase(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ONGOING = "ongoing", "Ongoing"


class OwnerRole(models.TextChoices):
    CS_MANAGER = "cs_manager", "CS manager"
    CUSTOMER_ADMIN = "customer_admin", "Customer admin"
    SPONSOR = "sponsor", "Executive sponsor"
    AUTOMATED = "automated", "Automated"


class Action(models.TextChoices):
    TASK = "task", "A task for the CS manager"
    MESSAGE = "message", "An automated e-mail and in-app message"
    BOTH = "both", "Both"
    AUTO = "auto", "A task for high-touch accounts, a message for low-touch ones"


class Audience(models.TextChoices):
    USERS = "users", "Everyone at the account"
    ADMINS = "admins", "The account's customer admins"
    SPONSOR = "sponsor", "The executive sponsor"


class TriggerType(models.TextChoices):
    CALENDAR = "calendar", "On a calendar"
    CONTRACT = "contract", "Days after the contract starts"
    EVENT = "event", "When something happens"
    MILESTONE = "milestone", "When a milestone is not reached in time"


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every quarter"
    ANNUAL = "annual", "Every year (contract anniversary)"


class EventKind(models.TextChoices):
    SUPPORT_URGENT = "support_urgent", "A high-severity support ticket"
    PRODUCT_RELEASE = "product_release", "A new product release"
    SPONSOR_CHANGED = "sponsor_changed", "The executive sponsor changed"
    DETRACTOR = "detractor", "A detractor NPS answer"
    HEALTH_RED = "health_red", "The health score fell into red"
    USAGE_DROP = "usage_drop", "A drop in usage"
    CONTENT_DROP = "content_drop", "A drop in content engagement"
    NO_SUPPORT = "no_support_cases", "No support cases for a while"


class Milestone(models.TextChoices):
    """The onboarding moments, in the order an account is expected to reach them."""

    KICKOFF = "kickoff", "Kick-off"
    ACTIVATED = "activated", "Activated"
    INITIAL_TRAINING = "initial_training", "Initial training"
    FIRST_METRICS_REVIEW = "first_metrics_review", "First metrics review"
    SELF_SUFFICIENCY = "self_sufficiency", "Self-sufficiency checkpoint"


ONBOARDING_ORDER = [m.value for m in Milestone]
# Milestones Cairn can see in the log by itself; the others are reached by completing a task.
DETECTED_MILESTONES = (Milestone.ACTIVATED, Milestone.INITIAL_TRAINING)


class EngagementModelQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class EngagementModel(models.Model):
    """A way of engaging one kind of customer, chosen by segment and touch model."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    segments = models.JSONField(default=list, blank=True, help_text="Segments it is for; empty = all.")
    touch_models = models.JSONField(
        default=list, blank=True, help_text="Touch models it is for; empty = all."
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = EngagementModelQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def fits(self, account: Account) -> bool:
        return (not self.segments or account.segment in self.segments) and (
            not self.touch_models or account.touch_model in self.touch_models
        )


class ModelAssignment(models.Model):
    """Which model an account follows, and since when. Changing it ends the current assignment
    and starts a new one, so history is kept; one open assignment per account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="model_assignments")
    model = models.ForeignKey(EngagementModel, on_delete=models.PROTECT, related_name="assignments")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(ended_at__isnull=True), name="one_open_model_per_account"
            ),
        ]

    def __str__(self):
        return f"{self.account} follows {self.model}"


class Moment(models.Model):
    """One engagement moment of a model: when it happens, who owns it, what it should achieve,
    and what Cairn does (a task, an automated message, or both)."""

    model = models.ForeignKey(EngagementModel, on_delete=models.CASCADE, related_name="moments")
    name = models.CharField(max_length=120)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.ONGOING)
    owner_role = models.CharField(max_length=20, choices=OwnerRole.choices, default=OwnerRole.CS_MANAGER)
    objective = models.CharField(max_length=300, help_text="What the moment should achieve.")
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.AUTO)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ADMINS)
    message_subject = models.CharField(max_length=150, blank=True)
    message_body = models.TextField(
        blank=True, help_text="Markdown. Sent to the audience as an e-mail and in-app."
    )
    trigger = models.CharField(max_length=10, choices=TriggerType.choices)
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, blank=True)
    offset_days = models.PositiveIntegerField(
        default=0,
        help_text="Contract moments: days after the contract starts. Milestones: the window to reach it in.",
    )
    event = models.CharField(max_length=20, choices=EventKind.choices, blank=True)
    milestone = models.CharField(
        max_length=24,
        choices=Milestone.choices,
        blank=True,
        help_text="The onboarding milestone this moment reaches (or, for a milestone trigger, watches).",
    )
    params = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"users": 3} to be activated, {"days": 60} without tickets.'
    )
    task_due_days = models.PositiveIntegerField(default=7)
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["model", "phase", "position", "pk"]

    def __str__(self):
        return f"{self.model}: {self.name}"

    def creates_task_for(self, account: Account) -> bool:
        if self.action == Action.AUTO:
            return account.touch_model == "high" and account.cs_manager_id is not None
        return self.action in (Action.TASK, Action.BOTH)

    def sends_message_to(self, account: Account) -> bool:
        if self.action == Action.AUTO:
            return not self.creates_task_for(account)
        return self.action in (Action.MESSAGE, Action.BOTH)


class OccurrenceStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    MISSED = "missed", "Missed (escalated)"


class MomentOccurrence(models.Model):
    """One time a moment happened for an account. Unique per (moment, account, key), so a retried
    task or a recomputed day never creates a second one: the key names the occurrence ("2026-11"
    for a monthly review, "interaction-812" for a detractor answer, "missed" for a milestone)."""

    moment = models.ForeignKey(Moment, on_delete=models.CASCADE, related_name="occurrences")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="moment_occurrences")
    key = models.CharField(max_length=80)
    status = models.CharField(max_length=8, choices=OccurrenceStatus.choices, default=OccurrenceStatus.OPEN)
    happened_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # What triggered it, in words and with a link: {"text", "url", "interaction_id"}.
    trigger = models.JSONField(default=dict, blank=True)
    messaged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-happened_at"]
        constraints = [
            models.UniqueConstraint(fields=["moment", "account", "key"], name="moment_occurs_once_per_key"),
        ]
        indexes = [models.Index(fields=["account", "happened_at"], name="occurrence_account_time")]

    def __str__(self):
        return f"{self.moment.name} for {self.account} ({self.key})"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Priority(models.TextChoices):
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class Channel(models.TextChoices):
    """How a CS manager engaged one-to-one; each is an interaction kind in the log."""

    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    QBR = "qbr", "Business review (QBR)"
    EMAIL = "email", "E-mail"


class Outcome(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEUTRAL = "neutral", "Neutral"
    NEGATIVE = "negative", "Negative — needs follow-up"


class TaskQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=TaskStatus.OPEN)

    def overdue(self, today):
        return self.open().filter(due_on__lt=today)


class Task(models.Model):
    """Work for a CS manager on an account, usually from a moment; done by logging how it went."""

    occurrence = models.OneToOneField(
        MomentOccurrence, on_delete=models.CASCADE, null=True, blank=True, related_name="task"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="cs_tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="cs_tasks"
    )
    title = models.CharField(max_length=200)
    objective = models.CharField(max_length=300, blank=True)
    due_on = models.DateField()
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    notes = models.TextField(blank=True, max_length=5000)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    # The detractor (or other person) the task is about, when there is one.
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_on", "pk"]
        indexes = [models.Index(fields=["assignee", "status", "due_on"], name="task_inbox")]

    def __str__(self):
        return self.title

    @property
    def trigger(self) -> dict:
        return self.occurrence.trigger if self.occurrence_id else {}


class MilestoneReached(models.Model):
    """When an account reached an onboarding milestone (once per account and milestone)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="milestones")
    milestone = models.CharField(max_length=24, choices=Milestone.choices)
    reached_at = models.DateTimeField()
    source = models.CharField(max_length=200, blank=True, help_text="What showed it: a task, the log.")

    class Meta:
        ordering = ["account", "reached_at"]
        constraints = [
            models.UniqueConstraint(fields=["account", "milestone"], name="milestone_reached_once"),
        ]

    def __str__(self):
        return f"{self.account}: {self.get_milestone_display()} on {self.reached_at:%Y-%m-%d}"


class Metric(models.TextChoices):
    """What a success plan objective measures; all but MANUAL are computed from Cairn's data."""

    SEATS_CERTIFIED = "seats_certified", "% of seats certified"
    PEOPLE_TRAINED = "people_trained", "% of people trained (12 months)"
    UTILISATION = "utilisation", "Licence utilisation %"
    NPS = "nps", "NPS of the account's people"
    HEALTH = "health", "Health score"
    MANUAL = "manual", "Entered by hand"


class SuccessPlan(models.Model):
    """The objectives agreed with a customer at onboarding."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="success_plan")
    agreed_on = models.DateField(default=timezone.localdate)
    summary = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Success plan of {self.account}"


class Objective(models.Model):
    plan = models.ForeignKey(SuccessPlan, on_delete=models.CASCADE, related_name="objectives")
    title = models.CharField(max_length=200)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    target = models.FloatField(help_text="The value to reach (a percentage, an NPS, a score or a number).")
    due_on = models.DateField(null=True, blank=True)
    manual_value = models.FloatField(
        null=True, blank=True, help_text="Current value, for objectives entered by hand."
    )
    manual_updated_at = models.DateTimeField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self):
        return self.title


class FeedbackLink(models.Model):
    """A detractor's comment linked to a product idea, so the loop can be closed: when the idea
    ships the person is told personally and asked again after a delay."""

    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback_links"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    idea_id = models.PositiveIntegerField()
    comment = models.TextField(blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    told_at = models.DateTimeField(null=True, blank=True)
    resurvey_on = models.DateField(null=True, blank=True)
    resurveyed_at = models.DateTimeField(null=True, blank=True)
    new_score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["person", "idea_id"], name="feedback_linked_once_per_idea"),
        ]

    def __str__(self):
        return f"{self.person} → idea {self.idea_id}"

    @property
    def won_back(self) -> bool | None:
        """No longer a detractor when asked again (7 or more); None until they answer."""
        return None if self.new_score is None else self.new_score >= 7


class AccountWatch(models.Model):
    """What the trigger evaluation last saw of an account, to notice changes that leave no trace
    in the log (a new executive sponsor)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    sponsor_ids = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"What was last seen of {self.account_id}"
