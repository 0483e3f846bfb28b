"""Writes of peer Q&A and moderation. Each public function is one transaction and records its
interactions in it; notifications go through `notify` in the same transaction (e-mail after commit)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone

from apps.accounts import services as account_services
from apps.accounts.models import User
from apps.community import kinds
from apps.community.models import Answer, AnswerVote, Comment, Flag, FlagTarget, Idea, ProductArea, Question
from apps.interactions.models import Interaction
from apps.interactions.services import record, subject_ref
from apps.notifications.models import Category
from apps.notifications.services import notify

VIEW_DEDUP_WINDOW = timedelta(minutes=30)
NEW_ACCOUNT_AGE = timedelta(days=7)
NEW_ACCOUNT_LIMIT = (3, timedelta(hours=24))
POSTING_LIMIT = (20, timedelta(hours=1))

TARGET_MODELS: dict[str, type[Model]] = {
    FlagTarget.IDEA: Idea,
    FlagTarget.COMMENT: Comment,
    FlagTarget.QUESTION: Question,
    FlagTarget.ANSWER: Answer,
}


class QAError(account_services.ServiceError):
    pass


class PermissionDenied(QAError, account_services.PermissionDenied):
    """The person's role or relation to the post does not allow this."""


def _require_content_admin(user: User) -> None:
    if not user.is_content_admin:
        raise PermissionDenied("Only content admins can moderate the community.")


def _check_posting_rate(user: User) -> None:
    """A new account may post 3 questions and answers a day, everyone else 20 an hour; moderators
    are not limited. Called with the person's row locked, so two requests cannot both squeeze in."""
    if user.is_content_admin:
        return
    now = timezone.now()
    is_new = user.date_joined > now - NEW_ACCOUNT_AGE
    limit, window = NEW_ACCOUNT_LIMIT if is_new else POSTING_LIMIT
    since = now - window
    posted = (
        Question.objects.filter(author=user, created_at__gte=since).count()
        + Answer.objects.filter(author=user, created_at__gte=since).count()
    )
    if posted >= limit:
        if is_new:
            raise QAError(
                f"New members can post {limit} questions and answers a day. Please try again tomorrow."
            )
        raise QAError(f"You can post {limit} questions and answers an hour. Please try again a bit later.")


def _lock_person(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


# --- Questions and answers --------------------------------------------------------------------


def question_ask(*, user: User, title: str, body: str, areas: list[ProductArea] | None = None) -> Question:
    """Post a question (rate-limited) and record `community.question_asked`."""
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise QAError("A question needs a title and some detail.")
    with transaction.atomic():
        _lock_person(user)
        _check_posting_rate(user)
        question = Question.objects.create(title=title[:160], body=body, author=user, account=user.account)
        if areas:
            question.areas.set(areas)
        record(kind=kinds.QUESTION_ASKED.name, user=user, subject=question)
    return question


def question_edit(*, question: Question, by: User, title: str, body: str) -> Question:
    """The asker or a content admin corrects a question."""
    if not (by.is_content_admin or question.author_id == by.pk):
        raise PermissionDenied("Only the asker or a content admin can edit this question.")
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise QAError("A question needs a title and some detail.")
    question.title, question.body = title[:160], body
    question.save(update_fields=["title", "body"])
    return question


def question_view(*, user: User, question: Question) -> bool:
    """Record that a person opened a question; views within 30 minutes count once.
    Returns True when a view was recorded."""
    subject_type, subject_id = subject_ref(question)
    with transaction.atomic():
        recent = Interaction.objects.filter(
            user=user,
            kind=kinds.QUESTION_VIEWED.name,
            subject_type=subject_type,
            subject_id=subject_id,
            occurred_at__gte=timezone.now() - VIEW_DEDUP_WINDOW,
        ).exists()
        if recent:
            return False
        record(kind=kinds.QUESTION_VIEWED.name, user=user, subject=question)
    return True


def answer_post(*, user: User, question: Question, body: str) -> Answer:
    """Answer a question (rate-limited); the asker is notified unless they answered themselves."""
    body = body.strip()
    if not body:
        raise QAError("Write an answer first.")
    if question.hidden:
        raise QAError("This question was hidden by a moderator; it cannot be answered.")
    with transaction.atomic():
        _lock_person(user)
        _check_posting_rate(user)
        answer = Answer.objects.create(question=question, author=user, body=body)
        Question.objects.filter(pk=question.pk).update(answer_count=F("answer_count") + 1)
        record(
            kind=kinds.ANSWER_POSTED.name,
            user=user,
            subject=answer,
            properties={"question": question.pk, "own_question": question.author_id == user.pk},
        )
        asker = question.author
        if asker is not None and asker.pk != user.pk:
            notify(
                user=asker,
                category=Category.COMMUNITY,
                title=f"{user} answered your question “{question.title}”",
                body=body[:500],
                url=f"{question.get_absolute_url()}#answer-{answer.pk}",
                dedup_key=f"answer-{answer.pk}",
            )
    return answer


def answer_edit(*, answer: Answer, by: User, body: str) -> Answer:
    """The author or a content admin corrects an answer."""
    if not (by.is_content_admin or answer.author_id == by.pk):
        raise PermissionDenied("Only the author or a content admin can edit this answer.")
    body = body.strip()
    if not body:
        raise QAError("An answer cannot be empty.")
    answer.body = body
    answer.save(update_fields=["body"])
    return answer


def answer_vote(*, user: User, answer: Answer) -> AnswerVote:
    """Vote an answer up, once per person; nobody votes for their own answer."""
    if answer.author_id == user.pk:
        raise QAError("You cannot vote for your own answer.")
    if answer.hidden:
        raise QAError("This answer was hidden by a moderator.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                vote = AnswerVote.objects.create(answer=answer, user=user)
        except IntegrityError as exc:
            raise QAError("You already voted for this answer.") from exc
        Answer.objects.filter(pk=answer.pk).update(vote_count=F("vote_count") + 1)
    answer.refresh_from_db(fields=["vote_count"])
    return vote


def answer_unvote(*, user: User, answer: Answer) -> None:
    """Withdraw a vote; withdrawing a vote one never cast is an error."""
    with transaction.atomic():
        deleted, _ = AnswerVote.objects.filter(answer=answer, user=user).delete()
        if not deleted:
            raise QAError("You have not voted for this answer.")
        Answer.objects.filter(pk=answer.pk, vote_count__gt=0).update(vote_count=F("vote_count") - 1)
    answer.refresh_from_db(fields=["vote_count"])


def answer_accept(*, answer: Answer, by: User) -> Question:
    """The asker or a content admin accepts an answer; accepting another one replaces it."""
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=answer.question_id)
        if not (by.is_content_admin or question.author_id == by.pk):
            raise PermissionDenied("Only the person who asked or a content admin can accept an answer.")
        if answer.hidden or question.hidden:
            raise QAError("A hidden post cannot be accepted.")
        if question.accepted_answer_id == answer.pk:
            return question
        question.accepted_answer = answer
        question.save(update_fields=["accepted_answer"])
        author = answer.author
        if author is not None:
            record(
                kind=kinds.ANSWER_ACCEPTED.name,
                user=author,
                subject=answer,
                properties={"question": question.pk, "accepted_by": by.pk},
            )
            if author.pk != by.pk:
                notify(
                    user=author,
                    category=Category.COMMUNITY,
                    title=f"Your answer to “{question.title}” was accepted",
                    url=f"{question.get_absolute_url()}#answer-{answer.pk}",
                    dedup_key=f"accepted-{answer.pk}",
                )
    return question


# --- Moderation -------------------------------------------------------------------------------


def question_hide(*, question: Question, by: User, hidden: bool = True) -> Question:
    """Hide a question from customers (or show it again). Content admins only."""
    _require_content_admin(by)
    with transaction.atomic():
        Question.objects.filter(pk=question.pk).update(hidden=hidden)
    question.hidden = hidden
    return question


def answer_hide(*, answer: Answer, by: User, hidden: bool = True) -> Answer:
    """Hide an answer (or show it again). The question's answer count counts visible answers only,
    and a hidden answer stops being the accepted one."""
    _require_content_admin(by)
    with transaction.atomic():
        changed = Answer.objects.filter(pk=answer.pk, hidden=not hidden).update(hidden=hidden)
        if changed:
            delta = -1 if hidden else 1
            Question.objects.filter(pk=answer.question_id).update(answer_count=F("answer_count") + delta)
            if hidden:
                Question.objects.filter(pk=answer.question_id, accepted_answer=answer).update(
                    accepted_answer=None
                )
    answer.hidden = hidden
    return answer


def flag_target_object(*, target: str, target_id: int) -> Model | None:
    """The post a flag is about, or None when it does not exist."""
    model = TARGET_MODELS.get(target)
    if model is None:
        return None
    return model.objects.filter(pk=target_id).first()


def _is_visible(obj: Model) -> bool:
    if obj.hidden:
        return False
    if isinstance(obj, Answer):
        return not Question.objects.filter(pk=obj.question_id, hidden=True).exists()
    if isinstance(obj, Comment):
        return not Idea.objects.filter(pk=obj.idea_id, hidden=True).exists()
    return True


def flag_create(*, target: str, target_id: int, reporter: User, reason: str) -> Flag:
    """Report a post to the moderators: one open report per person and post."""
    reason = (reason or "").strip()
    if not reason:
        raise QAError("Tell the moderators what is wrong with this post.")
    if target not in FlagTarget.values:
        raise QAError("This kind of post cannot be reported.")
    obj = flag_target_object(target=target, target_id=target_id)
    if obj is None or not _is_visible(obj):
        raise QAError("This post does not exist or was already hidden.")
    with transaction.atomic():
        try:
            with transaction.atomic():
                flag = Flag.objects.create(
                    target=target, target_id=target_id, reporter=reporter, reason=reason[:300]
                )
        except IntegrityError as exc:
            raise QAError("You already reported this post; a moderator will look at it soon.") from exc
    return flag


def flag_resolve(*, flag: Flag, by: User, action: str) -> int:
    """Hide the flagged post or keep it, resolving every open flag on that post.
    Returns how many flags were resolved."""
    _require_content_admin(by)
    if action not in ("hide", "keep"):
        raise QAError("Choose to hide or to keep the post.")
    if flag.resolved_at is not None:
        raise QAError("This report was already handled.")
    with transaction.atomic():
        if action == "hide":
            obj = flag_target_object(target=flag.target, target_id=flag.target_id)
            if isinstance(obj, Answer):
                answer_hide(answer=obj, by=by)
            elif obj is not None:
                type(obj).objects.filter(pk=obj.pk).update(hidden=True)
        resolved = Flag.objects.filter(
            target=flag.target, target_id=flag.target_id, resolved_at__isnull=True
        ).update(
            resolved_at=timezone.now(), resolved_by=by, resolution="hidden" if action == "hide" else "kept"
        )
    return resolved
