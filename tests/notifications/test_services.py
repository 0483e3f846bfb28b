"""notify(): once per dedup key, e-mail after commit unless opted out; preferences."""

from django.core import mail

from apps.notifications import services
from apps.notifications.models import EmailOptOut, Notification


def test_notify_once_per_dedup_key(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = services.notify(user=alice, category="ideas", title="Shipped", dedup_key="k1")
        second = services.notify(user=alice, category="ideas", title="Shipped again", dedup_key="k1")
    assert first is not None and second is None
    assert Notification.objects.filter(user=alice).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_email_waits_for_the_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.notify(user=alice, category="ideas", title="Shipped", dedup_key="k1")
    assert mail.outbox == []
    # After the commit the contact budget decides, and its grant sends after its own commit.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    assert len(mail.outbox) == 1


def test_opt_out_stops_email_but_not_in_app(alice, django_capture_on_commit_callbacks):
    services.email_preferences_set(user=alice, enabled={"ideas": False})
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(user=alice, category="ideas", title="Shipped", dedup_key="k1")
        services.notify(user=alice, category="community", title="An answer", dedup_key="k2")
    assert Notification.objects.filter(user=alice).count() == 2
    assert [m.subject for m in mail.outbox] == ["An answer"]


def test_preferences_turn_back_on(alice):
    services.email_preferences_set(user=alice, enabled={"ideas": False, "learning": False})
    services.email_preferences_set(user=alice, enabled={"ideas": True})
    assert set(EmailOptOut.objects.filter(user=alice).values_list("category", flat=True)) == {"learning"}


def test_mark_read_only_touches_own(alice, bob):
    mine = services.notify(user=alice, category="ideas", title="A", dedup_key="a", email=False)
    theirs = services.notify(user=bob, category="ideas", title="B", dedup_key="b", email=False)
    assert services.notification_mark_read(user=alice, notification_ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
