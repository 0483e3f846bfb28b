"""Task failures: what is retried, and what one bad recipient does to a sweep.

CairnTask retries a task only for failures that go away by themselves (a dropped database
connection, a deadlock, a mail server that hangs up or answers 4xx); a permanent one (a 5xx
refusal, a missing file, a bug) fails it at once. A task that sends to many people (session and
certification reminders, the weekly digest, survey invitations, held messages) records a
permanent refusal for that person, logs it without the address, and carries on with the others;
a transient failure fails the run, which Celery retries, and what was sent before stays sent.

The mail server is Django's test outbox behind `RefusingBackend`, which refuses the addresses
the test names, with the exception the test names.
"""

from __future__ import annotations

import json
import logging
import smtplib
import socket
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends import locmem
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from apps.assessments import tasks as assessment_tasks
from apps.learning import services as learning_services
from apps.learning import tasks as learning_tasks
from apps.learning.models import Registration
from apps.notifications import services as notification_services
from apps.notifications.models import PRIORITY, Contact, ContactKind, ContactStatus, Notification
from apps.surveys import tasks as survey_tasks
from apps.surveys.models import Invitation
from config.celery import CairnTask
from config.celery import app as celery_app
from config.views import UNAVAILABLE, server_error
from tests.assessments.factories import AwardFactory, CertificationFactory
from tests.learning.factories import ContentItemFactory, LiveSessionFactory, RegistrationFactory
from tests.surveys.factories import CampaignFactory, InvitationFactory

REFUSALS: dict[str, Exception] = {}
ATTEMPTS: list[str] = []


class RefusingBackend(locmem.EmailBackend):
    """The test outbox behind a mail server that refuses the addresses in REFUSALS."""

    def send_messages(self, messages):
        for message in messages:
            for address in message.recipients():
                ATTEMPTS.append(address)
                if address in REFUSALS:
                    raise REFUSALS[address]
        return super().send_messages(messages)


def unknown_user(address: str) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({address: (550, b"5.1.1 User unknown")})


def mailbox_busy(address: str) -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({address: (450, b"4.2.1 Mailbox busy, try again later")})


def hung_up(address: str) -> smtplib.SMTPServerDisconnected:
    return smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


TRANSIENT_SEND_FAILURES = [pytest.param(mailbox_busy, id="4xx"), pytest.param(hung_up, id="disconnected")]


@pytest.fixture(autouse=True)
def refusing_mail_server(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    REFUSALS.clear()
    ATTEMPTS.clear()
    yield
    REFUSALS.clear()


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the contact budget sends after the commit of its decision)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def refused_warnings(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "refused" in r.getMessage()
    ]


# --- The retry decision -----------------------------------------------------------------------

RAISE: list[BaseException] = []
CALLS: list[int] = []


@celery_app.task(name="tests.security.fail_with")
def fail_with() -> str:
    CALLS.append(1)
    if RAISE:
        raise RAISE[0]
    return "done"


def run_failing(exc: BaseException, **options):
    RAISE[:] = [exc]
    CALLS.clear()
    try:
        return fail_with.apply(**options)
    finally:
        RAISE.clear()


def test_every_cairn_task_has_the_retry_decision():
    assert isinstance(fail_with, CairnTask)
    for task in (
        learning_tasks.send_session_reminders,
        assessment_tasks.send_certification_reminders,
        survey_tasks.send_invitation_emails,
        learning_tasks.send_weekly_digests,
    ):
        assert isinstance(task, CairnTask), task.name
        assert not getattr(task, "autoretry_for", ()), "the retry is decided by CairnTask, not autoretry_for"


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError("deadlock detected"),
        InterfaceError("connection already closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        socket.gaierror(-3, "Temporary failure in name resolution"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        smtplib.SMTPConnectError(421, b"Service not available"),
        smtplib.SMTPSenderRefused(451, b"4.3.0 Try again later", "no-reply@cairn.example"),
        smtplib.SMTPDataError(452, b"4.3.1 Insufficient system storage"),
        smtplib.SMTPAuthenticationError(454, b"4.7.0 Temporary authentication failure"),
        mailbox_busy("someone@example.com"),
    ],
    ids=type,
)
def test_a_transient_failure_is_retried_with_backoff(exc):
    with pytest.raises(Retry) as retry:
        run_failing(exc)
    assert retry.value.exc is exc
    assert 0 <= retry.value.when <= 1  # the first retry: up to 1 s (backoff with full jitter)
    assert retry.value.sig.options["retries"] == 1
    assert CALLS == [1]


def test_the_backoff_grows_and_the_retries_end():
    with pytest.raises(Retry) as retry:
        run_failing(hung_up(""), retries=5)
    assert 0 <= retry.value.when <= 32
    with pytest.raises(smtplib.SMTPServerDisconnected):  # the sixth retry was the last
        run_failing(hung_up(""), retries=6)


@pytest.mark.parametrize(
    "exc",
    [
        unknown_user("someone@example.com"),
        smtplib.SMTPSenderRefused(553, b"5.7.1 Sender address rejected", "no-reply@cairn.example"),
        smtplib.SMTPDataError(554, b"5.6.0 Message content rejected"),
        smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
        smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
        smtplib.SMTPRecipientsRefused(
            {"a@example.com": (450, b"4.2.1 Busy"), "b@example.com": (550, b"5.1.1 Unknown")}
        ),
        FileNotFoundError(2, "No such file or directory"),
        PermissionError(13, "Permission denied"),
        ValueError("a bug"),
    ],
    ids=type,
)
def test_a_permanent_failure_is_not_retried(exc):
    with pytest.raises(type(exc)) as raised:
        run_failing(exc)
    assert raised.value is exc and CALLS == [1]


# Results are read from EagerResult.result: its get() refuses to run once Celery has marked the
# process as a worker's (which an earlier test's in-process worker code may have done).


def test_a_task_that_succeeds_is_run_once():
    CALLS.clear()
    assert fail_with.apply().result == "done" and CALLS == [1]


# --- Session reminders ------------------------------------------------------------------------


def _session_with(*users):
    session = LiveSessionFactory(starts_at=timezone.now() + timedelta(hours=12), title="Admin bootcamp")
    start = timezone.now() - timedelta(days=3)
    for n, user in enumerate(users):  # registered in this order: the sweep goes in this order too
        RegistrationFactory(session=session, user=user, created_at=start + timedelta(minutes=n))
    return session


def test_one_refused_recipient_does_not_stop_the_session_reminders(alice, bob, carol, caplog):
    _session_with(bob, alice, carol)
    REFUSALS[bob.email] = unknown_user(bob.email)

    result = learning_tasks.send_session_reminders.apply()
    assert result.successful() and result.result == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])
    assert not Registration.objects.filter(reminder_sent_at__isnull=True).exists()
    (warning,) = refused_warnings(caplog)
    assert f"user {bob.pk} " in warning and "550" in warning and bob.email not in warning

    ATTEMPTS.clear()
    assert learning_tasks.send_session_reminders.apply().result == 0
    assert ATTEMPTS == []  # the refused one is not tried again every run


@pytest.mark.parametrize("failure", TRANSIENT_SEND_FAILURES)
def test_a_transient_send_failure_retries_the_session_reminders(alice, bob, carol, failure):
    _session_with(alice, bob, carol)
    REFUSALS[bob.email] = failure(bob.email)

    with pytest.raises(Retry):
        learning_tasks.send_session_reminders.apply()
    sent = Registration.objects.filter(reminder_sent_at__isnull=False)
    assert list(sent.values_list("user", flat=True)) == [alice.pk]  # bob's claim rolled back
    assert [m.to for m in mail.outbox] == [[alice.email]]

    REFUSALS.clear()  # the mail server is back: the retry sends the rest, alice's not twice
    assert learning_tasks.send_session_reminders.apply().result == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, bob.email, carol.email])


# --- Certification reminders ------------------------------------------------------------------


def test_one_refused_recipient_does_not_stop_the_certification_reminders(alice, bob, carol, caplog):
    certification = CertificationFactory(reminder_days=30)
    soon = timezone.now() + timedelta(days=20)
    awards = {
        user: AwardFactory(certification=certification, user=user, expires_at=soon)
        for user in (bob, alice, carol)
    }
    REFUSALS[bob.email] = unknown_user(bob.email)

    result = assessment_tasks.send_certification_reminders.apply()
    assert result.successful() and result.result == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])
    (warning,) = refused_warnings(caplog)
    assert f"user {bob.pk} " in warning and bob.email not in warning
    awards[bob].refresh_from_db()
    assert awards[bob].reminder_sent_at is not None

    ATTEMPTS.clear()
    assert assessment_tasks.send_certification_reminders.apply().result == 0
    assert ATTEMPTS == []


def test_a_transient_send_failure_retries_the_certification_reminders(alice, bob):
    certification = CertificationFactory(reminder_days=30)
    for user in (alice, bob):
        AwardFactory(certification=certification, user=user, expires_at=timezone.now() + timedelta(days=20))
    REFUSALS[alice.email] = hung_up(alice.email)
    REFUSALS[bob.email] = hung_up(bob.email)

    with pytest.raises(Retry):
        assessment_tasks.send_certification_reminders.apply()
    assert mail.outbox == []
    REFUSALS.clear()
    assert assessment_tasks.send_certification_reminders.apply().result == 2


# --- Through the contact budget: the digest, survey invitations, held messages ----------------


def test_one_refused_recipient_does_not_stop_the_weekly_digest(alice, bob, carol, commit, caplog):
    for user in (bob, alice, carol):
        learning_services.learning_preference_set(user=user, weekly_digest=True)
    ContentItemFactory(title="Calculated fields")
    REFUSALS[bob.email] = unknown_user(bob.email)

    with commit():
        result = learning_tasks.send_weekly_digests.apply()
    assert result.successful()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])
    refused = Contact.objects.get(user=bob, kind="digest")
    assert refused.status == ContactStatus.DROPPED and refused.delivered_at is None
    (warning,) = refused_warnings(caplog)
    assert f"user {bob.pk} " in warning and bob.email not in warning


def test_one_refused_recipient_does_not_stop_the_survey_invitations(alice, bob, carol, commit):
    campaign = CampaignFactory()
    for user in (bob, alice, carol):
        InvitationFactory(campaign=campaign, user=user)
    REFUSALS[bob.email] = unknown_user(bob.email)

    with commit():
        result = survey_tasks.send_invitation_emails.apply(args=(campaign.pk,))
    assert result.successful()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])
    assert list(Invitation.objects.filter(emailed_at__isnull=True).values_list("user", flat=True)) == [bob.pk]
    assert Contact.objects.get(user=bob).status == ContactStatus.DROPPED

    ATTEMPTS.clear()  # asked again (the task retried, or the next wave): bob is not tried again
    with commit():
        survey_tasks.send_invitation_emails.apply(args=(campaign.pk,))
    assert ATTEMPTS == []


@pytest.mark.parametrize("failure", TRANSIENT_SEND_FAILURES)
def test_a_transient_send_failure_is_retried_through_the_budget(alice, commit, failure):
    invitation = InvitationFactory(user=alice)
    REFUSALS[alice.email] = failure(alice.email)
    with pytest.raises(Retry), commit():
        survey_tasks.send_invitation_emails.apply(args=(invitation.campaign_id,))
    contact = Contact.objects.get(user=alice)
    assert contact.status == ContactStatus.SENT and contact.delivered_at is None  # to be sent again


def test_one_refused_recipient_does_not_stop_the_release_of_held_messages(
    alice, bob, carol, commit, settings
):
    settings.CONTACT_BUDGET_PER_WEEK = 1
    now = timezone.now()
    for user in (bob, alice, carol):  # each used this week's budget six days and 23 hours ago
        Contact.objects.create(
            user=user,
            kind=ContactKind.IDEAS,
            subject="Earlier",
            dedup_key="earlier",
            status=ContactStatus.SENT,
            priority=PRIORITY[ContactKind.IDEAS],
            created_at=now - timedelta(days=6, hours=23),
            sent_at=now - timedelta(days=6, hours=23),
            delivered_at=now - timedelta(days=6, hours=23),
        )
        with commit():
            notification_services.notify(user=user, category="ideas", title="Shipped", dedup_key="shipped")
    assert Contact.objects.held().count() == 3 and mail.outbox == []
    REFUSALS[bob.email] = unknown_user(bob.email)

    with commit():
        released = notification_services.contact_release_held(now=now + timedelta(hours=2))
    assert released["released"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted([alice.email, carol.email])
    assert Contact.objects.get(user=bob, subject="Shipped").status == ContactStatus.DROPPED
    assert Notification.objects.get(user=bob).emailed_at is None

    ATTEMPTS.clear()  # the hourly release does not queue the refused one again
    with commit():
        again = notification_services.contact_release_held(now=now + timedelta(hours=4))
    assert again["requeued"] == 0 and ATTEMPTS == []


# --- The error page of a failed transaction ---------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("deadlock detected"),
        OperationalError("canceling statement due to statement timeout"),
        OperationalError("could not serialize access due to concurrent update"),
        InterfaceError("connection already closed"),
    ],
    ids=str,
)
def test_a_failed_transaction_is_503_without_blaming_the_database(rf, error):
    def handled(path):
        try:
            raise error
        except Exception:  # what Django's handler500 is called within
            return server_error(rf.get(path))

    page = handled("/learn/")
    assert page.status_code == 503 and page["Retry-After"] == "30"
    text = page.content.decode()
    assert "could not complete your request" in text and "database" not in text.lower()
    api = handled("/api/v1/ideas/")
    assert api.status_code == 503 and api["Retry-After"] == "30"
    assert json.loads(api.content) == {"detail": UNAVAILABLE}
    assert "database" not in UNAVAILABLE.lower()
