"""Tests of apps/surveys/tasks.py: invitation e-mails, reminders and due waves, each sent once.

The e-mails go through the contact budget, which sends after the commit of its decision: the
tests that expect an e-mail run the on-commit callbacks."""

import re
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone

from apps.surveys import services, tasks, tokens
from apps.surveys.models import CampaignStatus, Invitation
from tests.surveys.factories import CampaignFactory, InvitationFactory


def test_a_retried_wave_emails_each_person_once(alice, bob, django_capture_on_commit_callbacks):
    campaign = CampaignFactory()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_wave(campaign=campaign, now=now)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_send_wave(campaign=campaign, now=now)  # the retry
    assert tasks.send_invitation_emails(campaign.pk) == 0  # and the task itself retried
    assert Invitation.objects.filter(campaign=campaign).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email])
    assert not Invitation.objects.filter(emailed_at__isnull=True).exists()


def test_invitation_email_has_eleven_score_links_and_an_unsubscribe_link(
    alice, django_capture_on_commit_callbacks
):
    invitation = InvitationFactory(user=alice)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_invitation_emails(invitation.campaign_id) == 1
    body = mail.outbox[0].body
    assert invitation.campaign.question in body and invitation.campaign.follow_up_question in body
    links = re.findall(r"(http\S+/surveys/r/(\S+)/\?score=(\d+))", body)
    assert [int(score) for _, _, score in links] == list(range(11))
    assert {tokens.invitation_from_token(token) for _, token, _ in links} == {invitation}
    unsubscribe = re.search(r"/surveys/unsubscribe/(\S+)/", body)
    assert tokens.user_from_unsubscribe_token(unsubscribe.group(1)) == alice
    assert "&amp;" not in body and "&#x27;" not in body


def test_failed_sending_releases_the_claim(alice, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(user=alice)
    failing = mock.patch(
        "django.core.mail.EmailMultiAlternatives.send", side_effect=SMTPServerDisconnected("down")
    )
    # The send task runs eagerly here, so its automatic retry surfaces as Celery's Retry.
    with failing, pytest.raises(Retry) as retry, django_capture_on_commit_callbacks(execute=True):
        tasks.send_invitation_emails.run(invitation.campaign_id)
    assert isinstance(retry.value.exc, SMTPServerDisconnected)
    invitation.refresh_from_db()
    assert invitation.emailed_at is None and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_invitation_emails(invitation.campaign_id) == 1
    invitation.refresh_from_db()
    assert invitation.emailed_at is not None and [m.to for m in mail.outbox] == [[alice.email]]


def test_no_email_for_opted_out_answered_or_closed(alice, bob, carol):
    campaign = CampaignFactory()
    InvitationFactory(campaign=campaign, user=alice)
    answered = InvitationFactory(campaign=campaign, user=bob)
    services.response_submit(invitation=answered, score=9)
    InvitationFactory(campaign=campaign, user=carol)
    services.survey_opt_out(user=carol)
    assert tasks.send_invitation_emails(campaign.pk) == 1
    closed = InvitationFactory(user=bob, campaign=CampaignFactory(status=CampaignStatus.CLOSED))
    assert tasks.send_invitation_emails(closed.campaign_id) == 0


def test_one_reminder_after_the_delay(alice, bob, carol, sam, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(reminder_after_days=7)
    now = timezone.now()
    week_ago = now - timedelta(days=8)
    due = InvitationFactory(campaign=campaign, user=alice, sent_at=week_ago, emailed_at=week_ago)
    InvitationFactory(
        campaign=campaign, user=bob, sent_at=now - timedelta(days=3), emailed_at=now
    )  # too soon
    # Invited a week ago, but the contact budget held the e-mail until yesterday: too soon too.
    InvitationFactory(campaign=campaign, user=sam, sent_at=week_ago, emailed_at=now - timedelta(days=1))
    answered = InvitationFactory(campaign=campaign, user=carol, sent_at=week_ago, emailed_at=week_ago)
    services.response_submit(invitation=answered, score=3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders() == 1
    assert tasks.send_reminders() == 0
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Reminder" in mail.outbox[0].subject
    due.refresh_from_db()
    assert due.reminded_at is not None


def test_send_due_waves(alice, bob):
    now = timezone.now()
    one_off = CampaignFactory(
        starts_at=now - timedelta(hours=1), throttle_days=0
    )  # the throttle spans campaigns
    future = CampaignFactory(starts_at=now + timedelta(days=1))
    CampaignFactory(status=CampaignStatus.DRAFT, starts_at=now - timedelta(days=1))
    recurring = CampaignFactory(
        starts_at=now - timedelta(days=200),
        repeat_every_days=90,
        throttle_days=0,
        last_wave_at=now - timedelta(days=91),
    )
    tasks.send_due_waves()
    assert set(Invitation.objects.values_list("campaign_id", flat=True)) == {one_off.pk, recurring.pk}
    assert tasks.send_due_waves() == 0  # nothing due any more
    assert not Invitation.objects.filter(campaign=future).exists()
    one_off.refresh_from_db()
    recurring.refresh_from_db()
    assert one_off.last_wave_at is not None and recurring.last_wave_at > now - timedelta(minutes=1)
