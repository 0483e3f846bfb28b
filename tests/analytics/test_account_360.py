"""The account 360 page (/analytics/accounts/<pk>/): who may see it, the health explanation (the
interaction behind each met rule, the fix for each missed one, components without data), the
score history, the timeline with its htmx "Load more", learning coverage, NPS answers, ideas,
renewals, and a query count that does not grow with people or interactions."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.analytics import selectors
from apps.analytics.models import HealthSnapshot
from apps.analytics.services import health_recompute
from apps.interactions.models import Interaction
from tests.analytics.factories import snapshot_of
from tests.community.factories import IdeaFactory
from tests.factories import AccountFactory, RenewalFactory, UserFactory

TODAY = timezone.localdate()
NOW = timezone.now()


def log(user, kind, days_ago=1, **extra):
    return Interaction.objects.create(
        account=user.account, user=user, kind=kind, occurred_at=NOW - timedelta(days=days_ago), **extra
    )


def page_of(client, account, **params):
    return client.get(reverse("account_360", args=[account.pk]), params)


@pytest.fixture
def scored(account_a, alice, carol):
    """Account A scored today: content and ideas rules met, product updates missed, no support data."""
    idea = IdeaFactory(title="Bulk export to Parquet", author=carol)
    viewed = log(alice, "learning.content_viewed", days_ago=2)
    voted = log(
        carol, "community.vote_cast", days_ago=10, subject_type="community.idea", subject_id=str(idea.pk)
    )
    log(alice, "learning.course_completed", days_ago=5)
    log(carol, "certification.earned", days_ago=6)
    log(alice, "survey.response_submitted", days_ago=3, value=9)
    RenewalFactory(
        account=account_a,
        close_date=TODAY - timedelta(days=100),
        planned_value=Decimal("80000"),
        renewed_value=Decimal("95000"),
    )
    health_recompute(day=TODAY)
    return {"account": account_a, "idea": idea, "viewed": viewed, "voted": voted}


class TestAccess:
    @pytest.mark.parametrize("name", ["account_360", "account_timeline"])
    def test_anonymous_is_sent_to_login(self, client, account_a, name):
        response = client.get(reverse(name, args=[account_a.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    @pytest.mark.parametrize("name", ["account_360", "account_timeline"])
    def test_other_roles_get_403(self, request, client_of, account_a, who, name):
        client = client_of(request.getfixturevalue(who))
        assert client.get(reverse(name, args=[account_a.pk])).status_code == 403
        assert (
            client.get(reverse(name, args=[account_a.pk]), headers={"HX-Request": "true"}).status_code == 403
        )

    @pytest.mark.parametrize("name", ["account_360", "account_timeline"])
    def test_unknown_account_is_404(self, client_of, csm, name):
        assert client_of(csm).get(reverse(name, args=[999999])).status_code == 404

    def test_cs_manager_sees_it(self, client_of, csm, scored):
        response = page_of(client_of(csm), scored["account"])
        assert response.status_code == 200
        assert b"<h1>Account A</h1>" in response.content

    def test_customer_record_links_here_for_cs_managers_only(self, client_of, csm, content, account_a):
        url = reverse("account_360", args=[account_a.pk]).encode()
        assert url in client_of(csm).get(reverse("customer_detail", args=[account_a.pk])).content
        assert url not in client_of(content).get(reverse("customer_detail", args=[account_a.pk])).content


class TestExplanation:
    def test_header(self, client_of, csm, scored):
        account = scored["account"]
        account.cs_manager = csm
        account.save()
        content = page_of(client_of(csm), account).content.decode()
        snapshot = HealthSnapshot.objects.get(account=account, date=TODAY)
        assert f'<span class="health-headline__value">{snapshot.score:.0f}</span>' in content
        assert "Scored with All segments v1" in content
        assert "CS owner Cas Manager" in content and "ARR $100,000" in content

    def test_a_met_rule_shows_the_interaction_that_satisfied_it(self, client_of, csm, scored):
        content = page_of(client_of(csm), scored["account"]).content.decode()
        assert "Satisfied by: Viewed learning content by Alice Archer" in content
        assert "Satisfied by: Voted for an idea by Carol Chen" in content

    def test_a_missed_rule_shows_what_it_takes_and_the_fix(self, client_of, csm, scored):
        content = page_of(client_of(csm), scored["account"]).content.decode()
        assert "It takes any of: Read a product update, in the last 60 days." in content
        assert "Nobody has read a product update: send the latest release notes" in content
        assert "2 of 3 met" in content

    def test_a_component_without_data_is_left_out(self, client_of, csm, scored):
        response = page_of(client_of(csm), scored["account"])
        parts = {part["name"]: part for part in response.context["explanation"]["components"]}
        assert parts["support"]["score"] is None
        assert re.search(
            r'Support</th>\s*<td colspan="3" class="muted">No data — left out of the score',
            response.content.decode(),
        )
        assert parts["engagement"]["contribution"] is not None

    def test_figures(self, client_of, csm, scored):
        response = page_of(client_of(csm), scored["account"])
        content = response.content.decode()
        figures = response.context["figures"]
        assert figures["licensed_seats"] == 5 and figures["active_users"] == 2
        assert "40%" in content and "2 active of 5 seats" in content
        # One NPS respondent: too few to tell, with its n.
        assert "too few to tell" in content and "1 respondent in 12 months: 1 promoter" in content

    def test_activity_and_advanced_users(self, client_of, csm, account_a, alice, carol):
        for feature in ("reports", "alerts", "api"):
            log(alice, "product.feature_used", subject_type="feature", subject_id=feature)
        log(carol, "product.feature_used", subject_type="feature", subject_id="reports")
        log(alice, "portal.active_time", value=5400)
        health_recompute(day=TODAY)
        response = page_of(client_of(csm), account_a)
        figures = response.context["figures"]
        assert (figures["advanced_users"], figures["basic_users"]) == (1, 1)
        assert figures["active_hours"] == 1.5
        content = response.content.decode()
        assert "20% of seats" in content and "1 basic user (20% of seats)" in content
        assert "1.5 h" in content

    def test_overage_is_flagged(self, client_of, csm, account_a, alice, carol, sam):
        account_a.licensed_seats = 2
        account_a.save()
        for person in (alice, carol, sam):
            log(person, "account.login")
        health_recompute(day=TODAY)
        assert "Overage: more active users than seats" in page_of(client_of(csm), account_a).content.decode()

    def _figures(self, account, **figures) -> dict:
        snapshot = snapshot_of(account, 50, day=TODAY)
        snapshot.figures = figures
        snapshot.save()
        return selectors.account_figures(snapshot=snapshot)

    @pytest.mark.parametrize(("promoters", "detractors", "nps"), [(3, 2, 13), (2, 3, -13), (4, 4, 0)])
    def test_nps_rounds_halves_away_from_zero(self, account_a, promoters, detractors, nps):
        # 8 answers: 100 * (3 - 2) / 8 = 12.5, which is 13 (METRICS.md), not 12 (round half even).
        figures = self._figures(account_a, nps_responses=8, promoters=promoters, detractors=detractors)
        assert figures["nps"] == nps and not figures["nps_too_few"]

    def test_nps_on_the_page(self, client_of, csm, account_a):
        self._figures(account_a, nps_responses=8, promoters=3, detractors=2)
        response = page_of(client_of(csm), account_a)
        assert response.context["figures"]["nps"] == 13

    def test_rates_are_rounded_once_from_the_exact_counts(self, account_a):
        figures = self._figures(
            account_a,
            licensed_seats=200,
            active_users=57,  # 28.5%: the stored share 0.285 is 28.4999...% in binary
            utilisation=0.285,
            advanced_users=57,
            advanced_share=0.285,
            basic_users=1,  # 0.5%
            basic_share=0.005,
            content_views_before=8,  # 8 -> 9 views: +12.5%
            content_views=9,
            active_seconds=540,  # 0.15 h
            visit_days=15,
        )
        assert figures["utilisation_percent"] == 29
        assert figures["advanced_share_percent"] == 29
        assert figures["basic_share_percent"] == 1
        assert figures["content_change_percent"] == 13
        assert figures["active_hours"] == 0.2
        assert figures["visits_per_week"] == 3.5

    def test_rates_without_data(self, account_a):
        figures = self._figures(account_a, licensed_seats=0, utilisation=None, content_views_before=0)
        assert figures["utilisation_percent"] is None and figures["content_change_percent"] is None
        assert figures["nps"] is None and figures["active_hours"] == 0

    def test_without_a_snapshot_it_says_so(self, client_of, csm, account_a, alice):
        log(alice, "learning.content_viewed")
        response = page_of(client_of(csm), account_a)
        assert response.status_code == 200
        content = response.content.decode()
        assert "This account has no health score yet" in content
        assert "Viewed learning content" in content  # the rest of the page still works


class TestHistory:
    def test_chart_table_and_the_day_it_fell_to_red(self, client_of, csm, account_a):
        scores = [72, 65, 55, 45, 38, 30, 28]
        for back, score in zip(range(6, -1, -1), scores, strict=True):
            snapshot_of(account_a, score, day=TODAY - timedelta(days=back))
        response = page_of(client_of(csm), account_a)
        history = response.context["history"]
        fell = TODAY - timedelta(days=2)
        assert history["fell_to_red"] == fell and history["left_red"] is None
        assert [point["score"] for point in history["points"]] == scores
        content = response.content.decode()
        assert f"Fell to red on {fell.day} {fell:%b %Y} and is still red." in content
        assert '<svg class="chart"' in content and "chart__band--red" in content
        assert "<details>" in content and "The same scores as a table" in content

    def test_recovery_is_reported(self, client_of, csm, account_a):
        for back, score in zip(range(4, -1, -1), [50, 35, 30, 45, 60], strict=True):
            snapshot_of(account_a, score, day=TODAY - timedelta(days=back))
        history = page_of(client_of(csm), account_a).context["history"]
        assert history["fell_to_red"] == TODAY - timedelta(days=3)
        assert history["left_red"] == TODAY - timedelta(days=1)

    def test_many_days_become_weekly_points(self, account_a):
        for back in range(200):
            snapshot_of(account_a, 50 + back % 20, day=TODAY - timedelta(days=back))
        history = selectors.account_health_history(account=account_a, end=TODAY)
        points = history["points"]
        assert history["weekly"] and 28 <= len(points) <= 30
        weeks = [point["date"].isocalendar()[:2] for point in points]
        assert len(set(weeks)) == len(weeks)
        assert points[-1]["date"] == TODAY  # the newest score is always shown

    def test_only_the_last_12_months(self, account_a):
        snapshot_of(account_a, 50, day=TODAY - timedelta(days=400))
        snapshot_of(account_a, 60, day=TODAY)
        points = selectors.account_health_history(account=account_a, end=TODAY)["points"]
        assert [point["score"] for point in points] == [60]


class TestTimeline:
    @pytest.fixture
    def busy(self, account_a, alice):
        for minutes in range(30):
            Interaction.objects.create(
                account=account_a,
                user=alice,
                kind="learning.content_viewed",
                occurred_at=NOW - timedelta(minutes=minutes),
            )
        return account_a

    def test_first_page_with_load_more(self, client_of, csm, busy):
        response = page_of(client_of(csm), busy)
        timeline = response.context["timeline"]
        assert len(timeline.items) == 25 and timeline.has_more and timeline.before is None
        cursor = selectors.timeline_cursor(timeline.items[-1])
        assert timeline.next_before == cursor
        content = response.content.decode()
        assert f'hx-get="{reverse("account_timeline", args=[busy.pk])}?before={cursor}"' in content
        assert f'href="{reverse("account_360", args=[busy.pk])}?before={cursor}#timeline"' in content
        assert "Viewed learning content</span><span> · Alice Archer" in content

    def test_htmx_twin_returns_the_next_items_only(self, client_of, csm, busy):
        client = client_of(csm)
        cursor = page_of(client, busy).context["timeline"].next_before
        response = client.get(
            reverse("account_timeline", args=[busy.pk]), {"before": cursor}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert response.content.count(b'class="timeline__item"') == 5
        assert b"Load more" not in response.content

    def test_without_htmx_it_opens_the_page_at_that_point(self, client_of, csm, busy):
        client = client_of(csm)
        cursor = page_of(client, busy).context["timeline"].next_before
        response = client.get(reverse("account_timeline", args=[busy.pk]), {"before": cursor})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_360', args=[busy.pk])}?before={cursor}#timeline"
        page = page_of(client, busy, before=cursor)
        assert len(page.context["timeline"].items) == 5
        assert b"Back to the latest" in page.content

    def test_pages_follow_each_other_without_gap_or_repeat(self, busy, alice):
        # Interactions at the same moment are ordered by pk, and a page boundary may fall among them.
        same = [
            Interaction.objects.create(
                account=busy, user=alice, kind="account.login", occurred_at=NOW - timedelta(minutes=24)
            )
            for _ in range(3)
        ]
        seen, before = [], None
        while True:
            page = selectors.account_timeline_page(account=busy, before=before, size=7)
            seen += [item.pk for item in page.items]
            if not page.has_more:
                break
            before = page.next_before
        expected = list(
            Interaction.objects.filter(account=busy)
            .order_by("-occurred_at", "-pk")
            .values_list("pk", flat=True)
        )
        assert seen == expected and len(seen) == 33 and {s.pk for s in same} <= set(seen)

    @pytest.mark.parametrize(
        "value", ["x", "12-", "-5", "9" * 30 + "-1", "999999999999999999-1", "1-2-3", "9" * 5000]
    )
    def test_bad_cursors_show_the_first_page_not_a_500(self, client_of, csm, busy, value):
        client = client_of(csm)
        response = page_of(client, busy, before=value)
        assert response.status_code == 200
        timeline = response.context["timeline"]
        assert timeline.before is None and len(timeline.items) == 25
        fragment = client.get(
            reverse("account_timeline", args=[busy.pk]), {"before": value}, headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 200

    def test_a_cursor_before_everything_shows_nothing_this_far_back(self, client_of, csm, busy):
        response = page_of(client_of(csm), busy, before="0-1")  # 1970
        timeline = response.context["timeline"]
        assert timeline.before == "0-1" and not timeline.items and not timeline.has_more
        assert "Nothing recorded this far back" in response.content.decode()

    def test_a_cursor_round_trips(self, busy):
        item = Interaction.objects.filter(account=busy).first()
        at, pk = selectors.parse_timeline_cursor(selectors.timeline_cursor(item))
        assert (at, pk) == (item.occurred_at, item.pk)


class TestPeopleAndVoices:
    def test_learning_coverage(self, client_of, csm, sam, scored):
        log(sam, "learning.course_completed", days_ago=400)  # too long ago to count
        response = page_of(client_of(csm), scored["account"])
        coverage = response.context["coverage"]
        by_name = {person.full_name: person for person in coverage["people"]}
        assert by_name["Alice Archer"].completed == 1 and by_name["Alice Archer"].certifications == 0
        assert by_name["Carol Chen"].certifications == 1
        assert by_name["Sam Sponsor"].completed == 0
        assert coverage["n"] == 3
        # The trained and certified totals are the health score's, as its proficiency counted them.
        content = response.content.decode()
        assert "<strong>1 of 3</strong> trained" in content
        assert "<strong>1 of 3</strong> earned a certification" in content

    def test_without_a_score_the_people_are_listed_without_totals(self, client_of, csm, account_a, alice):
        log(alice, "learning.course_completed", days_ago=5)
        response = page_of(client_of(csm), account_a)
        assert response.context["coverage"]["people"][0].completed == 1
        assert "trained (completed" not in response.content.decode()

    def test_learning_coverage_counts_only_the_last_12_months(self, account_a, alice, carol, sam):
        log(sam, "learning.course_completed", days_ago=400)
        log(sam, "certification.earned", days_ago=380)
        log(alice, "account.login", days_ago=30)
        log(carol, "account.login", days_ago=2)
        coverage = selectors.account_learning_coverage(account=account_a)
        # Most recently active first; sam, seen only more than 12 months ago, last.
        assert [p.full_name for p in coverage["people"]] == ["Carol Chen", "Alice Archer", "Sam Sponsor"]
        sam_row = coverage["people"][2]
        assert sam_row.last_activity is None and sam_row.completed == 0 and sam_row.certifications == 0
        assert coverage["n"] == 3

    def test_learning_coverage_lists_a_page_but_counts_everyone(
        self, account_a, alice, carol, sam, django_assert_num_queries
    ):
        log(alice, "learning.course_completed", days_ago=3)
        log(sam, "certification.earned", days_ago=1)
        log(carol, "account.login", days_ago=2)
        # More people than the page, but the last day holds fewer: PostgreSQL reads the last day,
        # then the whole window (each with the number of people); SQLite the window, then the count.
        with django_assert_num_queries(2):
            coverage = selectors.account_learning_coverage(account=account_a, limit=2, expected_people=3)
        assert [p.full_name for p in coverage["people"]] == ["Sam Sponsor", "Carol Chen"]
        assert coverage["n"] == 3

    def test_a_busy_last_day_is_enough_for_the_page(
        self, account_a, alice, carol, sam, django_assert_num_queries
    ):
        """A large account's page of people comes from its last day only, with their number in the
        same query on PostgreSQL; each person's counts still cover the 12 months."""
        log(alice, "learning.course_completed", days_ago=100)
        log(alice, "account.login", days_ago=0.5)
        log(sam, "certification.earned", days_ago=200)
        log(sam, "account.login", days_ago=0.1)
        log(carol, "account.login", days_ago=0.2)
        log(carol, "account.login", days_ago=2)
        with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
            coverage = selectors.account_learning_coverage(account=account_a, limit=2, expected_people=3)
        people = coverage["people"]
        assert [p.full_name for p in people] == ["Sam Sponsor", "Carol Chen"]
        assert (people[0].completed, people[0].certifications) == (0, 1)
        assert people[1].last_activity == NOW - timedelta(days=0.2)
        assert coverage["n"] == 3

    def test_people_of_another_account_or_inactive_are_not_listed(self, account_a, alice, carol, sam):
        carol.is_active = False
        carol.save()
        log(carol, "account.login", days_ago=0.1)
        stranger = UserFactory()  # another account's person, logged against account A
        Interaction.objects.create(
            account=account_a, user=stranger, kind="account.login", occurred_at=NOW - timedelta(hours=1)
        )
        log(alice, "account.login", days_ago=0.5)
        coverage = selectors.account_learning_coverage(account=account_a, limit=1)
        assert [p.full_name for p in coverage["people"]] == ["Alice Archer"]
        coverage = selectors.account_learning_coverage(account=account_a)
        assert [p.full_name for p in coverage["people"]] == ["Alice Archer", "Sam Sponsor"]
        assert coverage["people"][1].last_activity is None and coverage["n"] == 2

    def test_the_page_shows_the_50_most_recently_active(self, client_of, csm, account_a, alice):
        User = type(alice)
        User.objects.bulk_create(
            User(email=f"quiet{i}@a.example", full_name=f"Quiet {i:03}", account=account_a) for i in range(51)
        )
        log(alice, "account.login", days_ago=1)
        with CaptureQueriesContext(connection) as captured:
            response = page_of(client_of(csm), account_a)
        coverage = response.context["coverage"]
        assert len(coverage["people"]) == 50 and coverage["n"] == 52
        assert coverage["people"][0].full_name == "Alice Archer"
        assert "Showing the 50 most recently active of 52 people." in response.content.decode()
        people_queries = [
            q["sql"] for q in captured if "accounts_user" in q["sql"] and "last_activity" in q["sql"]
        ]
        # Only a page of people is read, from the window at once: without a snapshot nothing says
        # the account is large enough for its last day to fill the page.
        assert len(people_queries) == 1
        assert all(sql.rstrip().endswith("LIMIT 50") for sql in people_queries)

    @pytest.mark.parametrize("busy_day", [True, False])
    def test_a_scored_large_account_reads_its_last_day_first(
        self, client_of, csm, account_a, alice, busy_day
    ):
        """The latest snapshot's count of people tells the page the account is larger than its
        page of people: PostgreSQL reads the last day's activity first, and the whole window only
        when that day was too quiet to fill the page."""
        User = type(alice)
        quiet = User.objects.bulk_create(
            User(email=f"quiet{i}@a.example", full_name=f"Quiet {i:03}", account=account_a) for i in range(51)
        )
        for person in quiet if busy_day else quiet[:3]:
            log(person, "account.login", days_ago=0.5)
        snapshot = snapshot_of(account_a, 50, day=TODAY)
        HealthSnapshot.objects.filter(pk=snapshot.pk).update(figures={"users": 52})
        with CaptureQueriesContext(connection) as captured:
            response = page_of(client_of(csm), account_a)
        coverage = response.context["coverage"]
        assert len(coverage["people"]) == 50 and coverage["n"] == 52
        people_queries = [q for q in captured if "accounts_user" in q["sql"] and "last_activity" in q["sql"]]
        if connection.vendor == "postgresql":
            assert len(people_queries) == (1 if busy_day else 2)
        else:
            assert len(people_queries) == 1

    @pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland"])
    def test_people_show_their_last_activity_in_local_time(self, client_of, csm, account_a, alice, zone):
        """As the date filter would show it, in the current time zone."""
        from django.template.defaultfilters import date as date_filter

        at = log(alice, "account.login", days_ago=3).occurred_at
        with timezone.override(zone):
            content = page_of(client_of(csm), account_a).content.decode()
            local = timezone.localtime(at)
            expected = f'<time datetime="{date_filter(local, "c")}">{date_filter(local, "j M Y")}</time>'
        assert expected in content, re.findall(r"<time datetime=[^<]*</time>", content)

    def test_nps_answers(self, client_of, csm, scored):
        content = page_of(client_of(csm), scored["account"]).content.decode()
        assert "<td>Alice Archer</td>" in content and "Promoter" in content

    def test_ideas_with_their_titles(self, client_of, csm, scored):
        content = page_of(client_of(csm), scored["account"]).content.decode()
        idea = scored["idea"]
        assert f'<a href="{reverse("idea_detail", args=[idea.pk])}">Bulk export to Parquet</a>' in content

    def test_a_hidden_idea_shows_no_title(self, client_of, csm, scored):
        scored["idea"].hidden = True
        scored["idea"].save()
        content = page_of(client_of(csm), scored["account"]).content.decode()
        assert "Bulk export to Parquet" not in content
        assert f"An idea no longer shown (#{scored['idea'].pk})" in content

    def test_renewals(self, client_of, csm, scored):
        content = page_of(client_of(csm), scored["account"]).content.decode()
        assert "$80,000" in content and "$95,000" in content


def _populate(account, people: int, *, interactions_each: int):
    users = [UserFactory(account=account) for _ in range(people)]
    for user in users:
        idea = IdeaFactory(author=user)
        log(
            user,
            "community.idea_submitted",
            days_ago=20,
            subject_type="community.idea",
            subject_id=str(idea.pk),
        )
        log(user, "roadmap.update_read", days_ago=4)
        log(user, "learning.course_completed", days_ago=9)
        log(user, "certification.earned", days_ago=9)
        log(user, "survey.response_submitted", days_ago=8, value=7)
        for i in range(interactions_each):
            log(user, "learning.content_viewed", days_ago=1 + i % 25)
    for years in range(1, 1 + people // 4 + 1):
        RenewalFactory(account=account, close_date=TODAY - timedelta(days=365 * years))
    for back in range(1, 30):
        snapshot_of(account, 40 + back, day=TODAY - timedelta(days=back))


def test_query_count_does_not_grow_with_people_or_interactions(client_of, csm, db):
    small, large = AccountFactory(), AccountFactory()
    _populate(small, 2, interactions_each=2)
    _populate(large, 12, interactions_each=30)
    health_recompute(day=TODAY)
    client = client_of(csm)
    counts = []
    for account in (small, large):
        page_of(client, account)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert page_of(client, account).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    # session, user, account, snapshot, history, rule interactions, timeline, the page of people
    # (with their number on PostgreSQL; SQLite counts them apart), NPS answers, idea interactions,
    # idea titles, renewals.
    assert counts[1] == (12 if connection.vendor == "postgresql" else 13)


def test_timeline_page_queries(client_of, csm, account_a, alice, django_assert_num_queries):
    for _ in range(40):
        log(alice, "account.login")
        log(alice, "learning.content_viewed")
    client = client_of(csm)
    cursor = page_of(client, account_a).context["timeline"].next_before
    # session, user, account, the page of interactions with their people (one short scan per kind).
    with django_assert_num_queries(4):
        response = client.get(
            reverse("account_timeline", args=[account_a.pk]),
            {"before": cursor},
            headers={"HX-Request": "true"},
        )
    assert response.content.count(b'class="timeline__item"') == 25
