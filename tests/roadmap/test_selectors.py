"""The board, the updates meant for a person's segment and their unread state."""

from datetime import timedelta

from django.utils import timezone

from apps.roadmap import selectors, services
from tests.roadmap.helpers import make_idea, make_item, make_update


def test_board_columns_and_votes(alice, bob):
    idea = make_idea(voters=[alice, bob])
    hidden = make_idea("Hidden", hidden=True)
    make_item("Now thing", horizon="now", ideas=[idea, hidden])
    make_item("Later thing", horizon="later")
    columns = {c["horizon"]: c for c in selectors.roadmap_board(user=alice)}
    (now_item,) = columns["now"]["items"]
    assert [i.title for i in now_item.linked_ideas] == ["Dark mode"]
    assert now_item.votes == 2
    assert [i.title for i in columns["later"]["items"]] == ["Later thing"]
    assert columns["next"]["items"] == []


def test_board_queries_do_not_grow(alice, django_assert_num_queries):
    make_item(ideas=[make_idea()])
    with django_assert_num_queries(2):
        selectors.roadmap_board(user=alice)
    for n in range(20):
        make_item(f"Item {n}", ideas=[make_idea(f"Idea {n}")])
    with django_assert_num_queries(2):
        selectors.roadmap_board(user=alice)


def test_updates_by_segment(alice, bob, content):
    alice.account.segment = "enterprise"
    alice.account.save()
    bob.account.segment = "smb"
    bob.account.save()
    make_update("For all")
    make_update("Enterprise only", segments=["enterprise"])
    make_update("SMB and mid", segments=["smb", "mid_market"])
    make_update("Draft", published=False)
    make_update("Scheduled", published_at=timezone.now() + timedelta(days=2))
    assert {u.title for u in selectors.updates_for(user=alice)} == {"For all", "Enterprise only"}
    assert {u.title for u in selectors.updates_for(user=bob)} == {"For all", "SMB and mid"}
    assert {u.title for u in selectors.updates_for(user=content)} == {
        "For all",
        "Enterprise only",
        "SMB and mid",
    }
    assert selectors.unread_update_count(user=alice) == 2
    assert selectors.unread_update_count(user=bob) == 2


def test_unread_state(alice):
    first, second = make_update("One"), make_update("Two")
    services.update_mark_read(user=alice, update=first)
    unread = {u.title: u.is_unread for u in selectors.updates_for(user=alice)}
    assert unread == {"One": False, "Two": True}
    assert selectors.unread_update_count(user=alice) == 1
    assert second.pk


def test_update_detail_hides_other_segments(alice, content):
    alice.account.segment = "smb"
    alice.account.save()
    update = make_update(segments=["enterprise"])
    try:
        selectors.update_detail(user=alice, pk=update.pk)
    except update.DoesNotExist:
        pass
    else:
        raise AssertionError("alice should not see an enterprise-only update")
    assert selectors.update_detail(user=content, pk=update.pk) == update
