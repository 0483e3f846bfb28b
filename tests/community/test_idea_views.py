"""The ideas board's pages."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.community import services
from apps.community.models import Comment, Idea, Vote
from apps.interactions.models import Interaction
from tests.community.factories import CommentFactory, IdeaFactory, ProductAreaFactory, VoteFactory
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


class TestList:
    url = reverse("idea_list")

    def test_lists_ideas_with_my_vote_state(self, client_of, alice):
        voted = IdeaFactory(title="Dark mode")
        IdeaFactory(title="SSO with Okta")
        VoteFactory(idea=voted, user=alice)
        response = client_of(alice).get(self.url)
        assert "Dark mode" in response.text and "SSO with Okta" in response.text
        assert "✓ Voted" in response.text and "▲ Vote" in response.text

    def test_htmx_returns_only_the_results(self, client_of, alice):
        IdeaFactory(title="Dark mode")
        response = client_of(alice).get(self.url, {"q": "dark"}, **HTMX)
        assert (
            "<html" not in response.text and 'id="results"' in response.text and "Dark mode" in response.text
        )

    def test_filters_and_empty_state(self, client_of, alice):
        ProductAreaFactory(name="Reporting", slug="reporting")
        IdeaFactory(title="Dark mode")
        client = client_of(alice)
        assert "Dark mode" not in client.get(self.url, {"area": "reporting"}).text
        response = client.get(self.url, {"q": "zzz"})
        assert "No idea matches" in response.text
        assert client.get(self.url, {"sort": "nope", "status": "x", "page": "-1"}).status_code == 200

    def test_empty_board_invites_the_first_idea(self, client_of, alice):
        assert "No ideas yet" in client_of(alice).get(self.url).text

    def test_hidden_ideas_are_left_out_for_customers(self, client_of, alice, content):
        IdeaFactory(title="Spammy", hidden=True)
        assert "Spammy" not in client_of(alice).get(self.url).text
        assert "Spammy" in client_of(content).get(self.url).text

    def test_query_count_does_not_grow(self, client_of, alice, django_assert_max_num_queries):
        area = ProductAreaFactory()
        client = client_of(alice)

        def add(n):
            for _ in range(n):
                idea = IdeaFactory()
                idea.areas.add(area)
                VoteFactory(idea=idea)
                CommentFactory(idea=idea)

        add(1)
        with django_assert_max_num_queries(8):
            client.get(self.url)
        add(20)
        with django_assert_max_num_queries(8):
            client.get(self.url, {"sort": "trending"})

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        assert client.get(self.url).status_code == 302

    def test_queries_are_pinned(self, client_of, alice, django_assert_num_queries):
        area = ProductAreaFactory()
        for _ in range(25):
            idea = IdeaFactory()
            idea.areas.add(area)
            VoteFactory(idea=idea)
        client = client_of(alice)
        client.get(self.url)
        # session, user, the form's product areas, the count, the page (author, merged-into, my
        # vote and follow in it), the page's areas.
        for params in ({}, {"sort": "new"}, {"sort": "trending"}, {"page": 2}):
            with django_assert_num_queries(6):
                assert client.get(self.url, params).status_code == 200

    def test_top_and_new_orders_break_ties_by_newest_then_pk(self, client_of, alice):
        at = timezone.now() - timedelta(days=3)
        first, second = (
            IdeaFactory(title="Tie one", created_at=at),
            IdeaFactory(title="Tie two", created_at=at),
        )
        popular = IdeaFactory(title="Popular", vote_count=5, created_at=at - timedelta(days=9))
        newest = IdeaFactory(title="Newest")
        client = client_of(alice)
        top = [idea.pk for idea in client.get(self.url).context["page"].object_list]
        assert top == [popular.pk, newest.pk, second.pk, first.pk]
        new = [idea.pk for idea in client.get(self.url, {"sort": "new"}).context["page"].object_list]
        assert new == [newest.pk, second.pk, first.pk, popular.pk]

    def test_rows_show_a_plain_text_excerpt_rendered_once(self, client_of, alice, monkeypatch):
        from apps.community import selectors

        IdeaFactory(
            title="Styled", description="**Bold** move: see [the docs](https://example.com) " + "x" * 300
        )
        calls = []
        render = selectors.markdown.plain_text
        monkeypatch.setattr(selectors.markdown, "plain_text", lambda *a: calls.append(a) or render(*a))
        monkeypatch.setattr(selectors, "_excerpts", {})
        client = client_of(alice)
        text = client.get(self.url).text
        assert "<p>Bold move: see the docs…</p>" in text and "**" not in text
        assert "<p>Bold move: see the docs…</p>" in client.get(self.url).text
        assert len(calls) == 1  # the second page view reused the excerpt
        idea = Idea.objects.get(title="Styled")
        idea.description = "Changed"
        idea.save()
        assert "<p>Changed</p>" in client.get(self.url).text and len(calls) == 2


class TestDetail:
    def test_shows_idea_and_records_a_view(self, client_of, alice):
        idea = IdeaFactory(title="Dark mode", description="Please **bold**")
        response = client_of(alice).get(idea.get_absolute_url())
        assert "Dark mode" in response.text and "<strong>bold</strong>" in response.text
        assert Interaction.objects.filter(kind="community.idea_viewed", user=alice).count() == 1

    def test_htmx_twin_returns_the_comments(self, client_of, alice):
        idea = IdeaFactory()
        CommentFactory(idea=idea, body="Same here")
        response = client_of(alice).get(idea.get_absolute_url(), **HTMX)
        assert (
            "<html" not in response.text and 'id="comments"' in response.text and "Same here" in response.text
        )

    def test_markdown_is_sanitised(self, client_of, alice):
        idea = IdeaFactory(
            description='<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'
        )
        CommentFactory(idea=idea, body="<a href='#' onclick='alert(4)'>hi</a> [y](javascript:evil())")
        text = client_of(alice).get(idea.get_absolute_url()).text
        assert "<script>alert" not in text and "javascript:" not in text
        assert not re.search(r"<[^>]*\son(error|click)\s*=", text)  # escaped text is fine, attributes are not

    def test_hidden_idea_is_404_for_customers(self, client_of, alice, content):
        idea = IdeaFactory(hidden=True)
        assert client_of(alice).get(idea.get_absolute_url()).status_code == 404
        assert client_of(alice).get(idea.get_absolute_url(), **HTMX).status_code == 404
        assert client_of(alice).post(reverse("idea_vote", args=[idea.pk])).status_code == 404
        assert client_of(content).get(idea.get_absolute_url()).status_code == 200

    def test_merged_idea_redirects_permanently(self, client_of, alice, content):
        source, target = IdeaFactory(title="Dup"), IdeaFactory(title="Original")
        services.idea_merge(source=source, target=target, by=content)
        response = client_of(alice).get(source.get_absolute_url())
        assert response.status_code == 301 and response.url == target.get_absolute_url()
        assert "was merged into this idea" in client_of(alice).get(response.url).text

    def test_demand_is_for_vendor_staff_only(self, client_of, alice, csm):
        idea = IdeaFactory()
        VoteFactory(idea=idea, user=alice)
        assert "ARR of those accounts" not in client_of(alice).get(idea.get_absolute_url()).text
        assert "ARR of those accounts" in client_of(csm).get(idea.get_absolute_url()).text

    def test_query_count_does_not_grow(self, client_of, alice, django_assert_max_num_queries):
        idea = IdeaFactory()
        idea.areas.add(ProductAreaFactory())
        client = client_of(alice)
        client.get(idea.get_absolute_url())
        with django_assert_max_num_queries(12):
            client.get(idea.get_absolute_url())
        for _ in range(20):
            VoteFactory(idea=idea)
            CommentFactory(idea=idea, author=UserFactory())
        with django_assert_max_num_queries(12):
            client.get(idea.get_absolute_url())


class TestVoteAndFollow:
    def test_vote_toggles(self, client_of, alice):
        idea = IdeaFactory()
        url = reverse("idea_vote", args=[idea.pk])
        client = client_of(alice)
        assert client.post(url).status_code == 302
        assert Vote.objects.filter(idea=idea, user=alice).exists()
        client.post(url)
        assert not Vote.objects.filter(idea=idea, user=alice).exists()

    def test_vote_htmx_returns_the_widget(self, client_of, alice):
        idea = IdeaFactory()
        response = client_of(alice).post(reverse("idea_vote", args=[idea.pk]), **HTMX)
        assert "<html" not in response.text and f'id="vote-{idea.pk}"' in response.text
        assert "✓ Voted · 1" in response.text

    def test_vote_on_a_closed_idea(self, client_of, alice):
        idea = IdeaFactory(status="shipped")
        client = client_of(alice)
        assert client.post(reverse("idea_vote", args=[idea.pk]), **HTMX).status_code == 400
        response = client.post(reverse("idea_vote", args=[idea.pk]), follow=True)
        assert "Voting is closed" in response.text and not Vote.objects.exists()

    def test_vote_needs_post(self, client_of, alice):
        idea = IdeaFactory()
        assert client_of(alice).get(reverse("idea_vote", args=[idea.pk])).status_code == 405

    def test_follow_toggles(self, client_of, alice):
        idea = IdeaFactory()
        client = client_of(alice)
        response = client.post(reverse("idea_follow", args=[idea.pk]), **HTMX)
        assert "<html" not in response.text and "Following" in response.text
        response = client.post(reverse("idea_follow", args=[idea.pk]))
        assert response.status_code == 302 and not idea.follows.exists()


class TestPosting:
    def test_new_idea_page_and_post(self, client_of, alice):
        client = client_of(alice)
        assert client.get(reverse("idea_new")).status_code == 200
        response = client.post(reverse("idea_new"), {"title": "Dark mode", "description": "For night owls."})
        idea = Idea.objects.get()
        assert response.status_code == 302 and response.url == idea.get_absolute_url()

    def test_bad_input_shows_errors(self, client_of, alice):
        response = client_of(alice).post(reverse("idea_new"), {"title": "", "description": ""})
        assert response.status_code == 200 and "errorlist" in response.text and not Idea.objects.exists()

    def test_rate_limit_is_explained(self, client_of, alice):
        for n in range(3):
            IdeaFactory(author=alice, title=f"Mine {n}")
        response = client_of(alice).post(reverse("idea_new"), {"title": "Four", "description": "x"})
        assert "New members can post 3" in response.text

    def test_similar_ideas_while_typing(self, client_of, alice):
        IdeaFactory(title="Export dashboards to PDF")
        response = client_of(alice).get(reverse("idea_similar"), {"title": "pdf export"}, **HTMX)
        assert "<html" not in response.text and "Export dashboards to PDF" in response.text
        assert "vote-" in response.text

    def test_comment(self, client_of, alice):
        idea = IdeaFactory()
        response = client_of(alice).post(reverse("idea_comment", args=[idea.pk]), {"body": "Us too"})
        assert response.status_code == 302 and Comment.objects.get().body == "Us too"

    def test_edit_by_author_in_time_only(self, client_of, alice, bob, content):
        idea = IdeaFactory(author=alice)
        url = reverse("idea_edit", args=[idea.pk])
        assert client_of(bob).get(url).status_code == 404
        client_of(alice).post(url, {"title": "Fixed", "description": "x"})
        assert Idea.objects.get(pk=idea.pk).title == "Fixed"
        Idea.objects.filter(pk=idea.pk).update(created_at=timezone.now() - timedelta(hours=1))
        assert client_of(alice).get(url).status_code == 404
        assert client_of(content).get(url).status_code == 200


class TestStaffPages:
    def test_status_is_staff_only(self, client_of, alice, csm):
        idea = IdeaFactory()
        url = reverse("idea_status", args=[idea.pk])
        assert client_of(alice).post(url, {"status": "planned"}).status_code == 403
        assert Idea.objects.get(pk=idea.pk).status == "open"
        client_of(csm).post(url, {"status": "planned"})
        assert Idea.objects.get(pk=idea.pk).status == "planned"

    def test_merge_is_for_content_admins(self, client_of, alice, csm, content):
        source, target = IdeaFactory(), IdeaFactory()
        url = reverse("idea_merge", args=[source.pk])
        assert client_of(alice).get(url).status_code == 403
        assert client_of(csm).post(url, {"target": target.pk}).status_code == 403
        assert client_of(content).get(url).status_code == 200
        response = client_of(content).post(url, {"target": target.pk})
        assert response.url == target.get_absolute_url()
        assert Idea.objects.get(pk=source.pk).merged_into == target

    def test_hide_is_for_content_admins(self, client_of, alice, content):
        idea = IdeaFactory()
        url = reverse("idea_hide", args=[idea.pk])
        assert client_of(alice).post(url).status_code == 403
        client_of(content).post(url)
        assert Idea.objects.get(pk=idea.pk).hidden

    @pytest.mark.parametrize("sort", ["arr", "accounts", "voters", "bogus"])
    def test_demand_report_for_staff(self, client_of, csm, alice, sort):
        idea = IdeaFactory(title="Dark mode")
        VoteFactory(idea=idea, user=alice)
        response = client_of(csm).get(reverse("ideas_demand"), {"sort": sort})
        assert response.status_code == 200 and "Dark mode" in response.text and "100,000" in response.text

    def test_demand_exports_to_csv_with_the_filters(self, client_of, csm, alice, bob):
        import csv
        import io

        wanted = IdeaFactory(title="=HYPERLINK(1)")
        VoteFactory(idea=wanted, user=alice)
        VoteFactory(idea=wanted, user=bob)
        IdeaFactory(title="Shipped one", status="shipped")
        response = client_of(csm).get(reverse("ideas_demand"), {"format": "csv", "status": "open"})
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:5] == ["Idea", "Status", "Voters", "Accounts", "ARR"]
        assert [r[0] for r in rows[1:]] == [
            "'=HYPERLINK(1)"
        ]  # formula-safe; the shipped idea is filtered out
        assert rows[1][2:5] == ["2", "2", "200000.00"]
        page = client_of(csm).get(reverse("ideas_demand"), {"status": "open"}).text
        assert "status=open&amp;format=csv" in page

    def test_customers_never_see_demand(self, client_of, alice, carol):
        for person in (alice, carol):
            assert client_of(person).get(reverse("ideas_demand")).status_code == 403
        assert "Demand by revenue" not in client_of(alice).get(reverse("idea_list")).text
