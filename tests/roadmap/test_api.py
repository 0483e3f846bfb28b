from django.urls import reverse

from apps.roadmap.models import UpdateRead
from tests.roadmap.helpers import make_idea, make_item, make_update


def test_roadmap(client_of, alice, bob):
    make_item("Thing", horizon="now", ideas=[make_idea(voters=[alice, bob])])
    data = client_of(alice).get(reverse("api-roadmap")).json()
    (row,) = data["results"]
    assert row["horizon"] == "now" and row["ideas"][0]["vote_count"] == 2


def test_updates_with_unread(client_of, alice):
    first = make_update("One")
    make_update("Two")
    UpdateRead.objects.create(update=first, user=alice)
    data = client_of(alice).get(reverse("api-update-list")).json()
    assert {row["title"]: row["is_unread"] for row in data["results"]} == {"One": False, "Two": True}


def test_mark_read(client_of, alice):
    update = make_update()
    client = client_of(alice)
    assert client.post(reverse("api-update-read", args=[update.pk])).status_code == 200
    assert client.post(reverse("api-update-read", args=[update.pk])).status_code == 200
    assert UpdateRead.objects.filter(user=alice).count() == 1


def test_mark_read_outsider(client_of, alice):
    alice.account.segment = "smb"
    alice.account.save()
    other = make_update(segments=["enterprise"])
    draft = make_update(published=False)
    client = client_of(alice)
    assert client.post(reverse("api-update-read", args=[other.pk])).status_code == 404
    assert client.post(reverse("api-update-read", args=[draft.pk])).status_code == 404
    assert not UpdateRead.objects.exists()


def test_needs_login(client):
    assert client.get(reverse("api-roadmap")).status_code == 403
