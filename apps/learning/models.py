"""The content library, learning paths, enrolments and progress, and live sessions."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import JobRole, Level, Segment, Vertical


class SkillArea(models.Model):
    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Skill(models.Model):
    """A skill of the taxonomy that content, paths and assessment questions are tagged with."""

    area = models.ForeignKey(SkillArea, on_delete=models.PROTECT, related_name="skills")
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    validity_days = models.PositiveIntegerField(
        default=365, help_text="How long an assessment result proves this skill before it is 'unverified'."
    )

    class Meta:
        ordering = ["area__position", "name"]

    def __str__(self):
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class PublishableQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def visible_to(self, user):
        """Content admins see drafts too; everyone else only what is published."""
        if getattr(user, "is_content_admin", False):
            return self
        return self.published()


class ContentKind(models.TextChoices):
    ARTICLE = "article", "Article"
    GUIDE = "guide", "Guide"
    VIDEO = "video", "Video"
    COURSE = "course", "Course"
    CASE_STUDY = "case_study", "Case study"
    BEST_PRACTICE = "best_practice", "Best practice"
    WEBINAR = "webinar", "Webinar recording"


class ContentItem(models.Model):
    """One piece of the library. A course is a content item whose lessons are its body."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=ContentKind.choices)
    summary = models.CharField(max_length=300, help_text="One or two sentences shown in lists and search.")
    body = models.TextField(blank=True, help_text="Markdown. Raw HTML is not allowed.")
    video_url = models.URLField(
        blank=True, help_text="For videos and webinar recordings: a YouTube or Vimeo link."
    )
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    vertical = models.CharField(
        max_length=20,
        choices=Vertical.choices,
        blank=True,
        help_text="Leave empty when it suits every vertical.",
    )
    estimated_minutes = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(6000)]
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="content")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "title"]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("content_detail", kwargs={"slug": self.slug})

    @property
    def is_course(self) -> bool:
        return self.kind == ContentKind.COURSE

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class Lesson(models.Model):
    course = models.ForeignKey(
        ContentItem,
        on_delete=models.CASCADE,
        related_name="lessons",
        limit_choices_to={"kind": ContentKind.COURSE},
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, help_text="Markdown.")
    video_url = models.URLField(blank=True)
    position = models.PositiveIntegerField(default=0)
    estimated_minutes = models.PositiveIntegerField(default=5, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["course", "position", "pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("lesson_detail", kwargs={"slug": self.course.slug, "pk": self.pk})


class LearningPath(models.Model):
    """An ordered series of steps toward an outcome, aimed at an audience."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300)
    description = models.TextField(blank=True, help_text="Markdown: what the learner will be able to do.")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    vertical = models.CharField(
        max_length=20,
        choices=Vertical.choices,
        blank=True,
        help_text="Leave empty when it suits every vertical.",
    )
    job_roles = models.JSONField(
        default=list, blank=True, help_text="Job roles it is meant for; empty means all."
    )
    segments = models.JSONField(
        default=list, blank=True, help_text="Customer segments it is meant for; empty means all."
    )
    skills = models.ManyToManyField(Skill, blank=True, related_name="paths")
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="unlocks",
        help_text="Paths to finish before enrolling in this one.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("path_detail", kwargs={"slug": self.slug})

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    def job_role_labels(self) -> list[str]:
        return [JobRole(r).label for r in self.job_roles if r in JobRole.values]

    def segment_labels(self) -> list[str]:
        return [Segment(s).label for s in self.segments if s in Segment.values]


class StepKind(models.TextChoices):
    CONTENT = "content", "Content"
    LIVE_SESSION = "live_session", "Live session"
    ASSESSMENT = "assessment", "Assessment"


class PathStep(models.Model):
    """One step of a path: a content item (a course included), a live session, or a step type
    registered by another app (assessments) and referred to by `ref_id`."""

    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=StepKind.choices, default=StepKind.CONTENT)
    content = models.ForeignKey(
        ContentItem, on_delete=models.PROTECT, null=True, blank=True, related_name="steps"
    )
    live_session = models.ForeignKey(
        "LiveSession", on_delete=models.PROTECT, null=True, blank=True, related_name="steps"
    )
    ref_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Id of a registered step type's object."
    )
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["path", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="content", content__isnull=False, live_session__isnull=True)
                | Q(kind="live_session", live_session__isnull=False, content__isnull=True)
                | Q(kind="assessment", ref_id__isnull=False, content__isnull=True, live_session__isnull=True),
                name="pathstep_target_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.path}: step {self.position}"


class Enrolment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrolments")
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.ForeignKey(
        PathStep, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-enrolled_at"]
        constraints = [models.UniqueConstraint(fields=["user", "path"], name="enrolment_once_per_path")]

    def __str__(self):
        return f"{self.user} in {self.path}"


class StepCompletion(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="completions")
    step = models.ForeignKey(PathStep, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "step"], name="step_completed_once")]

    def __str__(self):
        return f"{self.enrolment} · step {self.step_id} done"


class ContentProgress(models.Model):
    """A person's progress on one content item: started when first opened, completed once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_progress"
    )
    content = models.ForeignKey(ContentItem, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField(default=timezone.now)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_lesson = models.ForeignKey(
        Lesson, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "content"], name="content_progress_once")]

    def __str__(self):
        return f"{self.user} · {self.content}"


class LessonCompletion(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "lesson"], name="lesson_completed_once")]

    def __str__(self):
        return f"{self.user} · {self.lesson}"


class SessionKind(models.TextChoices):
    INSTRUCTOR_LED = "instructor_led", "Instructor-led training"
    VIRTUAL_CLASS = "virtual_class", "Virtual class"
    OFFICE_HOURS = "office_hours", "Coaching office hours"


class LiveSessionQuerySet(models.QuerySet):
    def upcoming(self):
        return self.filter(starts_at__gte=timezone.now(), cancelled_at__isnull=True).order_by("starts_at")

    def past(self):
        return self.filter(starts_at__lt=timezone.now()).order_by("-starts_at")


class LiveSession(models.Model):
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SessionKind.choices, default=SessionKind.VIRTUAL_CLASS)
    description = models.TextField(blank=True, help_text="Markdown.")
    host = models.CharField(max_length=120, help_text="Who runs it.")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    join_url = models.URLField(blank=True, help_text="Video call link, shown to registered people.")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.BEGINNER)
    vertical = models.CharField(max_length=20, choices=Vertical.choices, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="sessions")
    recording_url = models.URLField(blank=True, help_text="Link to the recording, once there is one.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = LiveSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("session_detail", kwargs={"pk": self.pk})

    @property
    def ends_at(self):
        return self.starts_at + timezone.timedelta(minutes=self.duration_minutes)

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    WAITLISTED = "waitlisted", "On the waiting list"
    CANCELLED = "cancelled", "Cancelled"


class Registration(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registrations")
    status = models.CharField(max_length=12, choices=RegistrationStatus.choices)
    created_at = models.DateTimeField(default=timezone.now)
    attended = models.BooleanField(null=True, blank=True, help_text="Marked after the session.")
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="registration_once_per_session")
        ]
        indexes = [models.Index(fields=["session", "status", "created_at"])]

    def __str__(self):
        return f"{self.user} · {self.session} ({self.status})"


class LearningPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="learning_preference"
    )
    weekly_digest = models.BooleanField(
        default=False, help_text="A weekly e-mail of new content relevant to me."
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Learning e-mails of {self.user}"
