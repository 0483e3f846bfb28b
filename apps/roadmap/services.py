"""Writes of the roadmap app. Roadmap items and product updates are edited by content admins;
reading an update and viewing the roadmap are recorded for everyone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import ServiceError
from apps.community.models import Idea, IdeaStatus
from apps.community.selectors import idea_audience
from apps.interactions.models import Interaction
from apps.interactions.services import record
from apps.notifications.models import Category
from apps.notifications.services import notify
from apps.roadmap import kinds
from apps.roadmap.models import ItemStatus, ProductUpdate, RoadmapItem, UpdateRead

ROADMAP_VIEW_WINDOW = timedelta(minutes=30)


class RoadmapError(ServiceError):
    pass


def _check_content_admin(user: User) -> None:
    if not getattr(user, "is_content_admin", False):
        raise RoadmapError("Only content admins edit the roadmap and product updates.")


# --- Roadmap items ----------------------------------------------------------------------------


def roadmap_item_save(*, by: User, item: RoadmapItem, ideas: Iterable[Idea] | None = None) -> RoadmapItem:
    """Create or change a roadmap item (and, if given, the ideas it addresses). Shipping is
    only done by `roadmap_item_ship`, which tells the people waiting for it."""
    _check_content_admin(by)
    was_shipped = (
        item.pk is not None and RoadmapItem.objects.filter(pk=item.pk, status=ItemStatus.SHIPPED).exists()
    )
    if item.status == ItemStatus.SHIPPED and not was_shipped:
        raise RoadmapError("Use “Ship” to mark an item shipped: it also tells everyone waiting for it.")
    if was_shipped and item.status != ItemStatus.SHIPPED:
        item.shipped_at = None
    with transaction.atomic():
        item.save()
        if ideas is not None:
            item.ideas.set(ideas)
    return item


def roadmap_item_ship(*, item: RoadmapItem, by: User) -> RoadmapItem:
    """Mark an item shipped and its linked ideas shipped (merged ones stay merged); after the
    commit, everyone who voted for or follows those ideas is notified, once."""
    _check_content_admin(by)
    now = timezone.now()
    with transaction.atomic():
        item = RoadmapItem.objects.select_for_update().get(pk=item.pk)
        if item.status == ItemStatus.SHIPPED:
            raise RoadmapError(f"“{item.title}” has already shipped.")
        item.status = ItemStatus.SHIPPED
        item.shipped_at = now
        item.save(update_fields=["status", "shipped_at"])
        idea_ids = list(item.ideas.values_list("pk", flat=True))
        Idea.objects.filter(pk__in=idea_ids).exclude(status=IdeaStatus.MERGED).update(
            status=IdeaStatus.SHIPPED, status_changed_at=now
        )
        from apps.roadmap.tasks import notify_item_shipped

        item_id = item.pk
        transaction.on_commit(lambda: notify_item_shipped.delay(item_id=item_id))
    return item


def roadmap_item_shipped_notify(*, item: RoadmapItem) -> int:
    """Notify (in-app and by e-mail) everyone who voted for or follows the item's ideas. Safe to
    run again: the dedup key lets each person be notified once. Returns how many were new."""
    idea_ids = list(item.ideas.values_list("pk", flat=True))
    if not idea_ids:
        return 0
    url = reverse("roadmap") + f"#item-{item.pk}"
    sent = 0
    for user in idea_audience(idea_ids=idea_ids).iterator():
        created = notify(
            user=user,
            category=Category.IDEAS,
            dedup_key=f"roadmap-shipped-{item.pk}",
            title=f"Shipped: {item.title}",
            body="An idea you voted for or follow is now part of the product.",
            url=url,
        )
        sent += created is not None
    return sent


def roadmap_view(*, user: User) -> bool:
    """Record that a person looked at the roadmap, at most once per 30 minutes."""
    now = timezone.now()
    recent = Interaction.objects.filter(
        user=user, kind=kinds.ROADMAP_VIEWED.name, occurred_at__gte=now - ROADMAP_VIEW_WINDOW
    ).exists()
    if recent:
        return False
    record(kind=kinds.ROADMAP_VIEWED.name, user=user, occurred_at=now)
    return True


# --- Product updates --------------------------------------------------------------------------


def update_save(
    *,
    by: User,
    update: ProductUpdate,
    ideas: Iterable[Idea] | None = None,
    roadmap_items: Iterable[RoadmapItem] | None = None,
) -> ProductUpdate:
    """Create or change a product update. An empty publish date keeps it a draft; a future one
    schedules it."""
    _check_content_admin(by)
    with transaction.atomic():
        update.save()
        if ideas is not None:
            update.ideas.set(ideas)
        if roadmap_items is not None:
            update.roadmap_items.set(roadmap_items)
    return update


def update_publish(*, by: User, update: ProductUpdate, at: datetime | None = None) -> ProductUpdate:
    """Publish an update now, or at `at` (a future date schedules it)."""
    _check_content_admin(by)
    if update.published_at is not None and update.published_at <= timezone.now():
        raise RoadmapError(f"“{update.title}” is already published.")
    update.published_at = at or timezone.now()
    update.save(update_fields=["published_at"])
    return update


def update_mark_read(*, user: User, update: ProductUpdate) -> UpdateRead:
    """Note that a person read an update; the first read is recorded (once per person and
    update), with whether the reader is an executive sponsor."""
    with transaction.atomic():
        read, created = UpdateRead.objects.get_or_create(update=update, user=user)
        if created:
            record(
                kind=kinds.UPDATE_READ.name,
                user=user,
                subject=update,
                occurred_at=read.read_at,
                properties={"executive_sponsor": user.is_executive_sponsor},
            )
    return read
