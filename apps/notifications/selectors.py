"""Reads of the notifications app."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.notifications.models import Category, EmailOptOut, Notification


def notification_list(*, user: User) -> QuerySet[Notification]:
    """A person's own notifications, unread first, then newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_notification_count(*, user: User) -> int:
    return Notification.objects.filter(user=user).unread().count()


def email_preferences(*, user: User) -> dict[str, bool]:
    """Category -> whether the person gets e-mails of it (all on unless opted out)."""
    off = set(EmailOptOut.objects.filter(user=user).values_list("category", flat=True))
    return {category: category not in off for category in Category.values}
