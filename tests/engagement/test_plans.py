"""Success plans: current values computed from health snapshots (per metric) or entered by hand,
progress and realisation maths, the plan list and plan pages, their forms, CSV and API."""

import csv
import io
from datetime import date, timedelta

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountStatus
from apps.analytics import services as analytics
from apps.analytics.models import HealthSnapshot
from apps.engagement import plan_selectors, progress
from apps.engagement.models import Metric, Objective, SuccessPlan
from apps.engagement.progress import State
from apps.interactions.models import Interaction
from tests.factories import AccountFactory, UserFactory

TODAY = date(2026, 5, 15)


class SuccessPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuccessPlan

    account = factory.SubFactory(AccountFactory)
    agreed_on = TODAY - timedelta(days=100)
    summary = "Get every analyst certified before the renewal."


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    plan = factory.SubFactory(SuccessPlanFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    metric = Metric.MANUAL
    target = 10
    manual_value = None


def snap(account, *, day=TODAY, score=None, **figures):
    config = analytics.health_config_current()
    return HealthSnapshot.objects.create(
        account=account,
        date=day,
        config=config,
        score=score,
        band=config.band(score),
        segment=account.segment,
        arr=account.arr,
        figures=figures,
    )


FIGURES = {
    "licensed_seats": 10,
    "users": 8,
    "active_users": 7,
    "trained_users": 6,
    "certified_users": 4,
    "nps_responses": 5,
    "promoters": 3,
    "detractors": 1,
}


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- the maths ----------------------------------------------------------------------------------


class TestMaths:
    @pytest.mark.parametrize(
        ("metric", "target", "current", "expected"),
        [
            (Metric.SEATS_CERTIFIED, 80, 40, 50.0),
            (Metric.SEATS_CERTIFIED, 80, 80, 100.0),
            (Metric.UTILISATION, 70, 105, 100.0),  # over the licence: capped
            (Metric.HEALTH, 70, 0, 0.0),
            (Metric.MANUAL, 10, 2.5, 25.0),
            (Metric.MANUAL, 10, -3, 0.0),  # never below 0
            (Metric.SEATS_CERTIFIED, 0, 0, 100.0),  # a target of 0 is reached by any value
            (Metric.SEATS_CERTIFIED, 80, None, None),
            # NPS from its floor of -100: -20 of a target 0 is 80 of the 100 points to go.
            (Metric.NPS, 0, -20, 80.0),
            (Metric.NPS, -20, -60, 50.0),
            (Metric.NPS, 60, 20, 75.0),
            (Metric.NPS, -100, -100, 100.0),
            (Metric.NPS, 30, -100, 0.0),
        ],
    )
    def test_progress_from_the_floor_to_the_target(self, metric, target, current, expected):
        assert progress.progress_percent(metric=metric, target=target, current=current) == expected

    def test_achieved_is_at_or_above_the_target_whatever_float_noise(self):
        assert progress.is_achieved(target=70, current=70) is True
        assert progress.is_achieved(target=70, current=69.99999999999999) is True
        assert progress.is_achieved(target=70, current=69.9) is False
        assert progress.is_achieved(target=-10, current=-10) is True
        assert progress.is_achieved(target=70, current=None) is None

    @pytest.mark.parametrize(
        ("achieved", "percent", "due_on", "expected"),
        [
            (True, 100.0, TODAY - timedelta(days=5), State.ACHIEVED),  # achieved late is achieved
            (False, 90.0, TODAY - timedelta(days=1), State.OVERDUE),
            (None, None, TODAY - timedelta(days=1), State.OVERDUE),
            (None, None, TODAY + timedelta(days=10), State.NO_DATA),
            (None, None, None, State.NO_DATA),
            (False, 10.0, None, State.ON_TRACK),  # no due day: never behind pace
            # Agreed 100 days ago, due in 100: half the time gone.
            (False, 49.0, TODAY + timedelta(days=100), State.AT_RISK),
            (False, 50.0, TODAY + timedelta(days=100), State.ON_TRACK),
            (False, 99.0, TODAY, State.AT_RISK),  # due today: all the time gone
        ],
    )
    def test_objective_state(self, achieved, percent, due_on, expected):
        state = progress.objective_state(
            achieved=achieved,
            progress=percent,
            agreed_on=TODAY - timedelta(days=100),
            due_on=due_on,
            today=TODAY,
        )
        assert state == expected

    def test_realisation_is_the_share_of_objectives_achieved(self, db):
        plan = SuccessPlanFactory()
        ObjectiveFactory(plan=plan, target=10, manual_value=10)
        ObjectiveFactory(plan=plan, target=10, manual_value=5)
        ObjectiveFactory(plan=plan, target=10, manual_value=None)
        row = plan_selectors.success_plan_progress(account=plan.account, today=TODAY)
        assert (row.achieved, row.total) == (1, 3)
        assert row.realisation_whole == 33
        # The objective without a value is left out of the average, not counted as 0.
        assert row.average_progress == 75.0

    def test_a_plan_without_objectives_has_no_realisation(self, db):
        plan = SuccessPlanFactory()
        row = plan_selectors.success_plan_progress(account=plan.account, today=TODAY)
        assert row.total == 0
        assert row.realisation is None
        assert row.average_progress is None

    def test_portfolio_counts_objectives_across_the_plans_of_active_accounts(self, db):
        first, second = SuccessPlanFactory(), SuccessPlanFactory()
        ObjectiveFactory(plan=first, target=10, manual_value=20)
        ObjectiveFactory(plan=first, target=10, manual_value=0, due_on=TODAY - timedelta(days=1))
        ObjectiveFactory(plan=second, target=10, manual_value=10)
        churned = SuccessPlanFactory(account=AccountFactory(status=AccountStatus.CHURNED))
        ObjectiveFactory(plan=churned, target=10, manual_value=0)
        AccountFactory()  # active, without a plan
        rows = plan_selectors.success_plan_rows(today=TODAY)
        assert [row.plan for row in rows] == [first, second]  # lowest realisation first
        portfolio = plan_selectors.success_plan_portfolio(rows=rows)
        assert (portfolio.achieved, portfolio.objectives, portfolio.overdue) == (2, 3, 1)
        assert (portfolio.plans, portfolio.active_accounts) == (2, 3)
        assert portfolio.realisation_whole == 67
        assert portfolio.coverage_whole == 67

    def test_plans_without_objectives_sort_after_every_plan_with_some(self, db):
        empty = SuccessPlanFactory(account=AccountFactory(name="Aardvark"))
        done = SuccessPlanFactory(account=AccountFactory(name="Zebra"))
        ObjectiveFactory(plan=done, target=1, manual_value=1)
        none_yet = SuccessPlanFactory(account=AccountFactory(name="Mole"))
        ObjectiveFactory(plan=none_yet, target=1, manual_value=0)
        rows = plan_selectors.success_plan_rows(today=TODAY)
        assert [row.plan for row in rows] == [none_yet, done, empty]


# --- current values from the snapshots ------------------------------------------------------------


class TestComputedValues:
    @pytest.mark.parametrize(
        ("metric", "expected"),
        [
            (Metric.SEATS_CERTIFIED, 40.0),  # 4 certified of 10 seats
            (Metric.PEOPLE_TRAINED, 75.0),  # 6 trained of 8 people
            (Metric.UTILISATION, 70.0),  # 7 active of 10 seats, exactly
            (Metric.NPS, 40.0),  # (3 promoters - 1 detractor) / 5 answers
            (Metric.HEALTH, 64),
        ],
    )
    def test_each_metric_reads_the_latest_snapshot_in_one_query(
        self, db, metric, expected, django_assert_num_queries
    ):
        account, other = AccountFactory(), AccountFactory()
        snap(account, day=TODAY - timedelta(days=1), score=10, **{**FIGURES, "certified_users": 0})
        snap(account, score=64, **FIGURES)
        with django_assert_num_queries(1):
            values = progress.current_values(metric, [account.pk, other.pk])
        assert values == {account.pk: progress.Reading(expected, TODAY)}

    @pytest.mark.parametrize(
        ("metric", "figures"),
        [
            (Metric.SEATS_CERTIFIED, {"licensed_seats": 0, "certified_users": 0}),
            (Metric.PEOPLE_TRAINED, {"users": 0, "trained_users": 0}),
            (Metric.UTILISATION, {"licensed_seats": 0, "active_users": 3}),
            (Metric.NPS, {"nps_responses": 0, "promoters": 0, "detractors": 0}),
            (Metric.HEALTH, {}),
        ],
    )
    def test_no_denominator_is_no_value(self, db, metric, figures):
        account = AccountFactory()
        snap(account, score=None, **figures)
        assert progress.current_values(metric, [account.pk]) == {account.pk: progress.Reading(None, TODAY)}

    def test_one_nps_answer_is_enough(self, db):
        account = AccountFactory()
        snap(account, nps_responses=1, promoters=0, detractors=1)
        assert progress.current_values(Metric.NPS, [account.pk])[account.pk].value == -100.0

    def test_an_account_without_a_snapshot_has_no_data(self, db):
        account = AccountFactory()
        objective = ObjectiveFactory(plan__account=account, metric=Metric.UTILISATION, target=70)
        row = plan_selectors.success_plan_progress(account=account, today=TODAY)
        item = row.objectives[0]
        assert item.objective == objective
        assert (item.current, item.progress, item.achieved, item.state) == (None, None, None, State.NO_DATA)

    def test_no_accounts_no_query(self, db, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert progress.current_values(Metric.HEALTH, []) == {}
            assert progress.current_values("unknown", [1]) == {}

    def test_values_from_a_real_recompute(self, db, account_a, alice, carol):
        """The figures the recompute stores are the ones the providers read."""
        now = timezone.now()
        for person in (alice, carol):
            Interaction.objects.create(
                account=account_a, user=person, kind="learning.course_completed", occurred_at=now
            )
        Interaction.objects.create(
            account=account_a, user=alice, kind="certification.earned", occurred_at=now
        )
        analytics.health_recompute()
        today = timezone.localdate()
        computed = [metric for metric in Metric if metric != Metric.MANUAL]
        read = {metric: progress.current_values(metric, [account_a.pk])[account_a.pk] for metric in computed}
        assert read[Metric.UTILISATION] == progress.Reading(40.0, today)  # 2 active of 5 seats
        assert read[Metric.SEATS_CERTIFIED] == progress.Reading(20.0, today)  # 1 of 5 seats
        assert read[Metric.PEOPLE_TRAINED] == progress.Reading(100.0, today)  # 2 of 2 people
        assert read[Metric.NPS].value is None
        assert read[Metric.HEALTH].value == HealthSnapshot.objects.get(account=account_a).score

    def test_objectives_mix_computed_and_manual_values(self, db):
        account = AccountFactory()
        snap(account, score=72, **FIGURES)
        plan = SuccessPlanFactory(account=account)
        certified = ObjectiveFactory(plan=plan, metric=Metric.SEATS_CERTIFIED, target=80)
        health = ObjectiveFactory(plan=plan, metric=Metric.HEALTH, target=70)
        stamped = timezone.make_aware(timezone.datetime(2026, 5, 1, 12))
        manual = ObjectiveFactory(plan=plan, target=4, manual_value=3, manual_updated_at=stamped)
        items = {
            item.objective: item for item in plan_selectors.success_plan_progress(account=account).objectives
        }
        assert (items[certified].current, items[certified].progress, items[certified].achieved) == (
            40,
            50,
            False,
        )
        assert items[certified].computed and items[certified].as_of == TODAY
        assert (items[health].current, items[health].achieved) == (72, True)
        assert (items[manual].current, items[manual].progress, items[manual].computed) == (3, 75, False)
        assert items[manual].as_of == date(2026, 5, 1)


# --- permissions ----------------------------------------------------------------------------------


@pytest.fixture
def plan(account_a):
    return SuccessPlanFactory(account=account_a)


@pytest.fixture
def objective(plan):
    return ObjectiveFactory(
        plan=plan, title="Licence utilisation above 70%", metric=Metric.UTILISATION, target=70
    )


def pages(plan, objective):
    return [
        ("get", reverse("plan_list")),
        ("get", reverse("plan_list") + "?export=csv"),
        ("get", reverse("plan_detail", args=[plan.account_id])),
        ("post", reverse("plan_detail", args=[plan.account_id])),
        ("get", reverse("objective_new", args=[plan.account_id])),
        ("post", reverse("objective_new", args=[plan.account_id])),
        ("get", reverse("objective_edit", args=[objective.pk])),
        ("post", reverse("objective_edit", args=[objective.pk])),
        ("post", reverse("objective_delete", args=[objective.pk])),
    ]


class TestPermissions:
    def test_anonymous_is_sent_to_sign_in(self, client, plan, objective):
        for method, url in pages(plan, objective):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url
        assert client.get(reverse("api-success-plan", args=[plan.account_id])).status_code in (401, 403)

    @pytest.mark.parametrize("who", ["alice", "carol", "sam", "content"])
    def test_only_cs_managers(self, request, client_of, who, plan, objective):
        client = client_of(request.getfixturevalue(who))
        for method, url in pages(plan, objective):
            assert getattr(client, method)(url).status_code == 403, url
            assert getattr(client, method)(url, headers={"HX-Request": "true"}).status_code == 403, url
        assert client.get(reverse("api-success-plan", args=[plan.account_id])).status_code == 403
        objective.refresh_from_db()
        assert objective.title == "Licence utilisation above 70%"
        assert Objective.objects.filter(pk=objective.pk).exists()

    def test_cs_manager_sees_every_page(self, client_of, csm, plan, objective):
        client = client_of(csm)
        assert client.get(reverse("plan_list")).status_code == 200
        assert client.get(reverse("plan_detail", args=[plan.account_id])).status_code == 200
        assert client.get(reverse("objective_new", args=[plan.account_id])).status_code == 200
        assert client.get(reverse("objective_edit", args=[objective.pk])).status_code == 200
        assert client.get(reverse("api-success-plan", args=[plan.account_id])).status_code == 200

    def test_unknown_ids_are_404(self, client_of, csm):
        client = client_of(csm)
        assert client.get(reverse("plan_detail", args=[999999])).status_code == 404
        assert client.get(reverse("objective_new", args=[999999])).status_code == 404
        assert client.get(reverse("objective_edit", args=[999999])).status_code == 404
        assert client.post(reverse("objective_delete", args=[999999])).status_code == 404
        assert client.get(reverse("api-success-plan", args=[999999])).status_code == 404

    def test_delete_only_by_post(self, client_of, csm, objective):
        assert client_of(csm).get(reverse("objective_delete", args=[objective.pk])).status_code == 405
        assert Objective.objects.filter(pk=objective.pk).exists()


# --- the plan list --------------------------------------------------------------------------------


def make_plans(n, *, metrics=(Metric.SEATS_CERTIFIED, Metric.NPS, Metric.MANUAL)):
    for i in range(n):
        account = AccountFactory(cs_manager=UserFactory(cs_manager=True))
        snap(account, score=50 + i, **FIGURES)
        plan = SuccessPlanFactory(account=account)
        for metric in metrics:
            ObjectiveFactory(plan=plan, metric=metric, target=30, manual_value=i)
        AccountFactory()  # and one without a plan


class TestPlanList:
    def test_lists_plans_portfolio_and_accounts_without_a_plan(self, client_of, csm, account_a, account_b):
        plan = SuccessPlanFactory(account=account_a)
        ObjectiveFactory(plan=plan, target=10, manual_value=10)
        ObjectiveFactory(
            plan=plan, target=10, manual_value=1, due_on=timezone.localdate() - timedelta(days=1)
        )
        response = client_of(csm).get(reverse("plan_list"))
        assert response.status_code == 200
        assert response.context["portfolio"].achieved == 1
        assert response.context["portfolio"].objectives == 2
        assert [row.plan for row in response.context["plans"]] == [plan]
        assert list(response.context["without"]) == [account_b]
        body = response.content.decode()
        assert "1 of 2" in body and "50%" in body
        assert reverse("plan_detail", args=[account_b.pk]) in body and "Create plan" in body
        assert '<span class="badge badge--red">1</span>' in body  # the overdue objective
        assert "<progress" in body and 'style="' not in body

    def test_empty(self, client_of, csm):
        body = client_of(csm).get(reverse("plan_list")).content.decode()
        assert "No success plans yet" in body

    @pytest.mark.parametrize("n", [2, 10])
    def test_query_count_does_not_grow_with_plans(self, client_of, csm, n, django_assert_num_queries):
        make_plans(n)
        client = client_of(csm)
        client.get(reverse("plan_list"))  # warm the session
        # session, user, plans with their accounts, objectives, one per computed metric in use (2),
        # active accounts, accounts without a plan (count and page).
        with django_assert_num_queries(9):
            response = client.get(reverse("plan_list"))
        assert len(response.context["plans"]) == n
        assert response.context["without"].paginator.count == n

    def test_htmx_pagination_returns_only_its_list(self, client_of, csm):
        for _ in range(plan_selectors.ACCOUNTS_WITHOUT_PLAN_PER_PAGE + 1):
            AccountFactory()
        SuccessPlanFactory()
        client = client_of(csm)
        full = client.get(reverse("plan_list"), {"without": 2})
        assert "<html" in full.content.decode()
        partial = client.get(
            reverse("plan_list"),
            {"without": 2},
            headers={"HX-Request": "true", "HX-Target": "accounts-without-plan"},
        )
        body = partial.content.decode()
        assert partial.status_code == 200 and "<html" not in body
        assert 'id="accounts-without-plan"' in body and 'id="plan-rows"' not in body
        assert "Page 2 of 2" in body
        assert "HX-Request" in partial["Vary"]
        plans = client.get(reverse("plan_list"), headers={"HX-Request": "true", "HX-Target": "plan-rows"})
        body = plans.content.decode()
        assert 'id="plan-rows"' in body and 'id="accounts-without-plan"' not in body and "<html" not in body

    def test_csv(self, client_of, csm, django_assert_num_queries):
        account = AccountFactory(name="=cmd|' /C calc'!A0", cs_manager=csm)
        snap(account, score=80, **FIGURES)
        plan = SuccessPlanFactory(account=account, agreed_on=date(2026, 1, 2))
        ObjectiveFactory(plan=plan, metric=Metric.HEALTH, target=70)
        ObjectiveFactory(plan=plan, metric=Metric.SEATS_CERTIFIED, target=80)
        ObjectiveFactory(
            plan=plan, target=5, manual_value=None, due_on=timezone.localdate() - timedelta(days=3)
        )
        SuccessPlanFactory(account=AccountFactory(name="Empty plan"))
        client = client_of(csm)
        client.get(reverse("plan_list"))
        # session, user, plans, objectives, the two computed metrics.
        with django_assert_num_queries(6):
            response = client.get(reverse("plan_list"), {"export": "csv"})
            rows = csv_of(response)
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        assert rows[0] == plan_selectors.CSV_HEADER
        assert rows[1] == [
            "'=cmd|' /C calc'!A0",
            "Mid-market",
            "Cas Manager",
            "2026-01-02",
            "3",
            "1",
            "33.3",
            "75.0",  # (100 + 50) / 2: the objective without a value is left out
            "0",
            "1",
        ]
        assert rows[2][0] == "Empty plan" and rows[2][4:8] == ["0", "0", "", ""]


# --- the plan page --------------------------------------------------------------------------------


class TestPlanDetail:
    def test_without_a_plan_offers_to_create_one(self, client_of, csm, account_a):
        response = client_of(csm).get(reverse("plan_detail", args=[account_a.pk]))
        body = response.content.decode()
        assert response.context["plan"] is None
        assert "Create the plan" in body and 'name="agreed_on"' in body

    def test_create_the_plan(self, client_of, csm, account_a):
        response = client_of(csm).post(
            reverse("plan_detail", args=[account_a.pk]), {"agreed_on": "2026-03-01", "summary": "Certify."}
        )
        assert response.status_code == 302
        plan = SuccessPlan.objects.get(account=account_a)
        assert (plan.agreed_on, plan.summary, plan.created_by) == (date(2026, 3, 1), "Certify.", csm)

    def test_edit_the_plan(self, client_of, csm, plan):
        client_of(csm).post(
            reverse("plan_detail", args=[plan.account_id]), {"agreed_on": "2026-02-01", "summary": ""}
        )
        plan.refresh_from_db()
        assert (plan.agreed_on, plan.summary) == (date(2026, 2, 1), "")

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"agreed_on": "", "summary": "x"}, "Enter the day the plan was agreed."),
            ({"agreed_on": "31/02/2026", "summary": "x"}, "Enter a valid date."),
            ({"agreed_on": "2026-01-01", "summary": "x" * 2001}, "at most 2000 characters"),
        ],
    )
    def test_bad_plan_input(self, client_of, csm, account_a, data, error):
        response = client_of(csm).post(reverse("plan_detail", args=[account_a.pk]), data)
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not SuccessPlan.objects.exists()

    def test_shows_each_objective_with_value_progress_and_state(self, client_of, csm, plan):
        snap(plan.account, score=40, **FIGURES)
        ObjectiveFactory(
            plan=plan,
            title="80% of seats certified by Q3",
            metric=Metric.SEATS_CERTIFIED,
            target=80,
            due_on=timezone.localdate() - timedelta(days=1),
        )
        ObjectiveFactory(plan=plan, title="NPS above -10", metric=Metric.NPS, target=-10)
        ObjectiveFactory(plan=plan, title="Admins trained", target=4, manual_value=None)
        response = client_of(csm).get(reverse("plan_detail", args=[plan.account_id]))
        body = response.content.decode()
        assert "80% of seats certified by Q3" in body
        assert "at least 80%" in body and "<strong>40%</strong>" in body
        assert '<progress id="progress-' in body and 'value="50"' in body
        assert '<span class="badge badge--red">Overdue</span>' in body
        assert '<span class="badge badge--green">Achieved</span>' in body  # NPS 40 >= -10
        assert '<span class="badge badge--grey">No data</span>' in body
        assert "1 of 3 objectives achieved" in body
        assert 'data-confirm="Delete the objective' in body
        assert body.count('name="action" value="value"') == 1  # only the hand-entered objective
        assert 'style="' not in body

    def test_empty_plan_says_no_data(self, client_of, csm, plan):
        body = client_of(csm).get(reverse("plan_detail", args=[plan.account_id])).content.decode()
        assert "No objectives yet" in body and "0 of 0 objectives achieved" in body
        assert "No data" in body

    @pytest.mark.parametrize("n", [2, 10])
    def test_query_count_does_not_grow_with_objectives(self, client_of, csm, n, django_assert_num_queries):
        account = AccountFactory()
        snap(account, score=50, **FIGURES)
        plan = SuccessPlanFactory(account=account)
        for i in range(n):
            metric = (Metric.UTILISATION, Metric.MANUAL)[i % 2]
            ObjectiveFactory(plan=plan, metric=metric, target=50, manual_value=i)
        client = client_of(csm)
        client.get(reverse("plan_detail", args=[account.pk]))
        # session, user, account, plan, objectives, utilisation.
        with django_assert_num_queries(6):
            response = client.get(reverse("plan_detail", args=[account.pk]))
        assert len(response.context["plan"].objectives) == n


# --- objectives -------------------------------------------------------------------------------------


class TestObjectives:
    def test_add(self, client_of, csm, plan):
        response = client_of(csm).post(
            reverse("objective_new", args=[plan.account_id]),
            {
                "title": "  80% of seats certified ",
                "metric": "seats_certified",
                "target": "80",
                "due_on": "2026-09-30",
            },
        )
        objective = plan.objectives.get()
        assert response.status_code == 302
        assert response["Location"].endswith(f"#objective-{objective.pk}")
        assert (objective.title, objective.metric, objective.target) == (
            "80% of seats certified",
            "seats_certified",
            80,
        )
        assert objective.due_on == date(2026, 9, 30)
        assert objective.manual_value is None and objective.manual_updated_at is None

    def test_add_by_hand_with_a_value(self, client_of, csm, plan):
        client_of(csm).post(
            reverse("objective_new", args=[plan.account_id]),
            {"title": "Admins trained", "metric": "manual", "target": "5", "manual_value": "2"},
        )
        objective = plan.objectives.get()
        assert objective.manual_value == 2 and objective.manual_updated_at is not None

    def test_a_computed_objective_ignores_a_value(self, client_of, csm, plan):
        client_of(csm).post(
            reverse("objective_new", args=[plan.account_id]),
            {"title": "Healthy", "metric": "health", "target": "70", "manual_value": "99"},
        )
        assert plan.objectives.get().manual_value is None

    def test_add_needs_a_plan(self, client_of, csm, account_a):
        url = reverse("objective_new", args=[account_a.pk])
        response = client_of(csm).post(url, {"title": "x", "metric": "health", "target": "70"})
        assert response.status_code == 302
        assert response["Location"] == reverse("plan_detail", args=[account_a.pk])
        assert not Objective.objects.exists()

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"title": "", "metric": "health", "target": "70"}, "Give the objective a title."),
            ({"title": "   ", "metric": "health", "target": "70"}, "Give the objective a title."),
            ({"title": "x", "metric": "health", "target": ""}, "Enter a target."),
            ({"title": "x", "metric": "health", "target": "lots"}, "Enter the target as a number."),
            ({"title": "x", "metric": "health", "target": "nan"}, "Enter the target as a number."),
            ({"title": "x", "metric": "health", "target": "101"}, "A health score target is 0 to 100."),
            (
                {"title": "x", "metric": "seats_certified", "target": "150"},
                "A percentage target is 0 to 100.",
            ),
            ({"title": "x", "metric": "utilisation", "target": "-1"}, "A percentage target is 0 to 100."),
            ({"title": "x", "metric": "nps", "target": "-101"}, "An NPS target is -100 to 100."),
            ({"title": "x", "metric": "manual", "target": "-1"}, "A target entered by hand is 0 to"),
            ({"title": "x", "metric": "unknown", "target": "1"}, "Select a valid choice."),
            ({"title": "x", "metric": "health", "target": "70", "due_on": "soon"}, "Enter a valid date."),
            ({"title": "x" * 201, "metric": "health", "target": "70"}, "at most 200 characters"),
            ({"title": "x", "metric": "manual", "target": "1", "manual_value": "1e12"}, "less than or equal"),
        ],
    )
    def test_bad_input(self, client_of, csm, plan, data, error):
        response = client_of(csm).post(reverse("objective_new", args=[plan.account_id]), data)
        assert response.status_code == 400
        assert error in response.content.decode()
        assert not Objective.objects.exists()

    @pytest.mark.parametrize("target", ["-100", "0", "-35.5", "100"])
    def test_nps_targets_may_be_negative(self, client_of, csm, plan, target):
        response = client_of(csm).post(
            reverse("objective_new", args=[plan.account_id]),
            {"title": "NPS", "metric": "nps", "target": target},
        )
        assert response.status_code == 302
        assert plan.objectives.get().target == float(target)

    def test_edit(self, client_of, csm, objective):
        response = client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]),
            {"title": "Utilisation above 75%", "metric": "utilisation", "target": "75", "due_on": ""},
        )
        assert response.status_code == 302
        objective.refresh_from_db()
        assert (objective.title, objective.target, objective.due_on) == ("Utilisation above 75%", 75, None)

    def test_edit_form_is_prefilled(self, client_of, csm, objective):
        response = client_of(csm).get(reverse("objective_edit", args=[objective.pk]))
        assert response.context["form"].initial["title"] == "Licence utilisation above 70%"
        assert 'value="Licence utilisation above 70%"' in response.content.decode()

    def test_bad_edit_changes_nothing(self, client_of, csm, objective):
        response = client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]),
            {"title": "Changed", "metric": "utilisation", "target": "700"},
        )
        assert response.status_code == 400
        objective.refresh_from_db()
        assert (objective.title, objective.target) == ("Licence utilisation above 70%", 70)

    def test_editing_without_changing_the_value_keeps_its_day(self, client_of, csm, plan):
        stamped = timezone.now() - timedelta(days=30)
        objective = ObjectiveFactory(plan=plan, target=5, manual_value=2, manual_updated_at=stamped)
        client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]),
            {"title": "Renamed", "metric": "manual", "target": "6", "manual_value": "2"},
        )
        objective.refresh_from_db()
        assert (objective.title, objective.target, objective.manual_updated_at) == ("Renamed", 6, stamped)

    def test_record_a_value_by_hand(self, client_of, csm, plan):
        objective = ObjectiveFactory(plan=plan, target=5, manual_value=None)
        response = client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]), {"action": "value", "value": "4.5"}
        )
        assert response.status_code == 302
        objective.refresh_from_db()
        assert objective.manual_value == 4.5
        assert timezone.localdate(objective.manual_updated_at) == timezone.localdate()

    @pytest.mark.parametrize(("value", "error"), [("", "Enter the current value."), ("many", "as a number")])
    def test_bad_value_shows_on_the_plan_page(self, client_of, csm, plan, value, error):
        objective = ObjectiveFactory(plan=plan, target=5, manual_value=1)
        response = client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]), {"action": "value", "value": value}
        )
        assert response.status_code == 400
        assert response.templates[0].name == "engagement/plan_detail.html"
        assert error in response.content.decode()
        objective.refresh_from_db()
        assert objective.manual_value == 1

    def test_a_computed_objective_takes_no_value(self, client_of, csm, objective):
        response = client_of(csm).post(
            reverse("objective_edit", args=[objective.pk]), {"action": "value", "value": "90"}
        )
        assert response.status_code == 400
        assert "takes no value by hand" in response.content.decode()
        objective.refresh_from_db()
        assert objective.manual_value is None

    def test_delete(self, client_of, csm, objective):
        response = client_of(csm).post(reverse("objective_delete", args=[objective.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("plan_detail", args=[objective.plan.account_id])
        assert not Objective.objects.exists()


# --- API ------------------------------------------------------------------------------------------


class TestApi:
    def test_plan_with_progress(self, client_of, csm, plan):
        snap(plan.account, score=64, **FIGURES)
        certified = ObjectiveFactory(
            plan=plan, metric=Metric.SEATS_CERTIFIED, target=80, due_on=date(2026, 9, 30)
        )
        ObjectiveFactory(plan=plan, metric=Metric.NPS, target=-10)
        ObjectiveFactory(plan=plan, target=3, manual_value=None)
        data = client_of(csm).get(reverse("api-success-plan", args=[plan.account_id])).json()
        assert data["account"] == {"id": plan.account_id, "name": "Account A"}
        assert data["agreed_on"] == plan.agreed_on.isoformat()
        assert (data["objectives_total"], data["objectives_achieved"]) == (3, 1)
        assert data["realisation"] == 33.3
        assert data["average_progress"] == 75.0
        first = data["objectives"][0]
        assert first == {
            "id": certified.pk,
            "title": certified.title,
            "metric": "seats_certified",
            "metric_label": "% of seats certified",
            "target": 80.0,
            "due_on": "2026-09-30",
            "current": 40.0,
            "as_of": TODAY.isoformat(),
            "computed": True,
            "progress": 50.0,
            "achieved": False,
            "state": first["state"],
        }
        assert data["objectives"][2]["current"] is None and data["objectives"][2]["achieved"] is None

    def test_empty_plan(self, client_of, csm, plan):
        data = client_of(csm).get(reverse("api-success-plan", args=[plan.account_id])).json()
        assert data["objectives"] == [] and data["realisation"] is None

    def test_404_without_a_plan(self, client_of, csm, account_a):
        assert client_of(csm).get(reverse("api-success-plan", args=[account_a.pk])).status_code == 404

    @pytest.mark.parametrize("n", [2, 10])
    def test_query_count_does_not_grow(self, client_of, csm, n, django_assert_num_queries):
        plan = SuccessPlanFactory()
        for i in range(n):
            ObjectiveFactory(plan=plan, metric=(Metric.HEALTH, Metric.MANUAL)[i % 2], manual_value=i)
        client = client_of(csm)
        # session, user, account, plan, objectives, health.
        with django_assert_num_queries(6):
            response = client.get(reverse("api-success-plan", args=[plan.account_id]))
        assert len(response.json()["objectives"]) == n
