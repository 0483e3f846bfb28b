"""Writes of the notifications app: notify a person in-app and, unless they opted out, by e-mail."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Category, EmailOptOut, Notification


def notify(
    *,
    user: User,
    category: str,
    title: str,
    dedup_key: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> Notification | None:
    """Notify a person once per `dedup_key`: a second call with the same key does nothing, so a
    retried task never notifies twice. The e-mail goes after the commit, unless the person
    turned the category off. Returns the new notification, or None if it existed."""
    if category not in Category.values:
        raise ValueError(f"Unknown notification category {category!r}.")
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                category=category,
                title=title[:200],
                body=body,
                url=url,
                dedup_key=dedup_key[:150],
            )
    except IntegrityError:
        return None
    if email and user.is_active and not EmailOptOut.objects.filter(user=user, category=category).exists():
        from apps.notifications.tasks import notification_email

        transaction.on_commit(lambda: notification_email.delay(notification_id=notification.pk))
    return notification


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of a person's notifications read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def email_preferences_set(*, user: User, enabled: dict[str, bool]) -> None:
    """Turn e-mail categories on (True) or off (False) for a person."""
    with transaction.atomic():
        for category, on in enabled.items():
            if category not in Category.values:
                raise ValueError(f"Unknown category {category!r}.")
            if on:
                EmailOptOut.objects.filter(user=user, category=category).delete()
            else:
                EmailOptOut.objects.get_or_create(user=user, category=category)
