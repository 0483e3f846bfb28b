"""The portfolio of account health (/analytics/) and its CSV export: CS managers only, filters,
sorting, pagination, htmx twins, the trend arrow, and a query count that does not grow."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Segment
from apps.analytics import selectors
from apps.analytics.models import HealthSnapshot
from apps.analytics.services import health_config_current, health_recompute
from tests.analytics.factories import snapshot_of
from tests.factories import AccountFactory, UserFactory

TODAY = timezone.localdate()


def snap(account, score, *, day=TODAY):
    return snapshot_of(account, score, day=day)


def rows_of(response) -> list[str]:
    """Names of the accounts listed, in order."""
    return [account.name for account in response.context["rows"]]


def csv_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def portfolio(db):
    """Three accounts scored today: red, amber and green, with different segments, owners and ARR."""
    owner = UserFactory(full_name="Olga Owner", cs_manager=True)
    red = AccountFactory(
        name="Rust Ltd",
        segment=Segment.SMB,
        arr=Decimal("20000"),
        cs_manager=owner,
        renewal_date=TODAY + timedelta(days=20),
    )
    amber = AccountFactory(
        name="Amberley",
        segment=Segment.MID_MARKET,
        arr=Decimal("90000"),
        cs_manager=None,
        renewal_date=TODAY + timedelta(days=80),
    )
    green = AccountFactory(
        name="Greenfield",
        segment=Segment.ENTERPRISE,
        arr=Decimal("500000"),
        cs_manager=owner,
        renewal_date=TODAY + timedelta(days=300),
    )
    snap(red, 25)
    snap(amber, 55)
    snap(green, 85)
    return {"owner": owner, "red": red, "amber": amber, "green": green}


class TestAccess:
    @pytest.mark.parametrize("name", ["portfolio", "portfolio_export"])
    def test_anonymous_is_sent_to_login(self, client, db, name):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    @pytest.mark.parametrize("name", ["portfolio", "portfolio_export"])
    def test_other_roles_get_403(self, request, client_of, who, name):
        client = client_of(request.getfixturevalue(who))
        assert client.get(reverse(name)).status_code == 403
        assert client.get(reverse(name), headers={"HX-Request": "true"}).status_code == 403

    def test_cs_manager_sees_it(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"))
        assert response.status_code == 200
        assert rows_of(response) == ["Rust Ltd", "Amberley", "Greenfield"]


class TestListing:
    def test_empty_state_before_the_first_recompute(self, client_of, csm):
        response = client_of(csm).get(reverse("portfolio"))
        assert response.status_code == 200
        assert b"Health scores appear after the first daily recompute" in response.content
        assert b"python manage.py recompute_health" in response.content

    def test_only_accounts_scored_on_the_latest_day(self, client_of, csm, portfolio):
        gone = AccountFactory(name="Gone Ltd")
        snap(gone, 50, day=TODAY - timedelta(days=3))  # a customer then, not any more
        response = client_of(csm).get(reverse("portfolio"))
        assert "Gone Ltd" not in rows_of(response)
        assert response.context["latest"] == TODAY

    def test_the_recompute_fills_it(self, client_of, csm, alice, bob):
        health_recompute(day=TODAY)
        response = client_of(csm).get(reverse("portfolio"))
        assert sorted(rows_of(response)) == ["Account A", "Account B"]
        assert b"Health scores appear" not in response.content

    def test_columns_link_to_the_account_page(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"))
        content = response.content.decode()
        assert reverse("account_360", args=[portfolio["red"].pk]) in content
        assert "$500,000" in content and "Olga Owner" in content and "Unassigned" in content
        assert '<span class="badge badge--red">Red</span>' in content  # a word, not colour alone

    def test_band_summary_counts_and_arr(self, client_of, csm, portfolio):
        snap(AccountFactory(name="Rusty Two", arr=Decimal("5000")), 10)
        summary = client_of(csm).get(reverse("portfolio")).context["summary"]
        bands = {item["band"]: (item["n"], item["arr"]) for item in summary["bands"]}
        assert bands["red"] == (2, Decimal("25000"))
        assert bands["amber"] == (1, Decimal("90000"))
        assert bands["green"] == (1, Decimal("500000"))
        assert bands["none"] == (0, 0)
        assert summary["n"] == 4


class TestFilters:
    def test_band(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"band": "red"})
        assert rows_of(response) == ["Rust Ltd"]
        # The strip still counts every band of the other filters, so each band is one click away.
        assert response.context["summary"]["n"] == 3

    def test_segment(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"segment": Segment.ENTERPRISE})
        assert rows_of(response) == ["Greenfield"]

    def test_owner(self, client_of, csm, portfolio):
        client = client_of(csm)
        owner = portfolio["owner"]
        assert rows_of(client.get(reverse("portfolio"), {"owner": owner.pk})) == ["Rust Ltd", "Greenfield"]
        assert rows_of(client.get(reverse("portfolio"), {"owner": "unassigned"})) == ["Amberley"]
        assert rows_of(client.get(reverse("portfolio"), {"owner": "mine"})) == []
        portfolio["amber"].cs_manager = csm
        portfolio["amber"].save()
        assert rows_of(client.get(reverse("portfolio"), {"owner": "mine"})) == ["Amberley"]

    def test_renewal_window(self, client_of, csm, portfolio):
        client = client_of(csm)
        assert rows_of(client.get(reverse("portfolio"), {"renewal": "30"})) == ["Rust Ltd"]
        assert rows_of(client.get(reverse("portfolio"), {"renewal": "90"})) == ["Rust Ltd", "Amberley"]
        assert len(rows_of(client.get(reverse("portfolio"), {"renewal": "180"}))) == 2

    def test_search_by_name(self, client_of, csm, portfolio):
        assert rows_of(client_of(csm).get(reverse("portfolio"), {"q": "green"})) == ["Greenfield"]

    def test_filters_combine(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"band": "red", "segment": Segment.ENTERPRISE})
        assert rows_of(response) == []
        assert b"No account matches these filters." in response.content

    def test_bad_values_are_ignored_not_500(self, client_of, csm, portfolio):
        response = client_of(csm).get(
            reverse("portfolio"),
            {"band": "purple", "renewal": "7", "owner": "999999", "sort": "evil", "page": "x"},
        )
        assert response.status_code == 200
        assert len(rows_of(response)) == 3


class TestSortingAndPages:
    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("", ["Rust Ltd", "Amberley", "Greenfield"]),
            ("score", ["Rust Ltd", "Amberley", "Greenfield"]),
            ("-score", ["Greenfield", "Amberley", "Rust Ltd"]),
            ("account", ["Amberley", "Greenfield", "Rust Ltd"]),
            ("-account", ["Rust Ltd", "Greenfield", "Amberley"]),
            ("band", ["Rust Ltd", "Amberley", "Greenfield"]),
            ("-band", ["Greenfield", "Amberley", "Rust Ltd"]),
            ("-arr", ["Greenfield", "Amberley", "Rust Ltd"]),
            ("arr", ["Rust Ltd", "Amberley", "Greenfield"]),
            ("renewal", ["Rust Ltd", "Amberley", "Greenfield"]),
        ],
    )
    def test_sort(self, client_of, csm, portfolio, sort, expected):
        assert rows_of(client_of(csm).get(reverse("portfolio"), {"sort": sort})) == expected

    def test_headers_toggle_the_direction_and_keep_the_filters(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"sort": "arr", "band": "red"})
        content = response.content.decode()
        assert 'aria-sort="ascending"' in content
        assert 'href="?band=red&amp;sort=-arr"' in content

    def test_accounts_without_a_score_sort_last(self, client_of, csm, portfolio):
        unscored = AccountFactory(name="Aardvark")
        HealthSnapshot.objects.create(
            account=unscored,
            date=TODAY,
            config=health_config_current(),
            score=None,
            band="none",
            segment=unscored.segment,
            arr=unscored.arr,
        )
        client = client_of(csm)
        assert rows_of(client.get(reverse("portfolio"), {"sort": "score"}))[-1] == "Aardvark"
        assert rows_of(client.get(reverse("portfolio"), {"sort": "-score"}))[-1] == "Aardvark"

    def test_pagination_keeps_the_filters(self, client_of, csm):
        for i in range(30):
            snap(AccountFactory(name=f"Red {i:02d}"), 20 + i % 10)
        client = client_of(csm)
        first = client.get(reverse("portfolio"), {"band": "red"})
        assert len(rows_of(first)) == 25
        assert "?band=red&amp;page=2" in first.content.decode()
        second = client.get(reverse("portfolio"), {"band": "red", "page": 2})
        assert len(rows_of(second)) == 5
        assert not set(rows_of(first)) & set(rows_of(second))

    @pytest.mark.parametrize("band", ["", "red", "green", "none"])
    def test_the_page_count_comes_from_the_band_strip(self, client_of, csm, band):
        for i in range(30):
            snap(AccountFactory(name=f"Account {i:02d}"), [20, 50, 90][i % 3] if i < 27 else None)
        response = client_of(csm).get(reverse("portfolio"), {"band": band} if band else {})
        page = response.context["page"]
        expected = HealthSnapshot.objects.filter(date=TODAY, **({"band": band} if band else {})).count()
        assert page.paginator.count == expected == len(response.context["page"].paginator.object_list)
        assert not any("COUNT(*)" in q["sql"] for q in self._queries(client_of(csm), band))

    def _queries(self, client, band):
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("portfolio"), {"band": band} if band else {})
        return captured.captured_queries


class TestHtmx:
    def test_full_page(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"band": "red"})
        assert b"<html" in response.content
        assert b'hx-get="/analytics/"' in response.content and b'hx-push-url="true"' in response.content

    def test_htmx_twin_returns_only_the_results(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"band": "red"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert b"<html" not in response.content
        assert b'id="portfolio-results"' in response.content
        assert rows_of(response) == ["Rust Ltd"]
        # The sort kept by the filter form is refreshed out of band.
        assert b'hx-swap-oob="true"' in response.content
        assert "HX-Request" in response["Vary"]

    def test_history_restore_gets_the_whole_page(self, client_of, csm, portfolio):
        response = client_of(csm).get(
            reverse("portfolio"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
        assert b"<html" in response.content

    def test_export_link_carries_the_filters(self, client_of, csm, portfolio):
        response = client_of(csm).get(reverse("portfolio"), {"band": "red", "sort": "-arr"})
        assert f'href="{reverse("portfolio_export")}?band=red&amp;sort=-arr"' in response.content.decode()


class TestTrend:
    def test_arrow_and_words(self, client_of, csm, portfolio):
        before = TODAY - timedelta(days=30)
        snap(portfolio["red"], 31, day=before)  # 25 now: down 6
        snap(portfolio["amber"], 49, day=before)  # 55 now: up 6
        snap(portfolio["green"], 85, day=before)  # no change
        response = client_of(csm).get(reverse("portfolio"))
        since = f"{before.day} {before:%b}"
        trends = {account.name: account.trend for account in response.context["rows"]}
        assert trends["Amberley"].change == 6 and trends["Amberley"].arrow == "▲"
        assert trends["Rust Ltd"].change == -6 and trends["Rust Ltd"].arrow == "▼"
        assert trends["Greenfield"].arrow == "▶"
        content = response.content.decode()
        assert f"Up 6 since {since}" in content
        assert f"Down 6 since {since}" in content
        assert f"No change since {since}" in content

    def test_compares_with_the_latest_snapshot_at_least_30_days_old(self, client_of, csm, portfolio):
        snap(portfolio["amber"], 10, day=TODAY - timedelta(days=29))  # too recent: ignored
        snap(portfolio["amber"], 45, day=TODAY - timedelta(days=33))
        snap(portfolio["amber"], 40, day=TODAY - timedelta(days=40))  # older: ignored
        response = client_of(csm).get(reverse("portfolio"))
        trends = {account.name: account.trend for account in response.context["rows"]}
        assert trends["Amberley"].change == 10
        assert trends["Amberley"].since == TODAY - timedelta(days=33)
        assert trends["Rust Ltd"].change is None  # no snapshot that day
        assert "No earlier score to compare" in response.content.decode()

    @pytest.mark.parametrize(
        ("score", "earlier", "change"), [(62.5, 50.0, 13), (50.0, 62.5, -13), (55.0, 49.0, 6)]
    )
    def test_changes_round_halves_away_from_zero(self, score, earlier, change):
        assert selectors.Trend.of(score, earlier, TODAY).change == change

    def test_csv_scores_round_halves_away_from_zero(self):
        assert [selectors._number(v) for v in (62.5, 61.5, -0.5, 70.0, None)] == ["63", "62", "-1", "70", ""]


class TestExport:
    def test_csv_has_every_row_with_the_same_filters(self, client_of, csm, portfolio):
        snap(portfolio["red"], 31, day=TODAY - timedelta(days=30))
        response = client_of(csm).get(reverse("portfolio_export"), {"band": "red"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"].startswith('attachment; filename="health-portfolio-')
        header, *rows = csv_of(response)
        assert header[:4] == ["Account", "Segment", "Health score", "Band"]
        assert rows == [
            [
                "Rust Ltd",
                "SMB",
                "25",
                "Red",
                TODAY.isoformat(),
                "31",
                (TODAY - timedelta(days=30)).isoformat(),
                "-6",
                "20000.00",
                (TODAY + timedelta(days=20)).isoformat(),
                "Olga Owner",
            ]
        ]

    def test_csv_follows_the_sort_and_other_filters(self, client_of, csm, portfolio):
        response = client_of(csm).get(
            reverse("portfolio_export"), {"sort": "-arr", "owner": portfolio["owner"].pk}
        )
        names = [row[0] for row in csv_of(response)[1:]]
        assert names == ["Greenfield", "Rust Ltd"]

    def test_csv_is_formula_safe(self, client_of, csm, db):
        evil = AccountFactory(name='=HYPERLINK("http://evil.example","x")')
        snap(evil, 50)
        owner = UserFactory(full_name="@Owner", cs_manager=True)
        evil.cs_manager = owner
        evil.save()
        row = csv_of(client_of(csm).get(reverse("portfolio_export")))[1]
        assert row[0] == "'" + evil.name
        assert row[-1] == "'@Owner"

    def test_csv_without_snapshots_is_just_the_header(self, client_of, csm):
        assert len(csv_of(client_of(csm).get(reverse("portfolio_export")))) == 1


class TestQueries:
    def _count(self, client, **params):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("portfolio"), params)
            assert response.status_code == 200
        return len(captured)

    def test_query_count_does_not_grow_with_accounts(self, client_of, csm, db):
        owner = UserFactory(cs_manager=True)
        for i in range(2):
            account = AccountFactory(cs_manager=owner)
            snap(account, 30 + i * 30, day=TODAY - timedelta(days=30))
            snap(account, 35 + i * 30)
        client = client_of(csm)
        client.get(reverse("portfolio"))  # warm the session
        small = self._count(client)
        for i in range(10):
            account = AccountFactory(cs_manager=owner if i % 2 else None)
            snap(account, 20 + i * 7, day=TODAY - timedelta(days=30))
            snap(account, 25 + i * 7)
        large = self._count(client)
        assert small == large
        # session, user, two dates, CS managers for the filter, the band strip (which also gives
        # the paginator its count: no COUNT query), the page.
        assert large == 7

    def test_export_streams_in_a_fixed_number_of_queries(self, client_of, csm, django_assert_num_queries):
        for i in range(12):
            snap(AccountFactory(cs_manager=UserFactory(cs_manager=True)), 10 + i * 7)
        client = client_of(csm)
        client.get(reverse("portfolio"))
        # session, user, CS managers for the form, two dates, the rows.
        with django_assert_num_queries(6):
            assert len(csv_of(client.get(reverse("portfolio_export")))) == 13
