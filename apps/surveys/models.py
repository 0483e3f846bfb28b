"""NPS campaigns, invitations and responses."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

DEFAULT_QUESTION = "How likely are you to recommend us to a friend or colleague?"
DEFAULT_FOLLOW_UP = "What is the most important reason for your score?"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Campaign(models.Model):
    """An NPS survey sent to an audience, once or every N days, with a throttle across campaigns."""

    name = models.CharField(max_length=150)
    question = models.CharField(max_length=300, default=DEFAULT_QUESTION)
    follow_up_question = models.CharField(max_length=300, default=DEFAULT_FOLLOW_UP)
    ask_reference = models.BooleanField(
        default=False, help_text="Also ask: would you be willing to act as a reference for us?"
    )
    # Audience: every filter that is set must match; an empty filter matches everyone.
    segments = models.JSONField(default=list, blank=True)
    touch_models = models.JSONField(default=list, blank=True)
    roles = models.JSONField(default=list, blank=True, help_text="learner, customer_admin, executive_sponsor")
    accounts = models.ManyToManyField("accounts.Account", blank=True, related_name="+")
    starts_at = models.DateTimeField(default=timezone.now)
    repeat_every_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
        help_text="Empty for a one-off campaign.",
    )
    throttle_days = models.PositiveIntegerField(
        default=90,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text="Nobody is surveyed more than once in this many days, across all campaigns.",
    )
    response_window_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How long an invitation can be answered.",
    )
    reminder_after_days = models.PositiveIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="One reminder to those who have not answered, this many days after the invitation.",
    )
    one_by_one = models.BooleanField(
        default=False,
        help_text="People are invited one at a time (e.g. closing the loop); it never sends a wave.",
    )
    status = models.CharField(max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    last_wave_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaign_results", kwargs={"pk": self.pk})


class Invitation(models.Model):
    """One person asked in one wave of a campaign. The e-mail link is signed with its id."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, null=True, related_name="+")
    wave = models.PositiveIntegerField(default=1)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user", "wave"], name="invitation_once_per_wave")
        ]
        indexes = [models.Index(fields=["user", "sent_at"])]

    def __str__(self):
        return f"{self.campaign} → {self.user} (wave {self.wave})"

    @property
    def is_open(self) -> bool:
        return self.expires_at > timezone.now() and self.campaign.status != CampaignStatus.CLOSED


class Response(models.Model):
    """The answer to one invitation; changing it updates this row, so the latest answer counts."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(10)])
    comment = models.TextField(blank=True, max_length=5000)
    reference_willing = models.BooleanField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=10), name="nps_score_0_to_10")
        ]

    def __str__(self):
        return f"{self.score} for {self.invitation}"

    @property
    def category(self) -> str:
        return "promoter" if self.score >= 9 else "passive" if self.score >= 7 else "detractor"


class SurveyOptOut(models.Model):
    """A person who asked not to be surveyed again."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} opted out of surveys"
