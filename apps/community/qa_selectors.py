"""Reads of peer Q&A and the moderation queue. Every query starts from what the person may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    ExpressionWrapper,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.community.models import Answer, AnswerVote, Flag, FlagTarget, Question
from apps.community.qa_services import TARGET_MODELS
from apps.core.markdown import plain_text

FILTERS = ("all", "unanswered", "mine")
STAFF_PICKUP_AFTER = timedelta(days=2)


def _with_accepted(queryset: QuerySet[Question]) -> QuerySet[Question]:
    return queryset.annotate(
        has_accepted=ExpressionWrapper(Q(accepted_answer__isnull=False), output_field=BooleanField())
    )


def question_list(*, user: User, filter: str = "all", q: str = "", area: str = "") -> QuerySet[Question]:
    """Questions the person may see, newest first: all, unanswered (no visible answer yet) or mine;
    `q` searches titles and bodies, `area` is a product area's slug."""
    questions = (
        Question.objects.visible_to(user).select_related("author", "account").prefetch_related("areas")
    )
    if filter == "unanswered":
        questions = questions.filter(answer_count=0)
    elif filter == "mine":
        questions = questions.filter(author=user)
    if q:
        questions = questions.filter(Q(title__icontains=q) | Q(body__icontains=q))
    if area:
        questions = questions.filter(areas__slug=area)
    return _with_accepted(questions).order_by("-created_at", "-pk")


@dataclass
class QuestionPage:
    question: Question
    answers: list[Answer]
    my_votes: set[int] = field(default_factory=set)


def question_get(*, user: User, pk: int) -> Question:
    """One question the person may see (raises Question.DoesNotExist otherwise)."""
    return (
        Question.objects.visible_to(user)
        .select_related("author", "account")
        .prefetch_related("areas")
        .get(pk=pk)
    )


def question_answers(*, user: User, question: Question) -> list[Answer]:
    """Visible answers, the accepted one first, then by votes, then oldest first."""
    answers = Answer.objects.filter(question=question).select_related("author", "author__account")
    if not user.is_content_admin:
        answers = answers.filter(hidden=False)
    return list(
        answers.annotate(
            is_accepted=Case(
                When(pk=question.accepted_answer_id or 0, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        ).order_by("-is_accepted", "-vote_count", "created_at", "pk")
    )


def question_detail(*, user: User, pk: int) -> QuestionPage:
    """A question with its answers and the answers the person voted for."""
    question = question_get(user=user, pk=pk)
    answers = question_answers(user=user, question=question)
    my_votes = set(
        AnswerVote.objects.filter(user=user, answer__question=question).values_list("answer_id", flat=True)
    )
    return QuestionPage(question=question, answers=answers, my_votes=my_votes)


def answer_get(*, user: User, pk: int) -> Answer:
    """An answer the person may see: not hidden, on a question they may see (content admins see all)."""
    answers = Answer.objects.select_related("question", "author")
    if not user.is_content_admin:
        answers = answers.filter(hidden=False, question__hidden=False)
    return answers.get(pk=pk)


def unanswered_for_staff(*, older_than: timedelta = STAFF_PICKUP_AFTER) -> QuerySet[Question]:
    """Visible questions without an answer for longer than `older_than`, oldest first."""
    return (
        Question.objects.filter(hidden=False, answer_count=0, created_at__lte=timezone.now() - older_than)
        .select_related("author", "account")
        .order_by("created_at", "pk")
    )


@dataclass
class FlaggedPost:
    target: str
    target_id: int
    flags: list[Flag]
    obj: Model | None
    preview: str
    url: str

    @property
    def count(self) -> int:
        return len(self.flags)

    @property
    def first_flag(self) -> Flag:
        return self.flags[-1]

    @property
    def target_label(self) -> str:
        return FlagTarget(self.target).label


def _preview(target: str, obj: Model | None) -> str:
    if obj is None:
        return "(deleted)"
    if target in (FlagTarget.IDEA, FlagTarget.QUESTION):
        text = obj.description if target == FlagTarget.IDEA else obj.body
        return f"{obj.title} — {plain_text(text, 200)}"
    return plain_text(obj.body, 240)


def target_url(*, target: str, obj: Model | None) -> str:
    """Where a flagged post can be seen (empty when it is gone or its page is not available)."""
    if obj is None:
        return ""
    try:
        if target == FlagTarget.ANSWER:
            return reverse("question_detail", kwargs={"pk": obj.question_id}) + f"#answer-{obj.pk}"
        if target == FlagTarget.COMMENT:
            return reverse("idea_detail", kwargs={"pk": obj.idea_id}) + f"#comment-{obj.pk}"
        return obj.get_absolute_url()
    except NoReverseMatch:
        return ""


def flag_queue() -> list[FlaggedPost]:
    """Open flags grouped by post, most-reported first, each with a preview of the post.
    One query for the flags and one per kind of post, however long the queue."""
    flags = list(
        Flag.objects.filter(resolved_at__isnull=True).select_related("reporter").order_by("-created_at")
    )
    grouped: dict[tuple[str, int], list[Flag]] = {}
    for flag in flags:
        grouped.setdefault((flag.target, flag.target_id), []).append(flag)
    objects: dict[tuple[str, int], Model] = {}
    for target, model in TARGET_MODELS.items():
        ids = [target_id for (kind, target_id) in grouped if kind == target]
        if ids:
            for obj in model.objects.filter(pk__in=ids):
                objects[(target, obj.pk)] = obj
    posts = [
        FlaggedPost(
            target=target,
            target_id=target_id,
            flags=group,
            obj=objects.get((target, target_id)),
            preview=_preview(target, objects.get((target, target_id))),
            url=target_url(target=target, obj=objects.get((target, target_id))),
        )
        for (target, target_id), group in grouped.items()
    ]
    posts.sort(key=lambda post: (-post.count, post.first_flag.created_at))
    return posts
