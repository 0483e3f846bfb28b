"""Assessments (question bank, attempts, grading), proficiency, certifications with Open Badges,
and incentives (points, badges, leaderboards)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.learning.models import LearningPath, PublishableQuerySet, Skill, Status


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    TRUE_FALSE = "true_false", "True or false"
    NUMERIC = "numeric", "Numeric answer"


class Question(models.Model):
    """A question of the bank. Choice questions have options; numeric ones an answer and a tolerance."""

    text = models.TextField(help_text="Markdown.")
    kind = models.CharField(max_length=12, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    skills = models.ManyToManyField(Skill, blank=True, related_name="questions")
    points = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(100)])
    partial_credit = models.BooleanField(
        default=False, help_text="Multiple choice: credit for each right choice, minus each wrong one."
    )
    numeric_answer = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    numeric_tolerance = models.DecimalField(
        max_digits=18,
        decimal_places=6,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="An answer within ± this of the right one counts.",
    )
    explanation = models.TextField(blank=True, help_text="Shown with the results. Markdown.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="numeric") | Q(numeric_answer__isnull=False),
                name="numeric_question_has_answer",
            ),
        ]

    def __str__(self):
        return self.text[:80]


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["question", "position", "pk"]

    def __str__(self):
        return self.text


class AssessmentKind(models.TextChoices):
    SKILL_CHECK = "skill_check", "Skill check"
    PLACEMENT = "placement", "Placement test"
    EXAM = "exam", "Exam"


class Assessment(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=AssessmentKind.choices, default=AssessmentKind.SKILL_CHECK)
    description = models.TextField(blank=True, help_text="Markdown.")
    questions = models.ManyToManyField(Question, through="AssessmentQuestion", related_name="assessments")
    pass_mark = models.PositiveIntegerField(
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent needed to pass.",
    )
    attempt_limit = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty for unlimited attempts."
    )
    cooldown_hours = models.PositiveIntegerField(default=0, help_text="Wait between attempts.")
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty for no time limit."
    )
    shuffle_questions = models.BooleanField(default=True)
    shuffle_options = models.BooleanField(default=True)
    placement_paths = models.ManyToManyField(
        LearningPath,
        blank=True,
        related_name="placement_tests",
        help_text="Placement tests: the paths to suggest, by the level the score shows.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("assessment_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class AssessmentQuestion(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["assessment", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question"], name="question_once_per_assessment")
        ]

    def __str__(self):
        return f"{self.assessment} #{self.position}"


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class Attempt(models.Model):
    """One sitting of an assessment. Its question and option order is fixed when it starts, so a
    resumed attempt looks the same; it is graded once, on the server."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attempts")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=AttemptStatus.choices, default=AttemptStatus.IN_PROGRESS)
    question_order = models.JSONField(default=list)
    option_order = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    points_earned = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    points_possible = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True, help_text="Percent.")
    passed = models.BooleanField(null=True)
    skill_scores = models.JSONField(default=dict, blank=True, help_text="{skill id: percent}")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "assessment", "number"], name="attempt_number_unique"),
            models.UniqueConstraint(
                fields=["user", "assessment"], condition=Q(status="in_progress"), name="one_open_attempt"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.assessment} #{self.number}"

    def get_absolute_url(self):
        return reverse("attempt_take", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.IN_PROGRESS

    def time_left(self, now=None) -> timedelta | None:
        if self.deadline_at is None:
            return None
        return max(self.deadline_at - (now or timezone.now()), timedelta(0))


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    selected = models.JSONField(default=list, blank=True, help_text="Ids of the chosen options.")
    numeric_value = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    saved_at = models.DateTimeField(default=timezone.now)
    points_awarded = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_once_per_question")
        ]

    def __str__(self):
        return f"Answer to {self.question_id} in attempt {self.attempt_id}"


class SkillResult(models.Model):
    """A person's score on one skill in one graded attempt: the raw material of proficiency."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skill_results")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="results")
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="skill_results")
    score = models.DecimalField(max_digits=5, decimal_places=2)
    achieved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "skill"], name="skill_result_once_per_attempt")
        ]
        indexes = [models.Index(fields=["user", "skill", "achieved_at"])]

    def __str__(self):
        return f"{self.user} · {self.skill}: {self.score}%"


class Certification(models.Model):
    """A standard of proficiency: assessments to pass and paths to complete, valid for a period."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(help_text="Markdown: what a holder can do.")
    criteria = models.TextField(help_text="Markdown: how it is earned (shown on the badge's criteria).")
    required_assessments = models.ManyToManyField(Assessment, blank=True, related_name="certifications")
    required_paths = models.ManyToManyField(LearningPath, blank=True, related_name="certifications")
    validity_days = models.PositiveIntegerField(default=730, validators=[MinValueValidator(1)])
    reminder_days = models.PositiveIntegerField(
        default=30, help_text="Remind holders this many days before expiry."
    )
    recertification_path = models.ForeignKey(
        LearningPath,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The path holders follow to renew it.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("certification_detail", kwargs={"slug": self.slug})


def _award_code() -> str:
    return secrets.token_urlsafe(18)


def _salt() -> str:
    return secrets.token_hex(8)


class AwardQuerySet(models.QuerySet):
    def valid(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, issued_at__lte=at, expires_at__gt=at)


class Award(models.Model):
    """A certification earned by a person for one validity period (`cycle` 1, 2, ...).

    (certification, user, cycle) is unique, so two requests that both find the requirements met
    cannot award the same period twice.
    """

    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="awards")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="awards")
    cycle = models.PositiveIntegerField(default=1)
    code = models.CharField(max_length=32, unique=True, default=_award_code, editable=False)
    recipient_salt = models.CharField(max_length=32, default=_salt, editable=False)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(max_length=300, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    expiry_recorded_at = models.DateTimeField(null=True, blank=True)

    objects = AwardQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "user", "cycle"], name="award_once_per_period"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")), name="award_expires_after_issue"
            ),
        ]

    def __str__(self):
        return f"{self.certification} for {self.user} ({self.status})"

    def get_absolute_url(self):
        return reverse("award_verify", kwargs={"code": self.code})

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "valid"


class PointRule(models.Model):
    """Points for an interaction kind, e.g. 50 for `learning.path_completed`. Data, not code."""

    kind = models.CharField(max_length=64, unique=True, help_text="The interaction kind that earns points.")
    points = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10_000)])
    description = models.CharField(max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-points", "kind"]

    def __str__(self):
        return f"{self.points} points: {self.description}"


class PointEntry(models.Model):
    """Points a person earned for one thing they did; once per rule and subject."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="points")
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, null=True, related_name="+")
    rule = models.ForeignKey(PointRule, on_delete=models.PROTECT, related_name="entries")
    points = models.PositiveIntegerField()
    subject_type = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.CharField(max_length=64, blank=True, default="")
    earned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-earned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "rule", "subject_type", "subject_id"], name="points_once_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["account", "user"])]

    def __str__(self):
        return f"{self.user}: +{self.points}"


class BadgeMetric(models.TextChoices):
    POINTS = "points", "Total points"
    KIND_COUNT = "kind_count", "Number of interactions of a kind"


class Badge(models.Model):
    """A milestone: e.g. 'Pathfinder' for 3 completed paths, 'Centurion' for 100 points."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300)
    metric = models.CharField(max_length=12, choices=BadgeMetric.choices, default=BadgeMetric.POINTS)
    kind = models.CharField(max_length=64, blank=True, help_text="For 'number of interactions': which kind.")
    threshold = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["metric", "threshold"]
        constraints = [
            models.CheckConstraint(
                condition=Q(metric="points") | ~Q(kind=""), name="badge_kind_count_needs_kind"
            ),
        ]

    def __str__(self):
        return self.name


class BadgeAward(models.Model):
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="awards")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="badges")
    awarded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-awarded_at"]
        constraints = [models.UniqueConstraint(fields=["badge", "user"], name="badge_once_per_person")]

    def __str__(self):
        return f"{self.badge} for {self.user}"


class IncentivePreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incentive_preference"
    )
    global_leaderboard = models.BooleanField(
        default=False, help_text="Show my name and points on the leaderboard across all customers."
    )

    def __str__(self):
        return f"Incentive preferences of {self.user}"
