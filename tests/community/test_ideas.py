"""Services and selectors of the ideas board."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections
from django.utils import timezone

from apps.accounts.services import PermissionDenied
from apps.community import selectors, services
from apps.community.models import Idea, IdeaFollow, Vote
from apps.interactions.models import Interaction
from apps.notifications.models import Notification
from tests.community.factories import CommentFactory, IdeaFactory, ProductAreaFactory, VoteFactory
from tests.factories import AccountFactory, UserFactory


def veteran(**fields):
    return UserFactory(date_joined=timezone.now() - timedelta(days=60), **fields)


class TestIdeaCreate:
    def test_posts_records_and_follows(self, alice):
        area = ProductAreaFactory(name="Reporting", slug="reporting")
        idea = services.idea_create(
            author=alice, title=" Export to Excel ", description="Please.", areas=[area]
        )
        assert idea.title == "Export to Excel" and idea.account == alice.account
        assert list(idea.areas.all()) == [area]
        assert IdeaFollow.objects.filter(idea=idea, user=alice).exists()
        assert (
            Interaction.objects.filter(
                kind="community.idea_submitted", user=alice, subject_id=str(idea.pk)
            ).count()
            == 1
        )

    def test_new_member_may_post_three_a_day(self, alice):
        idea = services.idea_create(author=alice, title="One", description="x")
        services.idea_create(author=alice, title="Two", description="x")
        services.comment_create(idea=idea, author=alice, body="Three")
        with pytest.raises(services.CommunityError, match="New members"):
            services.idea_create(author=alice, title="Four", description="x")
        with pytest.raises(services.CommunityError):
            services.comment_create(idea=idea, author=alice, body="Five")
        assert Idea.objects.count() == 2

    def test_members_may_post_twenty_an_hour(self, db):
        person = veteran()
        idea = IdeaFactory(author=person, created_at=timezone.now() - timedelta(hours=2))
        for n in range(20):
            services.comment_create(idea=idea, author=person, body=f"Comment {n}")
        with pytest.raises(services.CommunityError, match="last hour"):
            services.idea_create(author=person, title="One more", description="x")


class TestIdeaUpdate:
    def test_author_within_thirty_minutes(self, alice, bob):
        idea = IdeaFactory(author=alice)
        services.idea_update(idea=idea, by=alice, title="Better title", description="More.")
        assert Idea.objects.get(pk=idea.pk).title == "Better title"
        with pytest.raises(PermissionDenied):
            services.idea_update(idea=idea, by=bob, title="Hijack", description="x")

    def test_author_too_late_content_admin_any_time(self, alice, content):
        idea = IdeaFactory(author=alice, created_at=timezone.now() - timedelta(minutes=31))
        with pytest.raises(PermissionDenied):
            services.idea_update(idea=idea, by=alice, title="Late", description="x")
        services.idea_update(idea=idea, by=content, title="Tidied", description="x")
        assert Idea.objects.get(pk=idea.pk).title == "Tidied"


class TestVoting:
    def test_one_vote_per_person_is_a_database_rule(self, alice):
        idea = IdeaFactory()
        Vote.objects.create(idea=idea, user=alice)
        with pytest.raises(IntegrityError):
            Vote.objects.create(idea=idea, user=alice)

    def test_vote_counts_once_follows_and_records(self, alice, bob):
        idea = IdeaFactory(author=bob)
        assert services.idea_vote(idea=idea, user=alice) is True
        assert services.idea_vote(idea=idea, user=alice) is False
        assert idea.vote_count == 1 and Vote.objects.filter(idea=idea).count() == 1
        assert IdeaFollow.objects.filter(idea=idea, user=alice).exists()
        assert Interaction.objects.filter(kind="community.vote_cast", user=alice).count() == 1

    def test_unvote_decrements_only_when_a_vote_was_removed(self, alice, bob):
        idea = IdeaFactory()
        services.idea_vote(idea=idea, user=alice)
        services.idea_vote(idea=idea, user=bob)
        assert services.idea_unvote(idea=idea, user=alice) is True
        assert services.idea_unvote(idea=idea, user=alice) is False
        assert Idea.objects.get(pk=idea.pk).vote_count == 1
        assert Interaction.objects.filter(kind="community.vote_withdrawn", user=alice).count() == 1
        # unvoting keeps following; unfollowing is its own choice
        assert IdeaFollow.objects.filter(idea=idea, user=alice).exists()
        assert services.idea_unfollow(idea=idea, user=alice) is True
        assert not IdeaFollow.objects.filter(idea=idea, user=alice).exists()
        assert services.idea_follow(idea=idea, user=alice) is True
        assert services.idea_follow(idea=idea, user=alice) is False

    @pytest.mark.parametrize("status", ["shipped", "declined"])
    def test_voting_closes(self, alice, status):
        idea = IdeaFactory(status=status)
        with pytest.raises(services.CommunityError, match="Voting is closed"):
            services.idea_vote(idea=idea, user=alice)
        with pytest.raises(services.CommunityError):
            services.idea_unvote(idea=idea, user=alice)
        assert not Vote.objects.exists()

    def test_voting_closes_on_merged_ideas(self, alice, content):
        source, target = IdeaFactory(), IdeaFactory()
        services.idea_merge(source=source, target=target, by=content)
        with pytest.raises(services.CommunityError):
            services.idea_vote(idea=source, user=alice)


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_keep_the_count_exact():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and real concurrency need PostgreSQL")
    idea = IdeaFactory()
    people = [UserFactory() for _ in range(10)]
    errors = []

    def churn(person):
        try:
            for _ in range(3):
                services.idea_vote(idea=Idea.objects.get(pk=idea.pk), user=person)
                services.idea_unvote(idea=Idea.objects.get(pk=idea.pk), user=person)
                services.idea_vote(idea=Idea.objects.get(pk=idea.pk), user=person)
                services.idea_vote(idea=Idea.objects.get(pk=idea.pk), user=person)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=churn, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    idea.refresh_from_db()
    assert idea.vote_count == Vote.objects.filter(idea=idea).count() == 10


class TestMerge:
    def test_moves_votes_and_follows_without_double_counting(self, alice, bob, carol, content):
        source, target = IdeaFactory(title="Dup"), IdeaFactory(title="Original")
        for person in (alice, bob):  # alice votes on both
            services.idea_vote(idea=source, user=person)
        for person in (alice, carol):
            services.idea_vote(idea=target, user=person)
        services.idea_merge(source=source, target=target, by=content)
        source.refresh_from_db()
        target.refresh_from_db()
        assert source.status == "merged" and source.merged_into == target and source.vote_count == 0
        assert target.vote_count == 3 == Vote.objects.filter(idea=target).count()
        assert not Vote.objects.filter(idea=source).exists()
        assert set(IdeaFollow.objects.filter(idea=target).values_list("user", flat=True)) >= {
            alice.pk,
            bob.pk,
            carol.pk,
        }
        assert not IdeaFollow.objects.filter(idea=source).exists()

    def test_refusals(self, alice, content):
        a, b, c = IdeaFactory(), IdeaFactory(), IdeaFactory()
        with pytest.raises(services.CommunityError, match="itself"):
            services.idea_merge(source=a, target=a, by=content)
        with pytest.raises(PermissionDenied):
            services.idea_merge(source=a, target=b, by=alice)
        services.idea_merge(source=a, target=b, by=content)
        with pytest.raises(services.CommunityError):
            services.idea_merge(source=c, target=a, by=content)  # a is merged
        with pytest.raises(services.CommunityError):
            services.idea_merge(source=a, target=c, by=content)  # already merged

    def test_earlier_merges_follow_to_the_new_target(self, content):
        a, b, c = IdeaFactory(), IdeaFactory(), IdeaFactory()
        services.idea_merge(source=a, target=b, by=content)
        services.idea_merge(source=b, target=c, by=content)
        assert Idea.objects.get(pk=a.pk).merged_into_id == c.pk


class TestStaffActions:
    def test_set_status_by_staff_only(self, alice, csm, content):
        idea = IdeaFactory()
        with pytest.raises(PermissionDenied):
            services.idea_set_status(idea=idea, status="planned", by=alice)
        services.idea_set_status(idea=idea, status="planned", by=csm)
        assert idea.status == "planned" and idea.status_changed_at is not None
        with pytest.raises(services.CommunityError):
            services.idea_set_status(idea=idea, status="merged", by=content)

    def test_hide_by_content_admin_only(self, alice, csm, content):
        idea = IdeaFactory()
        with pytest.raises(PermissionDenied):
            services.idea_hide(idea=idea, by=csm)
        services.idea_hide(idea=idea, by=content)
        assert not Idea.objects.visible_to(alice).filter(pk=idea.pk).exists()
        services.idea_unhide(idea=idea, by=content)
        assert Idea.objects.visible_to(alice).filter(pk=idea.pk).exists()


class TestComments:
    def test_comment_counts_records_and_tells_the_author(self, alice, bob):
        idea = IdeaFactory(author=bob)
        services.comment_create(idea=idea, author=alice, body="Us too")
        assert Idea.objects.get(pk=idea.pk).comment_count == 1
        assert Interaction.objects.filter(kind="community.comment_posted", user=alice).count() == 1
        assert Notification.objects.filter(user=bob, category="community").count() == 1

    def test_view_is_recorded_once_per_half_hour(self, alice):
        idea = IdeaFactory()
        assert services.idea_view(user=alice, idea=idea) is True
        assert services.idea_view(user=alice, idea=idea) is False
        assert Interaction.objects.filter(kind="community.idea_viewed").count() == 1


class TestSelectors:
    def test_list_sorts_filters_and_knows_my_votes(self, alice, bob):
        reporting = ProductAreaFactory(name="Reporting", slug="reporting")
        old = IdeaFactory(title="Scheduled exports", created_at=timezone.now() - timedelta(days=300))
        new = IdeaFactory(title="Dark mode")
        new.areas.add(reporting)
        for _ in range(3):
            VoteFactory(idea=old, created_at=timezone.now() - timedelta(days=200))
        VoteFactory(idea=new, user=alice)
        IdeaFactory(title="Shipped thing", status="shipped")
        top = list(selectors.idea_list(user=alice))
        assert top[0] == old
        assert [i.has_voted for i in top if i == new] == [True]
        assert selectors.idea_list(user=alice, sort="new").first().title == "Shipped thing"
        # one recent vote (x2) beats three votes of 200 days ago (3/182)
        assert selectors.idea_list(user=alice, sort="trending").first() == new
        assert list(selectors.idea_list(user=alice, area="reporting")) == [new]
        assert [i.title for i in selectors.idea_list(user=alice, status="shipped")] == ["Shipped thing"]
        assert [i.title for i in selectors.idea_list(user=alice, q="exports")] == ["Scheduled exports"]

    def test_list_leaves_out_merged_and_hidden(self, alice, content):
        IdeaFactory(title="Hidden", hidden=True)
        a, b = IdeaFactory(title="A"), IdeaFactory(title="B")
        services.idea_merge(source=a, target=b, by=content)
        assert [i.title for i in selectors.idea_list(user=alice)] == ["B"]
        assert {i.title for i in selectors.idea_list(user=content)} == {"B", "Hidden"}

    def test_similar_ideas(self, alice, content):
        IdeaFactory(title="Export dashboards to PDF")
        IdeaFactory(title="Export reports to Excel")
        IdeaFactory(title="Dark mode")
        IdeaFactory(title="Export hidden idea", hidden=True)
        merged, target = IdeaFactory(title="Export merged"), IdeaFactory(title="Unrelated")
        services.idea_merge(source=merged, target=target, by=content)
        titles = [i.title for i in selectors.similar_ideas(user=alice, title="PDF export of dashboards")]
        assert titles[0] == "Export dashboards to PDF"
        assert (
            "Dark mode" not in titles and "Export hidden idea" not in titles and "Export merged" not in titles
        )
        assert selectors.similar_ideas(user=alice, title="a") == []

    def test_demand_tells_one_big_customer_from_many(self, db):
        big = AccountFactory(arr=Decimal("900000"), segment="enterprise")
        smalls = [AccountFactory(arr=Decimal("10000"), segment="smb") for _ in range(5)]
        one_customer, many_customers = IdeaFactory(), IdeaFactory()
        for _ in range(6):
            VoteFactory(idea=one_customer, user=UserFactory(account=big))
        for account in smalls:
            for _ in range(2):
                VoteFactory(idea=many_customers, user=UserFactory(account=account))
        demand = selectors.idea_demand(idea_ids=[one_customer.pk, many_customers.pk])
        assert demand[one_customer.pk].voters == 6 and demand[one_customer.pk].accounts == 1
        assert demand[one_customer.pk].arr == Decimal("900000")  # once, not six times
        assert demand[one_customer.pk].segments["Enterprise"] == 1
        assert demand[many_customers.pk].voters == 10 and demand[many_customers.pk].accounts == 5
        assert demand[many_customers.pk].arr == Decimal("50000")
        assert demand[many_customers.pk].segments == {"Enterprise": 0, "Mid-market": 0, "SMB": 5}
        by_accounts = list(selectors.ideas_by_demand(sort="accounts"))
        assert by_accounts[0] == many_customers
        assert selectors.ideas_by_demand(sort="arr").first() == one_customer

    def test_comments_hide_hidden_ones_from_customers(self, alice, content):
        idea = IdeaFactory()
        CommentFactory(idea=idea, body="Visible")
        CommentFactory(idea=idea, body="Spam", hidden=True)
        assert [c.body for c in selectors.idea_comments(user=alice, idea=idea)] == ["Visible"]
        assert len(selectors.idea_comments(user=content, idea=idea)) == 2
