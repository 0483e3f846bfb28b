"""The roadmap, What's new and an update's page, with the navigation badge."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from apps.interactions.models import Interaction
from apps.roadmap.models import UpdateRead
from tests.roadmap.helpers import make_idea, make_item, make_update


def test_roadmap_page(client_of, alice):
    make_item("Now thing", horizon="now", status="in_progress", ideas=[make_idea(voters=[alice])])
    client = client_of(alice)
    body = client.get(reverse("roadmap")).content.decode()
    assert "Now thing" in body and "In progress" in body and "Dark mode" in body
    client.get(reverse("roadmap"))
    assert Interaction.objects.filter(kind="roadmap.viewed", user=alice).count() == 1


def test_roadmap_needs_login(client):
    assert client.get(reverse("roadmap")).status_code == 302


def test_roadmap_query_count_does_not_grow(client_of, alice, django_assert_max_num_queries):
    client = client_of(alice)
    make_item(ideas=[make_idea()])
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("roadmap"))
    for n in range(20):
        make_item(f"Item {n}", horizon=["now", "next", "later"][n % 3], ideas=[make_idea(f"Idea {n}")])
    Interaction.objects.all().delete()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("roadmap"))


def test_update_list_marks_new(client_of, alice):
    read, fresh = make_update("Old news"), make_update("Fresh news")
    UpdateRead.objects.create(update=read, user=alice)
    body = client_of(alice).get(reverse("update_list")).content.decode()
    assert body.count(">New<") == 1
    assert body.index("Fresh news") < body.index(">New<") + 200
    assert fresh.pk


def test_update_list_empty_state(client_of, alice):
    assert "No product updates yet" in client_of(alice).get(reverse("update_list")).content.decode()


def test_update_list_htmx_is_partial(client_of, alice):
    make_update()
    body = client_of(alice).get(reverse("update_list"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in body and 'id="updates"' in body


def test_update_list_query_count_does_not_grow(client_of, alice, django_assert_max_num_queries):
    client = client_of(alice)
    make_update("First")
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("update_list"))
    for n in range(20):
        make_update(f"Update {n}", segments=["enterprise"] if n % 2 else [])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("update_list"))


def test_update_detail_marks_read(client_of, alice):
    item = make_item("Linked item")
    update = make_update("Release 9")
    update.roadmap_items.set([item])
    update.ideas.set([make_idea("Linked idea")])
    client = client_of(alice)
    body = client.get(update.get_absolute_url()).content.decode()
    assert "<p>Notes.</p>" in body and "Linked item" in body and "Linked idea" in body
    client.get(update.get_absolute_url())
    assert UpdateRead.objects.filter(update=update, user=alice).count() == 1
    assert Interaction.objects.filter(kind="roadmap.update_read", user=alice).count() == 1


def test_update_detail_outsiders_get_404(client_of, alice):
    alice.account.segment = "smb"
    alice.account.save()
    other = make_update(segments=["enterprise"])
    draft = make_update("Draft", published=False)
    scheduled = make_update("Soon", published_at=timezone.now() + timedelta(days=1))
    client = client_of(alice)
    for update in (other, draft, scheduled):
        assert client.get(update.get_absolute_url()).status_code == 404
    assert not UpdateRead.objects.exists()


def test_content_admin_previews_drafts_without_a_read(client_of, content):
    draft = make_update("Draft", published=False)
    response = client_of(content).get(draft.get_absolute_url())
    assert response.status_code == 200 and "Draft" in response.content.decode()
    assert not UpdateRead.objects.exists()


def test_updates_badge_is_a_fragment(client_of, alice):
    make_update("One")
    make_update("Two")
    body = client_of(alice).get(reverse("updates_badge"), headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in body and 'class="nav__badge">2' in body


def test_nav_has_whats_new(client_of, alice):
    body = client_of(alice).get(reverse("roadmap")).content.decode()
    assert "What&#x27;s new" in body or "What's new" in body
