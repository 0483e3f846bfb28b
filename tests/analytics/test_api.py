"""The analytics REST API: health scores and their history, retention, engagement and training
metrics for CS managers, and a customer admin's own team training. Roles, bad input (400 with field
errors), and query counts that do not grow with the number of accounts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Segment
from apps.analytics import periods
from apps.analytics.services import health_recompute
from apps.interactions.models import Interaction
from tests.analytics.factories import snapshot_of
from tests.factories import AccountFactory, RenewalFactory, UserFactory

TODAY = timezone.localdate()
SCORES = reverse("api-health-scores")
RETENTION = reverse("api-metrics-retention")
ENGAGEMENT = reverse("api-metrics-engagement")
TRAINING = reverse("api-metrics-training")
TEAM = reverse("api-team-training")


def snapshots_url(account_id):
    return reverse("api-health-snapshots", args=[account_id])


def snap(account, score, *, day=TODAY):
    return snapshot_of(account, score, day=day)


def ids(response) -> list[int]:
    return [row["account"]["id"] for row in response.json()["results"]]


@pytest.fixture
def scored(db):
    """Three accounts scored today (and a day earlier): red, amber and green."""
    owner = UserFactory(full_name="Olga Owner", cs_manager=True)
    red = AccountFactory(name="Rust", segment=Segment.SMB, arr=Decimal("20000"), cs_manager=owner)
    amber = AccountFactory(name="Amberley", segment=Segment.MID_MARKET, arr=Decimal("90000"))
    green = AccountFactory(
        name="Greenfield", segment=Segment.ENTERPRISE, arr=Decimal("500000"), cs_manager=owner
    )
    for account, score in ((red, 25), (amber, 55), (green, 85)):
        snap(account, score + 5, day=TODAY - timedelta(days=1))
        snap(account, score)
    return {"owner": owner, "red": red, "amber": amber, "green": green}


# --- who may call what --------------------------------------------------------------------------

CSM_ONLY = [SCORES, RETENTION, ENGAGEMENT, TRAINING]


@pytest.mark.parametrize("url", CSM_ONLY)
@pytest.mark.parametrize("who", ["alice", "carol", "sam", "content"])
def test_reports_are_for_cs_managers_only(request, client_of, url, who):
    assert client_of(request.getfixturevalue(who)).get(url).status_code == 403


@pytest.mark.parametrize("url", [*CSM_ONLY, TEAM])
def test_anonymous_is_refused(client, db, url):
    # Session authentication only: an anonymous caller gets 403, never data.
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["alice", "carol", "content"])
def test_snapshots_are_for_cs_managers_only(request, client_of, account_a, who):
    snap(account_a, 50)
    assert client_of(request.getfixturevalue(who)).get(snapshots_url(account_a.pk)).status_code == 403


def test_snapshots_refuse_anonymous(client, account_a):
    assert client.get(snapshots_url(account_a.pk)).status_code == 403


@pytest.mark.parametrize("who", ["alice", "sam", "content", "csm"])
def test_team_training_is_for_customer_admins_only(request, client_of, who):
    assert client_of(request.getfixturevalue(who)).get(TEAM).status_code == 403


@pytest.mark.parametrize("url", [SCORES, TEAM])
def test_the_api_is_read_only(client_of, csm, carol, url):
    who = carol if url == TEAM else csm
    assert client_of(who).post(url, {}).status_code == 405


# --- scores -------------------------------------------------------------------------------------


class TestScoreListApi:
    def test_latest_snapshot_of_every_account_worst_first(self, client_of, csm, scored):
        data = client_of(csm).get(SCORES).json()
        assert data["count"] == 3 and data["next"] is None
        assert [row["account"]["name"] for row in data["results"]] == ["Rust", "Amberley", "Greenfield"]
        assert {row["date"] for row in data["results"]} == {TODAY.isoformat()}
        row = data["results"][0]
        assert row["account"] == {
            "id": scored["red"].pk,
            "name": "Rust",
            "external_id": scored["red"].external_id,
        }
        assert row["score"] == 25 and row["band"] == "red" and row["segment"] == "smb"
        assert row["arr"] == "20000.00"  # money is a decimal string
        assert row["config"]["version"] == 1 and row["config"]["segment"] == ""

    def test_a_recomputed_snapshot_explains_itself(self, client_of, csm, alice):
        Interaction.objects.create(
            account=alice.account, user=alice, kind="learning.content_viewed", occurred_at=timezone.now()
        )
        health_recompute(day=TODAY)
        row = client_of(csm).get(SCORES, {"account": alice.account_id}).json()["results"][0]
        assert set(row["components"]) == {"adoption", "engagement", "proficiency", "sentiment", "support"}
        assert row["components"]["support"]["score"] is None  # no ticket data: left out
        # Weights and contributions come from the configuration version the snapshot points at:
        # adoption 1 of 5 seats, engagement 1 of 3 rules, proficiency 0, each weighing 1 of 3.
        assert row["components"]["adoption"] == {
            "score": 20.0,
            "weight": 1.0,
            "contribution": pytest.approx(20 / 3),
        }
        assert row["components"]["support"] == {"score": None, "weight": 1.0, "contribution": None}
        assert [rule["key"] for rule in row["rules"]] == ["content", "updates", "ideas"]
        assert row["rules"][0]["passed"] is True and row["rules"][0]["interaction_id"] is not None
        assert row["rules"][0] | {"interaction_id": None} == {
            "key": "content",
            "label": "Viewed content in the last 30 days",
            "weight": 1.0,
            "window_days": 30,
            "passed": True,
            "interaction_id": None,
        }
        assert row["rules"][1]["passed"] is False and row["rules"][1]["interaction_id"] is None
        assert row["rules_met"] == 1 and row["engaged"] is False
        assert row["figures"]["licensed_seats"] == 5 and row["figures"]["active_users"] == 1
        assert row["figures"]["utilisation"] == pytest.approx(0.2)

    def test_a_snapshot_not_written_by_the_recompute_has_no_explanation(self, client_of, csm, account_a):
        snapshot_of(account_a, 50, day=TODAY)
        row = client_of(csm).get(SCORES, {"account": account_a.pk}).json()["results"][0]
        assert (row["components"], row["rules"], row["figures"]) == (None, [], None)

    def test_filters(self, client_of, csm, scored):
        client = client_of(csm)
        assert ids(client.get(SCORES, {"band": "amber"})) == [scored["amber"].pk]
        assert ids(client.get(SCORES, {"segment": "enterprise"})) == [scored["green"].pk]
        assert ids(client.get(SCORES, {"account": scored["red"].pk})) == [scored["red"].pk]
        owned = ids(client.get(SCORES, {"cs_manager": scored["owner"].pk}))
        assert owned == [scored["red"].pk, scored["green"].pk]

    def test_ordering_puts_accounts_without_a_score_last(self, client_of, csm, scored):
        unscored = AccountFactory(name="Nobody yet")
        snap(unscored, None)
        client = client_of(csm)
        order = [scored["red"].pk, scored["amber"].pk, scored["green"].pk, unscored.pk]
        assert ids(client.get(SCORES, {"ordering": "score"})) == order
        assert ids(client.get(SCORES, {"ordering": "-score"})) == [*order[2::-1], unscored.pk]
        by_arr = ids(client.get(SCORES, {"ordering": "-arr"}))
        assert by_arr[0] == scored["green"].pk

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"band": "purple"}, "band"),
            ({"segment": "huge"}, "segment"),
            ({"account": 999999}, "account"),
            ({"account": "x"}, "account"),
            ({"cs_manager": 999999}, "cs_manager"),
        ],
    )
    def test_bad_filters_are_field_errors(self, client_of, csm, scored, params, field):
        response = client_of(csm).get(SCORES, params)
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_a_customer_admin_never_sees_scores(self, client_of, carol, dana, scored):
        for who in (carol, dana):
            assert client_of(who).get(SCORES, {"account": who.account_id}).status_code == 403

    def test_no_snapshots_is_an_empty_page(self, client_of, csm):
        assert client_of(csm).get(SCORES).json() == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }

    def _count(self, client) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SCORES, {"ordering": "-score"})
            assert response.status_code == 200
        return len(captured)

    def test_query_count_does_not_grow_with_accounts(self, client_of, csm, db):
        for i in range(2):
            snap(AccountFactory(cs_manager=UserFactory(cs_manager=True)), 20 + i)
        client = client_of(csm)
        small = self._count(client)
        for i in range(10):
            snap(AccountFactory(cs_manager=UserFactory(cs_manager=True)), 40 + i)
        large = self._count(client)
        assert small == large == 4  # session, user, count, page (accounts and configs joined)


# --- one account's history ----------------------------------------------------------------------


class TestSnapshotListApi:
    @pytest.fixture
    def history(self, account_a, account_b):
        for days in range(5):
            snap(account_a, 50 + days, day=TODAY - timedelta(days=days))
        snap(account_b, 10)
        return account_a

    def test_newest_first_and_only_that_account(self, client_of, csm, history):
        data = client_of(csm).get(snapshots_url(history.pk)).json()
        assert data["count"] == 5
        assert [row["date"] for row in data["results"]] == [
            (TODAY - timedelta(days=d)).isoformat() for d in range(5)
        ]
        assert {row["account"]["id"] for row in data["results"]} == {history.pk}

    def test_since_and_until_are_inclusive(self, client_of, csm, history):
        params = {
            "since": (TODAY - timedelta(days=3)).isoformat(),
            "until": (TODAY - timedelta(days=1)).isoformat(),
        }
        data = client_of(csm).get(snapshots_url(history.pk), params).json()
        assert [row["score"] for row in data["results"]] == [51, 52, 53]

    @pytest.mark.parametrize("params", [{"since": "2026-13-01"}, {"until": "yesterday"}])
    def test_a_bad_date_is_a_field_error(self, client_of, csm, history, params):
        response = client_of(csm).get(snapshots_url(history.pk), params)
        assert response.status_code == 400
        assert list(response.json()) == list(params)

    def test_unknown_account(self, client_of, csm, db):
        assert client_of(csm).get(snapshots_url(999999)).status_code == 404

    def test_query_count_does_not_grow_with_history(
        self, client_of, csm, account_a, django_assert_num_queries
    ):
        client = client_of(csm)
        for days in range(12):
            snap(account_a, 50, day=TODAY - timedelta(days=days))
        # session, user, the account, count, page
        with django_assert_num_queries(5):
            assert client.get(snapshots_url(account_a.pk)).json()["count"] == 12


# --- metrics ------------------------------------------------------------------------------------


class TestRetentionApi:
    @pytest.fixture
    def quarter(self, account_a, account_b):
        """Account A renews above plan this quarter; B is lost; C (SMB) renews flat."""
        period = periods.quarter_of(TODAY)
        smb = AccountFactory(segment=Segment.SMB)
        RenewalFactory(account=account_a, close_date=period.start, renewed_value=Decimal("120000"))
        RenewalFactory(account=account_b, close_date=period.start, outcome="lost", renewed_value=0)
        RenewalFactory(account=smb, close_date=period.start)
        return period

    def test_default_period_is_the_current_quarter(self, client_of, csm, quarter):
        data = client_of(csm).get(RETENTION).json()
        assert data["period"] == quarter.label and data["segment"] == ""
        assert data["start"] == quarter.start.isoformat() and data["end"] == quarter.end.isoformat()
        assert (data["due"], data["won"], data["lost"]) == (3, 2, 1)
        assert data["churn_rate"] == 33.3 and data["retention_rate"] == 66.7
        assert data["start_revenue"] == "300000.00" and data["expansion"] == "20000.00"
        assert data["lost_revenue"] == "100000.00" and data["contraction"] == "0.00"
        assert data["nrr"] == 73.3 and data["grr"] == 66.7
        assert data["too_few"] is True

    def test_period_and_segment(self, client_of, csm, quarter):
        data = client_of(csm).get(RETENTION, {"period": quarter.label, "segment": "smb"}).json()
        assert (data["segment"], data["due"], data["won"]) == ("smb", 1, 1)
        other = client_of(csm).get(RETENTION, {"period": "2001-Q1"}).json()
        assert other["due"] == 0 and other["churn_rate"] is None  # no data, never 0

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"period": "2026-Q5"}, "period"),
            ({"period": "last year"}, "period"),
            ({"segment": "huge"}, "segment"),
        ],
    )
    def test_bad_input_is_a_field_error(self, client_of, csm, params, field):
        response = client_of(csm).get(RETENTION, params)
        assert response.status_code == 400
        assert list(response.json()) == [field]

    def test_the_period_message_says_what_is_expected(self, client_of, csm):
        response = client_of(csm).get(RETENTION, {"period": "2026-Q5"})
        assert "use a quarter like 2026-Q3" in response.json()["period"][0]


class TestEngagementApi:
    def test_months_per_segment_and_arr_band(self, client_of, csm, scored):
        data = client_of(csm).get(ENGAGEMENT, {"months": 3}).json()
        assert data["months"] == [p.label for p in periods.last_months(TODAY, 3)]
        overall = data["all"][0]
        assert overall["key"] == "all" and len(overall["points"]) == 3
        assert overall["points"][-1]["n"] == 3 and overall["points"][-1]["too_few"] is True
        assert [s["key"] for s in data["segment"]] == list(Segment.values)
        assert len(data["arr_band"]) == 4

    def test_default_is_twelve_months(self, client_of, csm, db):
        data = client_of(csm).get(ENGAGEMENT).json()
        assert len(data["months"]) == 12
        assert data["all"][0]["points"][0]["percent"] is None  # no snapshots: no data

    @pytest.mark.parametrize("months", [0, 25, "x", -1])
    def test_months_out_of_range(self, client_of, csm, db, months):
        response = client_of(csm).get(ENGAGEMENT, {"months": months})
        assert response.status_code == 400 and list(response.json()) == ["months"]


class TestTrainingApi:
    def test_overall_and_by_segment(self, client_of, csm, account_a, alice):
        period = periods.quarter_of(TODAY)
        Interaction.objects.create(
            account=account_a,
            user=alice,
            kind="learning.course_completed",
            occurred_at=timezone.make_aware(
                timezone.datetime.combine(period.start - timedelta(days=10), timezone.datetime.min.time())
            ),
        )
        RenewalFactory(account=account_a, close_date=period.start + timedelta(days=1))
        data = client_of(csm).get(TRAINING, {"period": period.label}).json()
        assert data["period"] == period.label
        overall = data["overall"]
        assert overall["retained_trained"] == {
            "k": 1,
            "n": 1,
            "percent": 100.0,
            "ci_low": overall["retained_trained"]["ci_low"],
            "ci_high": overall["retained_trained"]["ci_high"],
            "too_few": True,
        }
        assert overall["churn_untrained"]["n"] == 0 and overall["churn_untrained"]["percent"] is None
        assert set(overall["nps"]) >= {"trained", "untrained", "overall", "difference"}
        assert set(data["by_segment"]) == set(Segment.values)
        assert data["by_segment"]["mid_market"]["label"] == "Mid-market"
        assert data["by_segment"]["mid_market"]["outcomes"]["retained_trained"]["k"] == 1

    @pytest.mark.parametrize("period", ["2026-Q0", "Q3", "2026-13"])
    def test_bad_period(self, client_of, csm, db, period):
        response = client_of(csm).get(TRAINING, {"period": period})
        assert response.status_code == 400 and list(response.json()) == ["period"]


class TestTeamTrainingApi:
    def test_own_account_only(self, client_of, carol, alice, bob, dana):
        now = timezone.now()
        Interaction.objects.create(
            account=alice.account,
            user=alice,
            kind="learning.course_completed",
            occurred_at=now - timedelta(days=3),
        )
        Interaction.objects.create(
            account=bob.account, user=bob, kind="learning.path_completed", occurred_at=now - timedelta(days=3)
        )
        Interaction.objects.create(
            account=bob.account, user=bob, kind="certification.earned", occurred_at=now - timedelta(days=2)
        )
        mine = client_of(carol).get(TEAM).json()
        assert mine["people"] == 2  # alice and carol
        assert mine["trained"] == {"k": 1, "n": 2, "percent": 50.0, "too_few": True}
        assert mine["certified"]["k"] == 0
        assert len(mine["by_month"]) == 12 and mine["by_month"][-1]["month"] == f"{TODAY:%Y-%m}"
        theirs = client_of(dana).get(TEAM).json()
        assert theirs["people"] == 2 and theirs["certified"]["k"] == 1  # bob and dana, account B

    def test_the_response_never_carries_scores_or_money(self, client_of, carol):
        assert set(client_of(carol).get(TEAM).json()) == {"people", "trained", "certified", "by_month"}


# --- the schema ---------------------------------------------------------------------------------


def test_the_schema_documents_every_analytics_operation(client_of, alice):
    schema = client_of(alice).get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/analytics/scores/",
        "/api/v1/analytics/accounts/{id}/snapshots/",
        "/api/v1/analytics/metrics/retention/",
        "/api/v1/analytics/metrics/engagement/",
        "/api/v1/analytics/metrics/training/",
        "/api/v1/analytics/my-account/training/",
    ):
        assert path in paths, path
    params = {p["name"] for p in paths["/api/v1/analytics/scores/"]["get"]["parameters"]}
    assert {"band", "segment", "account", "cs_manager", "ordering", "page"} <= params
    snapshot = schema["components"]["schemas"]["Snapshot"]["properties"]
    assert snapshot["arr"]["type"] == "string" and "components" in snapshot and "figures" in snapshot
