"""Celery tasks of the notifications app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.notifications import senders, services
from apps.notifications.models import EmailOptOut, Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_url(user_id: int, category: str) -> str:
    token = signing.dumps({"u": user_id, "c": category}, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("email_unsubscribe", kwargs={"token": token})


def notification_email_send(*, notification_id: int) -> bool:
    """The sender "notifications.email": e-mail one notification, at most once (it is claimed,
    emailed_at, in the same transaction as the send). Returns False, sending nothing, if it was
    e-mailed already or the person has since opted out of its category or been deactivated."""
    notification = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if notification is None:
        return False
    user = notification.user
    if not user.is_active or EmailOptOut.objects.filter(user=user, category=notification.category).exists():
        return False
    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            return False
        unsubscribe = unsubscribe_url(notification.user_id, notification.category)
        context = {
            "notification": notification,
            "user": user,
            "site_url": settings.SITE_URL,
            "portal_name": settings.PORTAL_NAME,
            "unsubscribe_url": unsubscribe,
            "category_label": notification.get_category_display(),
        }
        message = EmailMessage(
            subject=notification.title,
            body=render_to_string("notifications/email/notification.txt", context),
            to=[user.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.send()
    return True


senders.register("notifications.email", notification_email_send)


@shared_task
def notification_email(*, notification_id: int) -> None:
    """E-mail one notification straight away: only for the e-mails the contact budget exempts
    (alerts to the vendor's staff); every other notification e-mail goes through the budget."""
    notification_email_send(notification_id=notification_id)


@shared_task
def contact_send(contact_id: int) -> bool:
    """Send one message the contact budget granted, at most once."""
    return services.contact_deliver(contact_id=contact_id)


@shared_task
def release_held_contacts() -> dict[str, int]:
    """Hourly: send held messages as budgets allow; drop the stale ones."""
    return services.contact_release_held()
