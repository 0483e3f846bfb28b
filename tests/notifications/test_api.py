from django.urls import reverse

from apps.notifications import services
from apps.notifications.models import Notification


def _make(user, key):
    return services.notify(user=user, category="ideas", title=f"T {key}", dedup_key=key, email=False)


def test_list_is_mine(client_of, alice, bob):
    _make(alice, "a")
    _make(bob, "b")
    data = client_of(alice).get(reverse("api-notification-list")).json()
    assert [row["title"] for row in data["results"]] == ["T a"]


def test_read_some_and_all(client_of, alice, bob):
    one, two = _make(alice, "1"), _make(alice, "2")
    other = _make(bob, "b")
    client = client_of(alice)
    response = client.post(
        reverse("api-notification-read"), {"ids": [one.pk, other.pk]}, content_type="application/json"
    )
    assert response.json() == {"marked_read": 1, "unread": 1}
    response = client.post(reverse("api-notification-read"), {"all": True}, content_type="application/json")
    assert response.json() == {"marked_read": 1, "unread": 0}
    assert Notification.objects.get(pk=other.pk).read_at is None
    two.refresh_from_db()
    assert two.read_at is not None


def test_read_bad_input(client_of, alice):
    response = client_of(alice).post(reverse("api-notification-read"), {}, content_type="application/json")
    assert response.status_code == 400


def test_needs_login(client):
    assert client.get(reverse("api-notification-list")).status_code == 403
