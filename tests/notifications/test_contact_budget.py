"""The contact budget: at most CONTACT_BUDGET_PER_WEEK automated messages per person in any
rolling 7 days, the rest held and released most important first, stale ones dropped; the pages
that show what was sent and held."""

import threading
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.notifications import senders, services, tasks
from apps.notifications.models import PRIORITY, Category, Contact, ContactKind, ContactStatus, Notification
from tests.factories import UserFactory

DELIVERED: list[dict] = []


def _record(**kwargs) -> bool:
    DELIVERED.append(kwargs)
    return True


def _nothing_to_send(**kwargs) -> bool:
    return False


FLAKY = {"failures": 0}


def _flaky(**kwargs) -> bool:
    if FLAKY["failures"]:
        FLAKY["failures"] -= 1
        raise SMTPServerDisconnected("mail server down")
    return _record(**kwargs)


senders.register("tests.record", _record)
senders.register("tests.nothing", _nothing_to_send)
senders.register("tests.flaky", _flaky)


@pytest.fixture(autouse=True)
def _budget(settings):
    settings.CONTACT_BUDGET_PER_WEEK = 3
    settings.CONTACT_HOLD_DAYS = 14
    DELIVERED.clear()
    FLAKY["failures"] = 0


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks (the budget sends after the commit of its decision)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def ask(user, key, *, kind=ContactKind.IDEAS, now=None, send="tests.record"):
    return services.contact_request(
        user=user,
        kind=kind,
        subject=f"About {key}",
        dedup_key=key,
        send=send,
        kwargs={"key": key},
        now=now,
    )


def sent_earlier(user, at, n=1, kind=ContactKind.IDEAS):
    """Messages that used the budget at `at`."""
    for _ in range(n):
        Contact.objects.create(
            user=user,
            kind=kind,
            subject="Earlier",
            dedup_key=f"earlier-{Contact.objects.count()}",
            status=ContactStatus.SENT,
            priority=PRIORITY[kind],
            created_at=at,
            sent_at=at,
            delivered_at=at,
        )


def delivered_keys():
    return [d["key"] for d in DELIVERED]


# --- The budget -------------------------------------------------------------------------------


def test_under_budget_sends(alice, commit):
    with commit():
        contacts = [ask(alice, f"k{i}") for i in range(3)]
    assert [c.status for c in contacts] == ["sent"] * 3
    assert delivered_keys() == ["k0", "k1", "k2"]
    assert not Contact.objects.filter(delivered_at__isnull=True).exists()


def test_the_fourth_in_seven_days_is_held(alice, bob, commit):
    sent_earlier(alice, timezone.now() - timedelta(days=6), n=3)
    with commit():
        held = ask(alice, "fourth")
        other = ask(bob, "bobs-first")  # budgets are per person
    assert held.status == "held" and held.sent_at is None
    assert other.status == "sent"
    assert delivered_keys() == ["bobs-first"]


@pytest.mark.parametrize(
    ("age", "counts"),
    [(timedelta(days=7), True), (timedelta(days=7, seconds=1), False)],
    ids=["exactly-7-days-ago-counts", "7-days-and-a-second-ago-does-not"],
)
def test_the_window_is_rolling_and_includes_its_start(alice, commit, age, counts):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=1), n=2)
    sent_earlier(alice, now - age)
    with commit():
        contact = ask(alice, "next", now=now)
    assert contact.status == ("held" if counts else "sent")


def test_messages_granted_at_the_same_instant_all_count(alice, commit):
    now = timezone.now()
    with commit():
        statuses = [ask(alice, f"k{i}", now=now).status for i in range(4)]
    assert statuses == ["sent", "sent", "sent", "held"]


def test_release_sends_the_most_important_held_one_first(alice, commit):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=1), n=2)
    sent_earlier(alice, now - timedelta(days=6, hours=23))  # leaves the window in an hour
    with commit():
        ask(alice, "digest", kind=ContactKind.DIGEST, now=now)
        ask(alice, "survey", kind=ContactKind.SURVEY, now=now + timedelta(minutes=1))
        ask(alice, "moment", kind=ContactKind.MOMENT, now=now + timedelta(minutes=2))
    assert DELIVERED == []

    later = now + timedelta(hours=2)
    with commit():
        assert services.contact_release_held(now=later)["released"] == 1
    assert delivered_keys() == ["moment"]
    assert set(Contact.objects.held().values_list("dedup_key", flat=True)) == {"digest", "survey"}


def test_a_newcomer_does_not_jump_the_queue(alice, commit):
    """When room opens, a new, less important message waits behind the held, more important one."""
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=1), n=2)
    sent_earlier(alice, now - timedelta(days=6, hours=23))
    with commit():
        ask(alice, "survey", kind=ContactKind.SURVEY, now=now)
        nudge = ask(alice, "nudge", kind=ContactKind.NUDGE, now=now + timedelta(hours=2))
    assert nudge.status == "held"
    assert delivered_keys() == ["survey"]


def test_stale_held_messages_are_dropped(alice, commit):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=20), n=3)  # long out of the window: room for all
    for key, age in (("stale", timedelta(days=14, seconds=1)), ("fresh", timedelta(days=13))):
        Contact.objects.create(
            user=alice,
            kind=ContactKind.MOMENT,
            subject=key,
            dedup_key=key,
            priority=PRIORITY[ContactKind.MOMENT],
            payload={"send": "tests.record", "kwargs": {"key": key}},
            created_at=now - age,
        )
    with commit():
        result = services.contact_release_held(now=now)
    assert result["dropped"] == 1 and result["released"] == 1
    assert Contact.objects.get(dedup_key="stale").status == "dropped"
    assert delivered_keys() == ["fresh"]


def test_a_message_with_nothing_to_send_is_dropped_and_frees_its_slot(alice, commit):
    with commit():
        gone = ask(alice, "answered-already", send="tests.nothing")
    gone.refresh_from_db()
    assert gone.status == "dropped" and gone.delivered_at is None
    with commit():
        assert [ask(alice, f"k{i}").status for i in range(3)] == ["sent"] * 3


def test_unknown_kind_or_sender_is_refused(alice):
    with pytest.raises(ValueError):
        ask(alice, "k", kind="customer_alerts")
    with pytest.raises(LookupError):
        ask(alice, "k", send="nobody.registered")
    assert not Contact.objects.exists()


def test_the_release_queues_again_a_granted_message_that_never_went(alice, commit):
    now = timezone.now()
    with commit():
        Contact.objects.create(
            user=alice,
            kind=ContactKind.IDEAS,
            subject="Lost task",
            dedup_key="lost",
            status=ContactStatus.SENT,
            priority=3,
            payload={"send": "tests.record", "kwargs": {"key": "lost"}},
            created_at=now - timedelta(hours=3),
            sent_at=now - timedelta(hours=3),
        )
        assert services.contact_release_held(now=now)["requeued"] == 1
    assert delivered_keys() == ["lost"]
    assert services.contact_release_held(now=now)["requeued"] == 0


# --- Idempotency ------------------------------------------------------------------------------


def test_same_dedup_key_twice_is_one_message(alice, commit):
    with commit():
        first = ask(alice, "once")
        second = ask(alice, "once")
    assert first.pk == second.pk
    assert Contact.objects.count() == 1 and delivered_keys() == ["once"]


def test_the_release_run_twice_sends_nothing_twice(alice, commit):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=6, hours=23), n=3)
    with commit():
        for i in range(4):
            ask(alice, f"k{i}", now=now)
    later = now + timedelta(hours=2)
    with commit():
        assert services.contact_release_held(now=later)["released"] == 3
    with commit():
        assert services.contact_release_held(now=later)["released"] == 0
    assert delivered_keys() == ["k0", "k1", "k2"]
    assert Contact.objects.held().get().dedup_key == "k3"
    assert tasks.release_held_contacts() == {"released": 0, "dropped": 0, "requeued": 0}


def test_the_send_task_retried_sends_once(alice, commit):
    with commit():
        contact = ask(alice, "once")
    assert tasks.contact_send(contact.pk) is False  # a retry or a duplicate delivery
    assert tasks.contact_send(contact.pk) is False
    assert delivered_keys() == ["once"]


def test_a_failed_send_releases_its_claim(alice, commit):
    FLAKY["failures"] = 7  # more than the task's retries
    with pytest.raises(Retry), commit():
        contact = ask(alice, "flaky", send="tests.flaky")
    contact = Contact.objects.get(dedup_key="flaky")
    assert contact.status == "sent" and contact.delivered_at is None
    FLAKY["failures"] = 0
    assert tasks.contact_send(contact.pk) is True
    assert tasks.contact_send(contact.pk) is False
    assert delivered_keys() == ["flaky"]


# --- Exemptions and notify() ------------------------------------------------------------------


def test_transactional_emails_are_not_budgeted(client, alice, commit):
    from apps.learning import tasks as learning_tasks
    from tests.learning.factories import LiveSessionFactory, RegistrationFactory

    sent_earlier(alice, timezone.now() - timedelta(hours=1), n=3)
    with commit():
        assert ask(alice, "one-too-many").status == "held"
        response = client.post(reverse("password_reset"), {"email": alice.email})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[alice.email]] and "password" in mail.outbox[0].body.lower()

    session = LiveSessionFactory(starts_at=timezone.now() + timedelta(hours=3))
    RegistrationFactory(session=session, user=alice)
    assert learning_tasks.send_session_reminders() == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].subject.startswith("Tomorrow:")
    assert Contact.objects.filter(user=alice).count() == 4  # neither was counted


def test_notify_in_app_now_email_held_then_released(alice, commit):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=6, hours=23), n=3)
    with commit():
        notification = services.notify(user=alice, category="ideas", title="Shipped", dedup_key="n1")
    assert Notification.objects.filter(pk=notification.pk).exists()  # in-app: immediate
    contact = Contact.objects.get(user=alice, kind="ideas", status="held")
    assert contact.subject == "Shipped" and mail.outbox == []

    with commit():
        services.contact_release_held(now=now + timedelta(hours=2))
    assert [m.subject for m in mail.outbox] == ["Shipped"]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_held_notification_email_is_dropped_if_the_person_opts_out_meanwhile(alice, commit):
    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=6, hours=23), n=3)
    with commit():
        services.notify(user=alice, category="community", title="An answer", dedup_key="n1")
    services.email_preferences_set(user=alice, enabled={"community": False})
    with commit():
        services.contact_release_held(now=now + timedelta(hours=2))
    assert mail.outbox == []
    assert Contact.objects.get(kind="community").status == "dropped"


def test_customer_alerts_to_staff_are_exempt(csm, commit):
    sent_earlier(csm, timezone.now() - timedelta(hours=1), n=3)
    with commit():
        services.notify(user=csm, category="customer_alerts", title="Detractor at A", dedup_key="d1")
    assert [m.subject for m in mail.outbox] == ["Detractor at A"]
    assert not Contact.objects.filter(kind="customer_alerts").exists()


def test_every_budgeted_notification_category_has_a_kind():
    for category in Category.values:
        if category != Category.CUSTOMER_ALERTS:
            assert services.NOTIFICATION_KIND.get(category, category) in ContactKind.values, category


def test_moment_messages_are_budgeted_as_moments(alice, commit):
    if "customer_success" not in Category.values:
        pytest.skip("the engagement app's message category does not exist yet")
    with commit():
        services.notify(user=alice, category="customer_success", title="Welcome", dedup_key="m1")
    contact = Contact.objects.get(user=alice)
    assert contact.kind == ContactKind.MOMENT and contact.priority == 1


# --- Feature apps through the budget ----------------------------------------------------------


def test_a_held_survey_invitation_goes_when_the_budget_allows(alice, commit):
    from apps.surveys import tasks as survey_tasks
    from tests.surveys.factories import InvitationFactory

    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=6, hours=23), n=3)
    invitation = InvitationFactory(user=alice)
    with commit():
        assert survey_tasks.send_invitation_emails(invitation.campaign_id) == 0
        assert survey_tasks.send_invitation_emails(invitation.campaign_id) == 0  # asked again: once
    invitation.refresh_from_db()
    assert invitation.emailed_at is None and mail.outbox == []
    contact = Contact.objects.get(dedup_key=f"survey-invitation-{invitation.pk}")
    assert contact.status == "held" and contact.kind == "survey"

    with commit():
        services.contact_release_held(now=now + timedelta(hours=2))
    invitation.refresh_from_db()
    assert invitation.emailed_at is not None and [m.to for m in mail.outbox] == [[alice.email]]


def test_a_held_digest_goes_when_the_budget_allows(alice, commit):
    from apps.learning import services as learning_services
    from apps.learning import tasks as learning_tasks
    from tests.learning.factories import ContentItemFactory

    now = timezone.now()
    sent_earlier(alice, now - timedelta(days=6, hours=23), n=3)
    learning_services.learning_preference_set(user=alice, weekly_digest=True)
    ContentItemFactory(title="Calculated fields")
    with commit():
        assert learning_tasks.send_weekly_digests() == 0
    assert Contact.objects.get(kind="digest").status == "held" and mail.outbox == []
    with commit():
        services.contact_release_held(now=now + timedelta(hours=2))
    assert [m.to for m in mail.outbox] == [[alice.email]]
    assert "Calculated fields" in mail.outbox[0].subject


# --- Concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_cannot_squeeze_past_the_budget():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    person = UserFactory()
    errors = []
    barrier = threading.Barrier(10)

    def request(i):
        try:
            barrier.wait()
            ask(person, f"k{i}")
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    statuses = list(Contact.objects.filter(user=person).values_list("status", flat=True))
    assert sorted(statuses) == ["held"] * 7 + ["sent"] * 3
    assert len(DELIVERED) == 3


# --- The pages --------------------------------------------------------------------------------


def url_of(person):
    return reverse("person_contacts", args=[person.pk])


class TestPersonContactsPage:
    def test_needs_sign_in(self, client, alice):
        response = client.get(url_of(alice))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_only_cs_managers(self, client_of, request, alice, who):
        assert client_of(request.getfixturevalue(who)).get(url_of(alice)).status_code == 403

    def test_unknown_or_staff_people_are_404(self, client_of, csm, content):
        client = client_of(csm)
        assert client.get(reverse("person_contacts", args=[987654])).status_code == 404
        assert client.get(url_of(content)).status_code == 404

    def test_shows_sent_and_held_newest_first(self, client_of, csm, alice, bob, commit):
        now = timezone.now()
        with commit():
            for i in range(4):
                ask(alice, f"k{i}", kind=ContactKind.SURVEY, now=now + timedelta(minutes=i))
            ask(bob, "bobs")
        response = client_of(csm).get(url_of(alice))
        assert response.status_code == 200
        body = response.content.decode()
        assert "Alice Archer" in body and "About bobs" not in body
        assert body.index("About k3") < body.index("About k0")  # newest first
        assert "Used now</dt><dd>3 of 3" in body and "1 waiting" in body
        assert body.count("badge--green") == 3 and body.count("badge--amber") == 1
        assert "Survey invitation or reminder" in body

    def test_empty_state(self, client_of, csm, alice):
        body = client_of(csm).get(url_of(alice)).content.decode()
        assert "No automated messages to Alice Archer yet." in body

    def test_query_count_does_not_grow(self, client_of, csm, alice):
        client = client_of(csm)
        now = timezone.now()
        sent_earlier(alice, now - timedelta(days=1), n=3)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url_of(alice)).status_code == 200
        sent_earlier(alice, now - timedelta(days=2), n=27)
        with CaptureQueriesContext(connection) as many:
            assert client.get(url_of(alice)).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries) <= 10

    def test_customer_page_links_each_person_for_cs_managers(self, client_of, csm, content, alice):
        page = reverse("customer_detail", args=[alice.account_id])
        assert url_of(alice) in client_of(csm).get(page).content.decode()
        assert url_of(alice) not in client_of(content).get(page).content.decode()


class TestOwnPreferencesSection:
    url = reverse("email_preferences")

    def test_shows_what_we_sent_and_held_back(self, client_of, alice, bob, commit):
        with commit():
            for i in range(4):
                ask(alice, f"mine-{i}")
            ask(bob, "bobs")
        Contact.objects.create(
            user=alice,
            kind=ContactKind.DIGEST,
            subject="Long ago",
            dedup_key="old",
            status=ContactStatus.SENT,
            priority=5,
            created_at=timezone.now() - timedelta(days=40),
            sent_at=timezone.now() - timedelta(days=40),
        )
        body = client_of(alice).get(self.url).content.decode()
        assert "Messages we sent you in the last 30 days (3) and held back (1)" in body
        assert "About mine-3" in body and "Held back" in body
        assert "About bobs" not in body and "Long ago" not in body

    def test_nothing_yet(self, client_of, alice):
        body = client_of(alice).get(self.url).content.decode()
        assert "(0) and held back (0)" in body and "None in the last 30 days." in body

    def test_query_count_does_not_grow(self, client_of, alice):
        client = client_of(alice)
        now = timezone.now()
        sent_earlier(alice, now - timedelta(days=1), n=3)
        with CaptureQueriesContext(connection) as few:
            assert client.get(self.url).status_code == 200
        sent_earlier(alice, now - timedelta(days=2), n=27)
        with CaptureQueriesContext(connection) as many:
            assert client.get(self.url).status_code == 200
        assert len(many.captured_queries) == len(few.captured_queries)


def test_a_notification_whose_email_request_was_lost_is_requested_by_the_hourly_release(alice):
    from datetime import timedelta

    from django.utils import timezone

    from apps.notifications.models import Contact, Notification
    from apps.notifications.services import contact_release_held

    lost = Notification.objects.create(
        user=alice,
        category="ideas",
        title="Shipped",
        dedup_key="lost-1",
        created_at=timezone.now() - timedelta(hours=3),
    )
    contact_release_held()
    assert Contact.objects.filter(user=alice, dedup_key=f"notification-{lost.pk}").count() == 1
    contact_release_held()
    assert Contact.objects.filter(user=alice, dedup_key=f"notification-{lost.pk}").count() == 1
