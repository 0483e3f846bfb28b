"""Shipping roadmap items (notify voters and followers once, after commit) and read tracking."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.community.models import Idea
from apps.interactions.models import Interaction
from apps.notifications.models import Notification
from apps.roadmap import services
from apps.roadmap.models import UpdateRead
from apps.roadmap.tasks import notify_item_shipped
from tests.factories import UserFactory
from tests.roadmap.helpers import make_idea, make_item, make_update


@pytest.fixture
def shipped_setup(alice, bob, carol, sam):
    first = make_idea("Dark mode", voters=[alice, bob], followers=[alice, carol])
    second = make_idea("Darker mode", voters=[bob, sam])
    UserFactory(email="gone@a.example", is_active=False)
    item = make_item(ideas=[first, second])
    return item, {alice.pk, bob.pk, carol.pk, sam.pk}


def test_ship_notifies_every_voter_and_follower_once(
    content, shipped_setup, django_capture_on_commit_callbacks
):
    item, audience = shipped_setup
    with django_capture_on_commit_callbacks(execute=True):
        services.roadmap_item_ship(item=item, by=content)
    notes = Notification.objects.filter(dedup_key=f"roadmap-shipped-{item.pk}")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted(audience)
    assert len(mail.outbox) == len(audience)
    assert notes.first().title == "Shipped: Dark mode everywhere"

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_item_shipped(item_id=item.pk) == 0  # a retried task notifies nobody twice
    assert notes.count() == len(audience)
    assert len(mail.outbox) == len(audience)


def test_ship_notifies_only_after_commit(content, shipped_setup, django_capture_on_commit_callbacks):
    item, audience = shipped_setup
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.roadmap_item_ship(item=item, by=content)
    assert not Notification.objects.exists()
    assert len(callbacks) == 1
    callbacks[0]()
    assert Notification.objects.count() == len(audience)


def test_ship_marks_ideas_shipped_but_not_merged(content, alice):
    target = make_idea("Target")
    merged = make_idea("Duplicate", status="merged", merged_into=target)
    open_idea = make_idea("Open one")
    item = make_item(ideas=[open_idea, merged])
    services.roadmap_item_ship(item=item, by=content)
    item.refresh_from_db()
    assert item.status == "shipped" and item.shipped_at is not None
    assert Idea.objects.get(pk=open_idea.pk).status == "shipped"
    assert Idea.objects.get(pk=open_idea.pk).status_changed_at is not None
    assert Idea.objects.get(pk=merged.pk).status == "merged"


def test_ship_twice_is_refused(content):
    item = make_item()
    services.roadmap_item_ship(item=item, by=content)
    with pytest.raises(services.RoadmapError):
        services.roadmap_item_ship(item=item, by=content)


def test_only_content_admins_ship(alice, csm):
    item = make_item()
    for person in (alice, csm):
        with pytest.raises(services.RoadmapError):
            services.roadmap_item_ship(item=item, by=person)
    item.refresh_from_db()
    assert item.status == "planned"


def test_save_refuses_shipping_without_notifying(content):
    item = make_item()
    item.status = "shipped"
    with pytest.raises(services.RoadmapError):
        services.roadmap_item_save(by=content, item=item)


def test_mark_read_records_once_per_person(alice, bob):
    update = make_update()
    for _ in range(3):
        services.update_mark_read(user=alice, update=update)
    services.update_mark_read(user=bob, update=update)
    assert UpdateRead.objects.filter(update=update).count() == 2
    reads = Interaction.objects.filter(kind="roadmap.update_read")
    assert sorted(reads.values_list("user_id", flat=True)) == sorted([alice.pk, bob.pk])
    assert reads.get(user=alice).properties == {"executive_sponsor": False}
    assert reads.get(user=alice).subject_id == str(update.pk)


def test_sponsors_are_flagged(sam):
    services.update_mark_read(user=sam, update=make_update())
    interaction = Interaction.objects.get(kind="roadmap.update_read")
    assert interaction.properties == {"executive_sponsor": True}
    assert interaction.account_id == sam.account_id


def test_roadmap_view_recorded_once_per_half_hour(alice):
    assert services.roadmap_view(user=alice) is True
    assert services.roadmap_view(user=alice) is False
    Interaction.objects.filter(kind="roadmap.viewed").update(
        occurred_at=timezone.now() - timedelta(minutes=31)
    )
    assert services.roadmap_view(user=alice) is True
    assert Interaction.objects.filter(kind="roadmap.viewed").count() == 2


def test_publish_now_or_scheduled(content):
    update = make_update(published=False)
    later = timezone.now() + timedelta(days=3)
    services.update_publish(by=content, update=update, at=later)
    assert update.published_at == later
    services.update_publish(by=content, update=update)
    assert update.published_at <= timezone.now()
    with pytest.raises(services.RoadmapError):
        services.update_publish(by=content, update=update)
