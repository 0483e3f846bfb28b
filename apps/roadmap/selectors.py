"""Reads of the roadmap app: the board, the updates a person may read, and what they have not read."""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.community.models import Idea
from apps.community.selectors import idea_audience
from apps.roadmap.models import Horizon, ItemStatus, ProductUpdate, RoadmapItem, UpdateRead


def idea_url(idea: Idea) -> str:
    """The idea's page, or "" while the community pages are not installed."""
    try:
        return reverse("idea_detail", kwargs={"pk": idea.pk})
    except NoReverseMatch:
        return ""


def _visible_ideas(user: User) -> QuerySet[Idea]:
    return (
        Idea.objects.visible_to(user)
        .only("pk", "title", "status", "vote_count")
        .order_by("-vote_count", "pk")
    )


def roadmap_item_list(*, user: User) -> QuerySet[RoadmapItem]:
    """Every roadmap item with the ideas it addresses (the ones the person may see) and their
    vote counts: two queries."""
    return RoadmapItem.objects.prefetch_related(
        Prefetch("ideas", queryset=_visible_ideas(user), to_attr="linked_ideas")
    ).order_by("position", "pk")


def roadmap_board(*, user: User) -> list[dict]:
    """The roadmap as columns (now, next, later), each with its items; shipped items come last."""
    columns = {value: {"horizon": value, "label": label, "items": []} for value, label in Horizon.choices}
    for item in roadmap_item_list(user=user):
        for idea in item.linked_ideas:
            idea.url = idea_url(idea)
        item.votes = sum(idea.vote_count for idea in item.linked_ideas)
        columns[item.horizon]["items"].append(item)
    for column in columns.values():
        column["items"].sort(key=lambda i: (i.status == ItemStatus.SHIPPED, i.position, i.pk))
    return list(columns.values())


def _segment_of(user: User) -> str | None:
    """The person's customer segment; None (sees every update) for vendor staff."""
    if getattr(user, "is_vendor_staff", False) or not user.account_id:
        return None
    return user.account.segment


def _updates_with_read_state(user: User) -> QuerySet[ProductUpdate]:
    updates = ProductUpdate.objects.published().annotate(
        is_read=Exists(UpdateRead.objects.filter(update=OuterRef("pk"), user=user))
    )
    segment = _segment_of(user)
    if segment is not None and connection.features.supports_json_field_contains:
        updates = updates.filter(Q(segments=[]) | Q(segments__contains=[segment]))
    return updates


def _for_segment(updates, user: User) -> list:
    # SQLite cannot ask "does the JSON list contain X", so the (short) list is filtered here.
    segment = _segment_of(user)
    if segment is None:
        return list(updates)
    return [u for u in updates if not u.segments or segment in u.segments]


def updates_for(*, user: User) -> list[ProductUpdate]:
    """Published updates meant for the person's segment (no segments = everyone), newest
    first, each with `is_unread`. One query."""
    updates = _for_segment(_updates_with_read_state(user).order_by("-published_at", "-pk"), user)
    for update in updates:
        update.is_unread = not update.is_read
    return updates


def update_detail(*, user: User, pk: int) -> ProductUpdate:
    """One update the person may read (content admins may also preview drafts and scheduled
    ones), with its linked ideas and roadmap items. Raises ProductUpdate.DoesNotExist."""
    if getattr(user, "is_content_admin", False):
        updates = ProductUpdate.objects.all()
    else:
        updates = ProductUpdate.objects.published()
    update = updates.prefetch_related(
        Prefetch("ideas", queryset=_visible_ideas(user), to_attr="linked_ideas"),
        Prefetch(
            "roadmap_items", queryset=RoadmapItem.objects.order_by("position", "pk"), to_attr="linked_items"
        ),
    ).get(pk=pk)
    if not getattr(user, "is_content_admin", False) and update not in _for_segment([update], user):
        raise ProductUpdate.DoesNotExist
    for idea in update.linked_ideas:
        idea.url = idea_url(idea)
    update.is_live = update.published_at is not None and update.published_at <= timezone.now()
    return update


def unread_update_count(*, user: User) -> int:
    """How many published updates meant for the person they have not opened yet. One query."""
    rows = _updates_with_read_state(user).filter(is_read=False).values_list("segments", flat=True)
    if connection.features.supports_json_field_contains:
        return rows.count()
    segment = _segment_of(user)
    return sum(1 for segments in rows if segment is None or not segments or segment in segments)


def item_audience_count(*, item: RoadmapItem) -> int:
    """How many people shipping this item would notify."""
    idea_ids = [idea.pk for idea in item.ideas.all()]
    return idea_audience(idea_ids=idea_ids).count() if idea_ids else 0


def published_updates_since(*, since) -> QuerySet[ProductUpdate]:
    """Product updates (releases) published since `since` and not in the future; for the
    engagement app's "new product release" moments."""
    return ProductUpdate.objects.published().filter(published_at__gte=since).order_by("published_at", "pk")
