"""The notification centre, its badge, e-mail preferences and the one-click unsubscribe link."""

from urllib.parse import urlparse

import pytest
from django.core import signing
from django.urls import reverse

from apps.notifications import services
from apps.notifications.models import EmailOptOut, Notification
from apps.notifications.tasks import UNSUBSCRIBE_SALT, unsubscribe_url


def make(user, n=1, **fields):
    return [
        services.notify(
            user=user,
            category="ideas",
            title=f"Note {i} for {user.full_name}",
            dedup_key=f"t-{i}",
            url="/roadmap/",
            email=False,
            **fields,
        )
        for i in range(n)
    ]


def test_list_shows_only_mine(client_of, alice, bob):
    make(alice)
    make(bob)
    response = client_of(alice).get(reverse("notification_list"))
    assert response.status_code == 200
    assert "Note 0 for Alice Archer" in response.content.decode()
    assert "Bob Baker" not in response.content.decode()


def test_list_needs_login(client):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302


def test_list_query_count_does_not_grow(client_of, alice, django_assert_max_num_queries):
    client = client_of(alice)
    make(alice, 1)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("notification_list"))
    Notification.objects.filter(user=alice).delete()
    make(alice, 21)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notification_list"))


def test_list_links_straight_to_the_target(client_of, alice):
    make(alice)
    body = client_of(alice).get(reverse("notification_list")).content.decode()
    assert '<a href="/roadmap/">Note 0 for Alice Archer</a>' in body


def test_it_checks_ownership(client_of, alice, bob):
    (note,) = make(bob)
    client = client_of(alice)
    assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_mark_read_htmx_returns_the_row(client_of, alice):
    (note,) = make(alice)
    response = client_of(alice).post(
        reverse("notification_read", args=[note.pk]), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert f'id="notification-{note.pk}"' in body and "Mark read" not in body


def test_mark_all_read(client_of, alice, bob):
    make(alice, 3)
    (others,) = make(bob)
    client_of(alice).post(reverse("notification_read_all"))
    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    others.refresh_from_db()
    assert others.read_at is None


def test_badge_is_a_fragment(client_of, alice):
    make(alice, 2)
    response = client_of(alice).get(reverse("notification_badge"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body and 'class="nav__badge">2' in body


def test_badge_is_empty_when_all_read(client_of, alice):
    response = client_of(alice).get(reverse("notification_badge"))
    assert response.content.decode().strip() == ""


def test_page_links_the_badges(client_of, alice):
    body = client_of(alice).get(reverse("notification_list")).content.decode()
    assert f'hx-get="{reverse("notification_badge")}"' in body
    assert f'hx-get="{reverse("updates_badge")}"' in body


def test_preferences_page_saves(client_of, alice):
    client = client_of(alice)
    assert client.get(reverse("email_preferences")).status_code == 200
    response = client.post(
        reverse("email_preferences"),
        {"community": "on", "learning": "on", "product_updates": "on", "customer_success": "on"},
    )
    assert response.status_code == 302
    assert list(EmailOptOut.objects.filter(user=alice).values_list("category", flat=True)) == ["ideas"]


def test_success_team_messages_are_offered_to_customers_and_alerts_to_staff(client_of, alice, csm):
    customer = client_of(alice).get(reverse("email_preferences")).content.decode()
    assert 'name="customer_success"' in customer and 'name="customer_alerts"' not in customer
    staff = client_of(csm).get(reverse("email_preferences")).content.decode()
    assert 'name="customer_alerts"' in staff and 'name="customer_success"' not in staff


def _token_path(user, category="ideas"):
    return urlparse(unsubscribe_url(user.pk, category)).path


def test_unsubscribe_without_login(client, alice):
    path = _token_path(alice)
    page = client.get(path)
    assert page.status_code == 200 and "alice@a.example" in page.content.decode()
    assert not EmailOptOut.objects.exists()
    response = client.post(path)
    assert response.status_code == 200 and "unsubscribed" in response.content.decode()
    assert EmailOptOut.objects.filter(user=alice, category="ideas").exists()


def test_one_click_post_without_csrf(alice):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(_token_path(alice), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert EmailOptOut.objects.filter(user=alice, category="ideas").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_token_is_refused(client, alice, method):
    token = signing.dumps({"u": alice.pk, "c": "ideas"}, salt=UNSUBSCRIBE_SALT)
    response = getattr(client, method)(reverse("email_unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 400 and "does not work" in response.content.decode()
    assert not EmailOptOut.objects.exists()


def test_token_only_affects_its_person(client_of, alice, bob):
    client_of(alice).post(_token_path(bob))
    assert list(EmailOptOut.objects.values_list("user", flat=True)) == [bob.pk]


def test_unknown_category_is_refused(client, alice):
    token = signing.dumps({"u": alice.pk, "c": "nope"}, salt=UNSUBSCRIBE_SALT)
    assert client.post(reverse("email_unsubscribe", args=[token])).status_code == 400


def test_account_alerts_are_offered_to_staff_only(client_of, alice, csm):
    assert "customer_alerts" not in client_of(alice).get(reverse("email_preferences")).context["form"].fields
    assert "customer_alerts" in client_of(csm).get(reverse("email_preferences")).context["form"].fields
