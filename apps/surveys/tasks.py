"""Celery tasks of the surveys app: thin and idempotent. Each e-mail is claimed with a
conditional UPDATE before it is sent, so a retried or overlapping run never sends it twice;
if sending fails, the claim rolls back with it and the retry sends it."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.surveys import services
from apps.surveys.models import Campaign, CampaignStatus, Invitation, SurveyOptOut
from apps.surveys.tokens import day_label, invitation_token, unsubscribe_token

RETRY = {"autoretry_for": (SMTPException, OSError), "retry_backoff": True, "max_retries": 6}


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


@shared_task(**RETRY)
def send_invitation_emails(campaign_id: int) -> int:
    """E-mail every invitation of a campaign that has not been e-mailed yet, once each."""
    pending = _sendable(Invitation.objects.filter(campaign_id=campaign_id, emailed_at__isnull=True))
    sent = 0
    for pk in list(pending.values_list("pk", flat=True)):
        with transaction.atomic():
            if not Invitation.objects.filter(pk=pk, emailed_at__isnull=True).update(
                emailed_at=timezone.now()
            ):
                continue
            invitation = Invitation.objects.select_related("campaign", "user").get(pk=pk)
            _send_invitation(
                invitation,
                template="surveys/email/invitation.txt",
                subject=f"{settings.PORTAL_NAME}: {invitation.campaign.question}",
            )
            sent += 1
    return sent


@shared_task(**RETRY)
def send_reminders() -> int:
    """One reminder per unanswered invitation, `reminder_after_days` after it was sent, while it
    can still be answered. People who dismissed the in-app prompt are not chased."""
    now = timezone.now()
    sent = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE):
        due = _sendable(
            Invitation.objects.filter(
                campaign=campaign,
                emailed_at__isnull=False,
                reminded_at__isnull=True,
                dismissed_at__isnull=True,
                sent_at__lte=now - timedelta(days=campaign.reminder_after_days),
            )
        )
        for pk in list(due.values_list("pk", flat=True)):
            with transaction.atomic():
                if not Invitation.objects.filter(pk=pk, reminded_at__isnull=True).update(reminded_at=now):
                    continue
                invitation = Invitation.objects.select_related("campaign", "user").get(pk=pk)
                _send_invitation(
                    invitation,
                    template="surveys/email/reminder.txt",
                    subject=f"Reminder: {invitation.campaign.question}",
                )
                sent += 1
    return sent


@shared_task(**RETRY)
def send_due_waves() -> int:
    """Send the waves that are due: an active campaign's first wave once it starts, then every
    `repeat_every_days`. Returns how many people were invited."""
    now = timezone.now()
    invited = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.ACTIVE, starts_at__lte=now):
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
