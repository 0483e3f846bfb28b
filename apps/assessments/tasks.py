"""Celery tasks of the assessments app: certification e-mails, reminders and expiries."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.assessments import services
from apps.assessments.models import Award
from apps.core.failures import refusal_logged

SUBJECTS = {
    "earned": "You are certified: {title}",
    "reminder": "Your {title} certification expires on {expires}",
}


@shared_task
def award_email(*, award_id: int, template: str) -> None:
    award = (
        Award.objects.select_related("certification", "certification__recertification_path", "user")
        .filter(pk=award_id)
        .first()
    )
    if award is None or award.status != "valid":
        return
    context = {
        "award": award,
        "user": award.user,
        "certification": award.certification,
        "site_url": settings.SITE_URL,
        "portal_name": settings.PORTAL_NAME,
        "verify_url": settings.SITE_URL + award.get_absolute_url(),
    }
    send_mail(
        subject=SUBJECTS[template].format(
            title=award.certification.title, expires=timezone.localtime(award.expires_at).strftime("%d %B %Y")
        ),
        message=render_to_string(f"assessments/email/{template}.txt", context),
        from_email=None,
        recipient_list=[award.user.email],
    )


@shared_task
def send_certification_reminders() -> int:
    """Remind holders before their certification expires, once per award (daily beat).

    Each reminder is claimed (reminder_sent_at) in the transaction that sends it. A transient
    failure rolls back that claim and fails the run, which Celery retries; a permanent one (the
    mail server refuses that address) is logged and keeps the claim, so the holder is not tried
    again every day, and the others still get theirs."""
    now = timezone.now()
    candidates = Award.objects.filter(
        revoked_at__isnull=True,
        reminder_sent_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=366),
    ).values_list("pk", "user_id", "expires_at", "certification__reminder_days")
    due = [
        (pk, user_id)
        for pk, user_id, expires_at, days in candidates
        if expires_at <= now + timedelta(days=days)
    ]
    sent = 0
    for pk, user_id in due:
        with transaction.atomic():
            if not Award.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                continue
            with refusal_logged(f"Certification reminder for user {user_id} (award {pk})") as outcome:
                award_email(award_id=pk, template="reminder")
            if outcome.refused:
                continue
            sent += 1
    return sent


@shared_task
def record_expired_awards() -> int:
    return services.awards_record_expired()
