"""Celery tasks of the learning app: thin, idempotent wrappers that send e-mails.

Session e-mails (registration, waiting list, cancellation, reminders) are transactional and go
straight out; the weekly digest is automated and goes through the contact budget."""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.core.failures import refusal_logged
from apps.learning import selectors
from apps.learning.calendar import session_ics
from apps.learning.models import LearningPreference, LiveSession, Registration, RegistrationStatus
from apps.notifications.services import contact_request, contact_sender_register

DIGEST_SALT = "learning.digest-unsubscribe"


def digest_unsubscribe_url(user_id: int) -> str:
    token = signing.dumps({"u": user_id}, salt=DIGEST_SALT)
    return settings.SITE_URL + reverse("digest_unsubscribe", kwargs={"token": token})


def _send(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    attach_session: LiveSession | None = None,
    with_join_url: bool = False,
):
    context = {**context, "site_url": settings.SITE_URL, "portal_name": settings.PORTAL_NAME}
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(template, context), to=[to])
    if attach_session is not None:
        message.attach(
            "session.ics",
            session_ics(attach_session, with_join_url=with_join_url),
            "text/calendar; method=PUBLISH; charset=utf-8",
        )
    message.send()


SUBJECTS = {
    "registration": "You are registered: {title}",
    "waitlisted": "You are on the waiting list: {title}",
    "promoted": "A seat opened up for you: {title}",
    "session_cancelled": "Cancelled: {title}",
    "reminder": "Tomorrow: {title}",
}


@shared_task
def registration_email(*, registration_id: int, template: str) -> None:
    registration = Registration.objects.select_related("session", "user").filter(pk=registration_id).first()
    if registration is None:
        return
    if template == "registration" and registration.status == RegistrationStatus.WAITLISTED:
        template = "waitlisted"
    if template in ("registration", "promoted") and registration.status != RegistrationStatus.REGISTERED:
        return  # cancelled before the e-mail went out
    session = registration.session
    has_seat = registration.status == RegistrationStatus.REGISTERED  # the join link is for them only
    _send(
        to=registration.user.email,
        subject=SUBJECTS[template].format(title=session.title),
        template=f"learning/email/{template}.txt",
        context={
            "registration": registration,
            "session": session,
            "user": registration.user,
            "session_url": settings.SITE_URL + session.get_absolute_url(),
            "show_join_url": has_seat,
        },
        attach_session=session if template in ("registration", "promoted", "session_cancelled") else None,
        with_join_url=has_seat,
    )


@shared_task
def send_session_reminders() -> int:
    """Remind registered people of sessions starting in the next 24 hours, once each.

    Each reminder is claimed with a conditional UPDATE before it is sent, so a retried or
    overlapping run never sends the same reminder twice. A transient failure (the mail server
    is away) rolls back that person's claim and fails the run, which Celery retries; the
    reminders already sent stay sent. A permanent one (the server refuses that address) is
    logged and keeps the claim, so that person is not tried again, and the others still get
    theirs.
    """
    now = timezone.now()
    due = Registration.objects.filter(
        status=RegistrationStatus.REGISTERED,
        reminder_sent_at__isnull=True,
        session__starts_at__gt=now,
        session__starts_at__lte=now + timedelta(hours=24),
        session__cancelled_at__isnull=True,
    ).values_list("pk", "user_id")
    sent = 0
    for pk, user_id in list(due):
        with transaction.atomic():
            claimed = Registration.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            with refusal_logged(f"Session reminder for user {user_id} (registration {pk})") as outcome:
                registration_email(registration_id=pk, template="reminder")
            if outcome.refused:
                continue
            sent += 1
    return sent


def digest_email_send(*, user_id: int, since: str) -> bool:
    """The sender "learning.digest": the weekly digest of what is new since `since` (ISO 8601),
    chosen when it is sent, so a digest the contact budget held back is still current. Returns
    False, sending nothing, if the person turned the digest off meanwhile or nothing suits them."""
    preference = (
        LearningPreference.objects.select_related("user", "user__account")
        .filter(user_id=user_id, weekly_digest=True, user__is_active=True)
        .first()
    )
    if preference is None:
        return False
    items = selectors.digest_items(user=preference.user, since=datetime.fromisoformat(since))
    if not items:
        return False
    _send(
        to=preference.user.email,
        subject=_digest_subject(items),
        template="learning/email/digest.txt",
        context={
            "user": preference.user,
            "items": items,
            "tip": items[0],
            "unsubscribe_url": digest_unsubscribe_url(preference.user_id),
        },
    )
    return True


def _digest_subject(items) -> str:
    return f"This week on {settings.PORTAL_NAME}: {items[0].title}"


contact_sender_register(name="learning.digest", send=digest_email_send)


@shared_task
def send_weekly_digests() -> int:
    """The weekly "tip of the week" e-mail to everyone who opted in, at most once in six days,
    through the contact budget; returns how many go now (the others are held back)."""
    now = timezone.now()
    cutoff = now - timedelta(days=6)
    pending = (
        LearningPreference.objects.filter(weekly_digest=True, user__is_active=True)
        .exclude(last_digest_at__gt=cutoff)
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(pending):
        with transaction.atomic():
            preference = (
                LearningPreference.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("user", "user__account")
                .filter(pk=pk)
                .exclude(last_digest_at__gt=cutoff)
                .first()
            )
            if preference is None:
                continue
            since = preference.last_digest_at or now - timedelta(days=7)
            items = selectors.digest_items(user=preference.user, since=since)
            preference.last_digest_at = now
            preference.save(update_fields=["last_digest_at"])
            if not items:
                continue
            # One digest per person per digest period, keyed by the period's start: a retry
            # finds the same key. (Not the ISO week: the six-day cadence drifts, and a Monday
            # digest followed by a Sunday one would share a week and the second would vanish.)
            contact = contact_request(
                user=preference.user,
                kind="digest",
                subject=_digest_subject(items),
                dedup_key=f"learning-digest-{since:%Y%m%dT%H%M%S.%f}",
                send="learning.digest",
                kwargs={"user_id": preference.user_id, "since": since.isoformat()},
            )
            sent += contact.is_sent
    return sent
