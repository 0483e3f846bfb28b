"""Celery tasks of the notifications app."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import Notification

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_url(user_id: int, category: str) -> str:
    token = signing.dumps({"u": user_id, "c": category}, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("email_unsubscribe", kwargs={"token": token})


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=6)
def notification_email(*, notification_id: int) -> None:
    """E-mail one notification, at most once: it is claimed (emailed_at) before sending."""
    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            return
        notification = Notification.objects.select_related("user").get(pk=notification_id)
        unsubscribe = unsubscribe_url(notification.user_id, notification.category)
        context = {
            "notification": notification,
            "user": notification.user,
            "site_url": settings.SITE_URL,
            "portal_name": settings.PORTAL_NAME,
            "unsubscribe_url": unsubscribe,
            "category_label": notification.get_category_display(),
        }
        message = EmailMessage(
            subject=notification.title,
            body=render_to_string("notifications/email/notification.txt", context),
            to=[notification.user.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.send()
