"""Community: product ideas with votes, comments and follows; peer Q&A; moderation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class ProductArea(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class IdeaStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    DECLINED = "declined", "Declined"
    MERGED = "merged", "Merged"


VOTING_CLOSED = (IdeaStatus.SHIPPED, IdeaStatus.DECLINED, IdeaStatus.MERGED)


class IdeaQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Hidden ideas are for content admins only."""
        if getattr(user, "is_content_admin", False):
            return self
        return self.filter(hidden=False)


class Idea(models.Model):
    title = models.CharField(max_length=160)
    description = models.TextField(help_text="Markdown.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="ideas"
    )
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The author's account when it was posted.",
    )
    areas = models.ManyToManyField(ProductArea, blank=True, related_name="ideas")
    status = models.CharField(max_length=14, choices=IdeaStatus.choices, default=IdeaStatus.OPEN)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )
    vote_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-vote_count", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="idea_merged_has_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-vote_count"]),
            # The board's "top" and "new" orders (idea_list), whole, so a page is read in index
            # order instead of joining and sorting every idea.
            models.Index(fields=["-vote_count", "-created_at", "-id"], name="idea_top_order"),
            models.Index(fields=["-created_at", "-id"], name="idea_new_order"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("idea_detail", kwargs={"pk": self.pk})

    @property
    def voting_open(self) -> bool:
        return self.status not in VOTING_CLOSED


class Vote(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_vote_per_person")]
        indexes = [models.Index(fields=["idea", "created_at"])]

    def __str__(self):
        return f"{self.user} → {self.idea_id}"


class IdeaFollow(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idea_follows")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="follow_once")]

    def __str__(self):
        return f"{self.user} follows {self.idea_id}"


class Comment(models.Model):
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(help_text="Markdown.")
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment {self.pk} on {self.idea_id}"


class Question(models.Model):
    """A peer Q&A question."""

    title = models.CharField(max_length=160)
    body = models.TextField(help_text="Markdown.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    areas = models.ManyToManyField(ProductArea, blank=True, related_name="questions")
    accepted_answer = models.OneToOneField(
        "Answer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answer_count = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("question_detail", kwargs={"pk": self.pk})


class Answer(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(help_text="Markdown.")
    vote_count = models.PositiveIntegerField(default=0)
    hidden = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-vote_count", "created_at"]

    def __str__(self):
        return f"Answer {self.pk} to {self.question_id}"


class AnswerVote(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "user"], name="one_answer_vote_per_person")]

    def __str__(self):
        return f"{self.user} ↑ answer {self.answer_id}"


class FlagTarget(models.TextChoices):
    IDEA = "idea", "Idea"
    COMMENT = "comment", "Comment"
    QUESTION = "question", "Question"
    ANSWER = "answer", "Answer"


class Flag(models.Model):
    """Someone reported a post; content admins work the queue."""

    target = models.CharField(max_length=10, choices=FlagTarget.choices)
    target_id = models.PositiveBigIntegerField()
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=20, blank=True, help_text="hidden or kept")

    class Meta:
        ordering = ["resolved_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["target", "target_id", "reporter"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_flag_per_reporter",
            ),
        ]

    def __str__(self):
        return f"Flag on {self.target} {self.target_id}"
