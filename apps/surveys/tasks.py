"""Celery tasks of the surveys app: thin and idempotent. Invitation and reminder e-mails go
through the contact budget (apps.notifications), once per invitation; the sender claims each
e-mail with a conditional UPDATE before it is sent, so a retried or overlapping run never sends
it twice; if sending fails for a moment, the claim rolls back with it and the retry sends it (a
permanent refusal by the mail server drops that one message: see contact_deliver)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.notifications.services import contact_request, contact_sender_register
from apps.surveys import services
from apps.surveys.models import Campaign, CampaignStatus, Invitation, SurveyOptOut
from apps.surveys.tokens import day_label, invitation_token, unsubscribe_token


def _url(name: str, token: str, fallback: str) -> str:
    try:
        path = reverse(name, kwargs={"token": token})
    except NoReverseMatch:
        path = fallback
    return settings.SITE_URL + path


def respond_url(invitation: Invitation) -> str:
    token = invitation_token(invitation)
    return _url("survey_respond", token, f"/surveys/r/{token}/")


def unsubscribe_url(user) -> str:
    token = unsubscribe_token(user)
    return _url("survey_unsubscribe", token, f"/surveys/unsubscribe/{token}/")


def _send_invitation(invitation: Invitation, *, template: str, subject: str) -> None:
    link = respond_url(invitation)
    context = {
        "user": invitation.user,
        "campaign": invitation.campaign,
        "invitation": invitation,
        "respond_url": link,
        "score_links": [(score, f"{link}?score={score}") for score in range(11)],
        "unsubscribe_url": unsubscribe_url(invitation.user),
        "closes_on": day_label(invitation.expires_at),
        "site_url": settings.SITE_URL,
        "portal_name": settings.PORTAL_NAME,
    }
    body = render_to_string(template, context)
    EmailMultiAlternatives(subject=subject, body=body, to=[invitation.user.email]).send()


def _sendable(invitations):
    now = timezone.now()
    return invitations.filter(
        expires_at__gt=now,
        response__isnull=True,
        campaign__status=CampaignStatus.ACTIVE,
        user__is_active=True,
    ).exclude(Exists(SurveyOptOut.objects.filter(user=OuterRef("user_id"))))


def invitation_email_send(*, invitation_id: int, reminder: bool = False) -> bool:
    """The sender "surveys.invitation": e-mail one invitation (or its reminder), at most once.
    `emailed_at` (`reminded_at`) is claimed in the same transaction as the send, so it says when
    the e-mail really went; a failed send releases the claim. Returns False, sending nothing,
    when it is not wanted any more: answered, expired, closed, opted out, already sent, or (for
    a reminder) the prompt was dismissed."""
    invitations = _sendable(Invitation.objects.filter(pk=invitation_id))
    stamp = "reminded_at" if reminder else "emailed_at"
    if reminder:
        invitations = invitations.filter(emailed_at__isnull=False, dismissed_at__isnull=True)
    with transaction.atomic():
        if not invitations.filter(**{f"{stamp}__isnull": True}).update(**{stamp: timezone.now()}):
            return False
        invitation = Invitation.objects.select_related("campaign", "user").get(pk=invitation_id)
        _send_invitation(
            invitation,
            template=f"surveys/email/{'reminder' if reminder else 'invitation'}.txt",
            subject=_subject(invitation, reminder=reminder),
        )
    return True


def _subject(invitation: Invitation, *, reminder: bool) -> str:
    if reminder:
        return f"Reminder: {invitation.campaign.question}"
    return f"{settings.PORTAL_NAME}: {invitation.campaign.question}"


contact_sender_register(name="surveys.invitation", send=invitation_email_send)


def _request(invitation: Invitation, *, reminder: bool) -> bool:
    """Ask the contact budget to send an invitation's e-mail; True if it goes now, False if held."""
    what = "reminder" if reminder else "invitation"
    contact = contact_request(
        user=invitation.user,
        kind="survey",
        subject=_subject(invitation, reminder=reminder),
        dedup_key=f"survey-{what}-{invitation.pk}",
        send="surveys.invitation",
        kwargs={"invitation_id": invitation.pk, "reminder": reminder},
    )
    return contact.is_sent


@shared_task
def send_invitation_emails(campaign_id: int) -> int:
    """Ask the contact budget to e-mail every invitation of a campaign not e-mailed yet, once
    each; returns how many go now (the others are held and sent, or dropped, by the budget's
    hourly release). Asking again for one already asked changes nothing."""
    pending = _sendable(
        Invitation.objects.filter(campaign_id=campaign_id, emailed_at__isnull=True)
    ).select_related("campaign", "user")
    return sum(_request(invitation, reminder=False) for invitation in pending.order_by("pk"))


@shared_task
def send_reminders() -> int:
    """One reminder per unanswered invitation, `reminder_after_days` after its e-mail actually
    went (which the contact budget may have delayed), while it can still be answered. People who
    dismissed the in-app prompt are not chased. Returns how many go now."""
    now = timezone.now()
    sent = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE):
        due = _sendable(
            Invitation.objects.filter(
                campaign=campaign,
                reminded_at__isnull=True,
                dismissed_at__isnull=True,
                emailed_at__lte=now - timedelta(days=campaign.reminder_after_days),
            )
        ).select_related("campaign", "user")
        sent += sum(_request(invitation, reminder=True) for invitation in due.order_by("pk"))
    return sent


@shared_task
def send_due_waves() -> int:
    """Send the waves that are due: an active campaign's first wave once it starts, then every
    `repeat_every_days`. Returns how many people were invited."""
    now = timezone.now()
    invited = 0
    for campaign in Campaign.objects.filter(
        status=CampaignStatus.ACTIVE, starts_at__lte=now, one_by_one=False
    ):
        if campaign.last_wave_at is not None and (
            campaign.repeat_every_days is None
            or campaign.last_wave_at + timedelta(days=campaign.repeat_every_days) > now
        ):
            continue
        try:
            invited += services.campaign_send_wave(campaign=campaign, now=now)
        except services.SurveyError:
            continue  # closed in the meantime
    return invited
