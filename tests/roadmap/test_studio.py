"""The roadmap studio: for content admins only."""

import pytest
from django.urls import reverse

from apps.notifications.models import Notification
from apps.roadmap.models import ProductUpdate, RoadmapItem
from tests.roadmap.helpers import make_idea, make_item, make_update


@pytest.fixture
def item(db):
    return make_item()


@pytest.fixture
def update(db):
    return make_update(published=False)


def _urls(item, update):
    return [
        ("get", reverse("studio_roadmap")),
        ("get", reverse("studio_roadmap_item_new")),
        ("get", reverse("studio_roadmap_item_edit", args=[item.pk])),
        ("post", reverse("studio_roadmap_item_ship", args=[item.pk])),
        ("get", reverse("studio_update_new")),
        ("get", reverse("studio_update_edit", args=[update.pk])),
        ("post", reverse("studio_update_publish", args=[update.pk])),
    ]


def test_forbidden_for_everyone_else(client_of, alice, carol, csm, item, update):
    for person in (alice, carol, csm):
        client = client_of(person)
        for method, url in _urls(item, update):
            assert getattr(client, method)(url).status_code == 403, (person, url)
    item.refresh_from_db()
    update.refresh_from_db()
    assert item.status == "planned" and update.published_at is None


def test_pages_render(client_of, content, item, update):
    client = client_of(content)
    for method, url in _urls(item, update):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_home_shows_ship_confirmation(client_of, content, alice, bob):
    make_item("Waited for", ideas=[make_idea(voters=[alice], followers=[bob])])
    body = client_of(content).get(reverse("studio_roadmap")).content.decode()
    assert "notifies 2 people" in body


def test_create_item_and_ship(client_of, content, alice, django_capture_on_commit_callbacks):
    idea = make_idea(voters=[alice])
    client = client_of(content)
    response = client.post(
        reverse("studio_roadmap_item_new"),
        {
            "title": "Exports",
            "description": "CSV",
            "horizon": "now",
            "status": "planned",
            "position": 1,
            "ideas": [idea.pk],
        },
    )
    assert response.status_code == 302
    item = RoadmapItem.objects.get(title="Exports")
    assert list(item.ideas.all()) == [idea]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("studio_roadmap_item_ship", args=[item.pk]))
    assert Notification.objects.filter(user=alice, title="Shipped: Exports").count() == 1


def test_shipped_is_not_a_choice_in_the_form(client_of, content):
    response = client_of(content).post(
        reverse("studio_roadmap_item_new"),
        {
            "title": "Sneaky",
            "horizon": "now",
            "status": "shipped",
            "position": 0,
        },
    )
    assert response.status_code == 200
    assert not RoadmapItem.objects.exists()


def test_create_and_publish_update(client_of, content):
    client = client_of(content)
    response = client.post(
        reverse("studio_update_new"),
        {
            "title": "Spring release",
            "body": "## New\n\nThings.",
            "segments": ["enterprise"],
            "published_at": "",
        },
    )
    assert response.status_code == 302
    update = ProductUpdate.objects.get()
    assert update.segments == ["enterprise"] and update.published_at is None
    client.post(reverse("studio_update_publish", args=[update.pk]))
    update.refresh_from_db()
    assert update.published_at is not None
