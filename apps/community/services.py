"""Writes of the community app (ideas, votes, follows, comments, moderation). Each public function
is one transaction and records its interactions in it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import PermissionDenied, ServiceError
from apps.community import kinds
from apps.community.models import Comment, Idea, IdeaFollow, IdeaStatus, ProductArea, Vote
from apps.interactions.services import record
from apps.notifications.models import Category
from apps.notifications.services import notify

VIEW_DEDUP_WINDOW = timedelta(minutes=30)
EDIT_WINDOW = timedelta(minutes=30)
NEW_MEMBER_AGE = timedelta(days=7)
NEW_MEMBER_LIMIT = (3, timedelta(hours=24))  # ideas + comments per window
MEMBER_LIMIT = (20, timedelta(hours=1))


class CommunityError(ServiceError):
    pass


# --- Posting ----------------------------------------------------------------------------------


def _check_rate(user: User) -> None:
    """New people may post a little; everyone a lot, but not a flood (spam, runaway scripts)."""
    now = timezone.now()
    is_new = user.date_joined > now - NEW_MEMBER_AGE
    limit, window = NEW_MEMBER_LIMIT if is_new else MEMBER_LIMIT
    since = now - window
    posted = (
        Idea.objects.filter(author=user, created_at__gte=since).count()
        + Comment.objects.filter(author=user, created_at__gte=since).count()
    )
    if posted >= limit:
        if is_new:
            raise CommunityError(
                f"New members can post {limit} ideas or comments a day. Please try again tomorrow."
            )
        raise CommunityError(
            f"You have posted {limit} ideas or comments in the last hour. Please wait a little."
        )


def idea_create(*, author: User, title: str, description: str, areas: Iterable[ProductArea] = ()) -> Idea:
    """Post an idea; the author follows it. Rate-limited per person."""
    title = title.strip()
    if not title:
        raise CommunityError("Give your idea a title.")
    with transaction.atomic():
        _check_rate(author)
        idea = Idea.objects.create(
            title=title, description=description, author=author, account=author.account
        )
        idea.areas.set(list(areas))
        _follow(idea=idea, user=author)
        record(kind=kinds.IDEA_SUBMITTED.name, user=author, subject=idea)
    return idea


def can_edit(*, idea: Idea, user: User) -> bool:
    if user.is_content_admin:
        return True
    return idea.author_id == user.pk and timezone.now() - idea.created_at < EDIT_WINDOW


def idea_update(
    *, idea: Idea, by: User, title: str, description: str, areas: Iterable[ProductArea] | None = None
) -> Idea:
    """Authors may fix their idea for 30 minutes after posting; content admins at any time."""
    if not can_edit(idea=idea, user=by):
        raise PermissionDenied("Ideas can be edited by their author for 30 minutes after posting.")
    with transaction.atomic():
        idea.title, idea.description = title.strip(), description
        idea.save(update_fields=["title", "description", "updated_at"])
        if areas is not None:
            idea.areas.set(list(areas))
    return idea


def comment_create(*, idea: Idea, author: User, body: str) -> Comment:
    """Comment on an idea; its author hears about it. Rate-limited together with ideas."""
    if idea.status == IdeaStatus.MERGED:
        raise CommunityError("This idea was merged; comment on the idea it was merged into.")
    if not body.strip():
        raise CommunityError("Write something first.")
    with transaction.atomic():
        _check_rate(author)
        comment = Comment.objects.create(idea=idea, author=author, body=body)
        Idea.objects.filter(pk=idea.pk).update(comment_count=F("comment_count") + 1)
        record(kind=kinds.COMMENT_POSTED.name, user=author, subject=idea, properties={"comment": comment.pk})
        if idea.author_id and idea.author_id != author.pk and idea.author.is_active:
            notify(
                user=idea.author,
                category=Category.COMMUNITY,
                title=f"{author} commented on your idea “{idea.title}”",
                dedup_key=f"idea-comment-{comment.pk}",
                url=idea.get_absolute_url(),
            )
    return comment


def idea_view(*, user: User, idea: Idea) -> bool:
    """Note that a person opened an idea; views within 30 minutes count once. True if recorded."""
    if not cache.add(f"community:idea-view:{user.pk}:{idea.pk}", 1, VIEW_DEDUP_WINDOW.total_seconds()):
        return False
    with transaction.atomic():
        record(kind=kinds.IDEA_VIEWED.name, user=user, subject=idea)
    return True


# --- Votes and follows ------------------------------------------------------------------------


def _lock(idea: Idea) -> Idea:
    return Idea.objects.select_for_update().get(pk=idea.pk)


def _follow(*, idea: Idea, user: User) -> bool:
    try:
        with transaction.atomic():
            IdeaFollow.objects.create(idea=idea, user=user)
    except IntegrityError:
        return False
    return True


def idea_vote(*, idea: Idea, user: User) -> bool:
    """Vote for an idea (once per person) and follow it. True if a vote was added.

    The idea row is locked so a concurrent merge or status change cannot slip between the check
    and the write; the count moves with F() so it stays exact."""
    with transaction.atomic():
        locked = _lock(idea)
        if not locked.voting_open:
            raise CommunityError(f"Voting is closed: this idea is {locked.get_status_display().lower()}.")
        try:
            with transaction.atomic():
                Vote.objects.create(idea=locked, user=user)
        except IntegrityError:
            added = False
        else:
            added = True
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
            _follow(idea=locked, user=user)
            record(kind=kinds.VOTE_CAST.name, user=user, subject=locked)
    idea.refresh_from_db(fields=["vote_count", "status"])
    return added


def idea_unvote(*, idea: Idea, user: User) -> bool:
    """Withdraw a vote. True if there was one. The person keeps following the idea."""
    with transaction.atomic():
        locked = _lock(idea)
        if not locked.voting_open:
            raise CommunityError(f"Voting is closed: this idea is {locked.get_status_display().lower()}.")
        deleted, _ = Vote.objects.filter(idea=locked, user=user).delete()
        if deleted:
            Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") - 1)
            record(kind=kinds.VOTE_WITHDRAWN.name, user=user, subject=locked)
    idea.refresh_from_db(fields=["vote_count", "status"])
    return bool(deleted)


def idea_follow(*, idea: Idea, user: User) -> bool:
    """Follow an idea's news; True if newly followed."""
    with transaction.atomic():
        return _follow(idea=idea, user=user)


def idea_unfollow(*, idea: Idea, user: User) -> bool:
    """Stop following (a vote stays); True if the person was following."""
    with transaction.atomic():
        deleted, _ = IdeaFollow.objects.filter(idea=idea, user=user).delete()
    return bool(deleted)


# --- Staff: status, merge, moderation ---------------------------------------------------------


def idea_set_status(*, idea: Idea, status: str, by: User) -> Idea:
    """Content admins and CS managers move an idea through its life (merging has its own door)."""
    if not (by.is_content_admin or by.is_cs_manager):
        raise PermissionDenied("Only vendor staff can change an idea's status.")
    if status == IdeaStatus.MERGED or status not in IdeaStatus.values:
        raise CommunityError("Choose a status; to merge an idea, use Merge.")
    with transaction.atomic():
        locked = _lock(idea)
        if locked.status == IdeaStatus.MERGED:
            raise CommunityError("A merged idea keeps its status.")
        if locked.status != status:
            locked.status = status
            locked.status_changed_at = timezone.now()
            locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    idea.refresh_from_db()
    return idea


def idea_merge(*, source: Idea, target: Idea, by: User) -> Idea:
    """Merge a duplicate into another idea: its voters and followers move over (people already
    there are not counted twice), the target's count is recounted from the votes, and the source
    becomes a redirect. Returns the target."""
    if not by.is_content_admin:
        raise PermissionDenied("Only content admins can merge ideas.")
    if source.pk == target.pk:
        raise CommunityError("An idea cannot be merged into itself.")
    with transaction.atomic():
        locked = {
            i.pk: i
            for i in Idea.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
        }
        src, dst = locked[source.pk], locked[target.pk]
        if dst.status == IdeaStatus.MERGED:
            raise CommunityError("That idea was itself merged; merge into the idea it points to.")
        if src.status == IdeaStatus.MERGED:
            raise CommunityError("This idea is already merged.")
        Vote.objects.filter(idea=src).exclude(user__in=Vote.objects.filter(idea=dst).values("user")).update(
            idea=dst
        )
        Vote.objects.filter(idea=src).delete()
        IdeaFollow.objects.filter(idea=src).exclude(
            user__in=IdeaFollow.objects.filter(idea=dst).values("user")
        ).update(idea=dst)
        IdeaFollow.objects.filter(idea=src).delete()
        Idea.objects.filter(merged_into=src).update(merged_into=dst)  # keep redirects one hop long
        dst.vote_count = Vote.objects.filter(idea=dst).count()
        dst.save(update_fields=["vote_count", "updated_at"])
        src.status, src.merged_into, src.vote_count = IdeaStatus.MERGED, dst, 0
        src.status_changed_at = timezone.now()
        src.save(update_fields=["status", "merged_into", "vote_count", "status_changed_at", "updated_at"])
    source.refresh_from_db()
    target.refresh_from_db()
    return target


def _set_hidden(*, idea: Idea, by: User, hidden: bool) -> Idea:
    if not by.is_content_admin:
        raise PermissionDenied("Only content admins can hide or show ideas.")
    with transaction.atomic():
        idea.hidden = hidden
        idea.save(update_fields=["hidden", "updated_at"])
    return idea


def idea_hide(*, idea: Idea, by: User) -> Idea:
    """Hide an idea from everyone but content admins."""
    return _set_hidden(idea=idea, by=by, hidden=True)


def idea_unhide(*, idea: Idea, by: User) -> Idea:
    return _set_hidden(idea=idea, by=by, hidden=False)
