"""Onboarding momentum: the median and the days between consecutive milestones (pure), the
per-segment medians and per-account rows built set-wise, the report page (filters, pagination,
htmx twin, CSV export of both tables) and the onboarding API."""

import csv
import io
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountStatus, Segment
from apps.engagement import onboarding
from apps.engagement.models import (
    Milestone,
    MilestoneReached,
    MomentOccurrence,
    OccurrenceStatus,
    Phase,
    TriggerType,
)
from apps.engagement.onboarding import median_days, milestone_rows, step_days
from apps.engagement.services import model_assign
from tests.engagement.factories import EngagementModelFactory, MomentFactory
from tests.factories import AccountFactory

TODAY = timezone.localdate()
START = date(2026, 1, 1)
KICKOFF, ACTIVATED, TRAINED, REVIEWED, SELF = (
    Milestone.KICKOFF,
    Milestone.ACTIVATED,
    Milestone.INITIAL_TRAINING,
    Milestone.FIRST_METRICS_REVIEW,
    Milestone.SELF_SUFFICIENCY,
)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def reach(account, milestone, day: date):
    return MilestoneReached.objects.create(
        account=account, milestone=milestone, reached_at=at(day), source="test"
    )


def onboarded(account, *days: int):
    """Reach the milestones in order, `days` after the contract start each (None skips one)."""
    for milestone, offset in zip(onboarding.ONBOARDING_ORDER, days, strict=False):
        if offset is not None:
            reach(account, milestone, account.contract_start + timedelta(days=offset))


def escalate(account, milestone, *, status=OccurrenceStatus.OPEN, model=None):
    moment = MomentFactory(
        model=model or EngagementModelFactory(),
        trigger=TriggerType.MILESTONE,
        milestone=milestone,
        offset_days=30,
        phase=Phase.ONBOARDING,
    )
    return MomentOccurrence.objects.create(
        moment=moment, account=account, key="missed", status=status, happened_at=at(TODAY - timedelta(days=3))
    )


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# --- pure arithmetic ------------------------------------------------------------------------------


class TestMedianDays:
    def test_odd_count_is_the_middle_value(self):
        assert median_days([5, 1, 3]) == 3

    def test_even_count_is_the_mean_of_the_two_middle_values(self):
        assert median_days([4, 1, 3, 2]) == 2.5
        assert median_days([10, 20]) == 15

    def test_no_values_is_none(self):
        assert median_days([]) is None
        assert median_days(iter([])) is None

    def test_unsorted_input_and_one_value(self):
        assert median_days([30, 2, 7, 1, 10]) == 7
        assert median_days([9]) == 9
        assert median_days(v for v in [3, 3, 100]) == 3


class TestStepDays:
    def test_days_between_consecutive_moments_the_first_from_the_contract_start(self):
        reached = {
            KICKOFF: at(date(2026, 1, 8)),
            ACTIVATED: at(date(2026, 1, 20)),
            TRAINED: at(date(2026, 2, 3)),
            REVIEWED: at(date(2026, 2, 15)),
            SELF: at(date(2026, 4, 1)),
        }
        assert list(step_days(contract_start=START, reached=reached).values()) == [7, 12, 14, 12, 45]

    def test_a_skipped_milestone_leaves_out_both_steps_around_it(self):
        reached = {
            KICKOFF: at(date(2026, 1, 8)),
            TRAINED: at(date(2026, 2, 3)),
            REVIEWED: at(date(2026, 2, 15)),
        }
        assert step_days(contract_start=START, reached=reached) == {
            ("contract_start", KICKOFF): 7,
            (TRAINED, REVIEWED): 12,
        }

    def test_without_a_contract_start_the_first_step_is_unknown(self):
        reached = {KICKOFF: at(date(2026, 1, 8)), ACTIVATED: at(date(2026, 1, 9))}
        assert step_days(contract_start=None, reached=reached) == {(KICKOFF, ACTIVATED): 1}

    def test_a_milestone_reached_before_the_previous_counts_zero_days(self):
        reached = {KICKOFF: at(date(2026, 1, 8)), ACTIVATED: at(date(2026, 1, 3))}
        assert step_days(contract_start=START, reached=reached)[(KICKOFF, ACTIVATED)] == 0
        rows = milestone_rows(contract_start=START, reached=reached)
        assert rows[1].days_since_previous == 0 and rows[1].before_previous

    def test_days_are_counted_in_the_portals_time_zone_across_a_month_end(self):
        # 23:30 UTC on 31 January is already 1 February in Auckland.
        reached = {
            KICKOFF: timezone.make_aware(datetime(2026, 1, 31, 23, 30), timezone=zoneinfo.ZoneInfo("UTC"))
        }
        with timezone.override("UTC"):
            assert step_days(contract_start=START, reached=reached)[("contract_start", KICKOFF)] == 30
        with timezone.override("Pacific/Auckland"):
            assert step_days(contract_start=START, reached=reached)[("contract_start", KICKOFF)] == 31

    def test_milestone_rows_in_order_with_overdue_and_late(self):
        reached = {KICKOFF: at(date(2026, 1, 8)), ACTIVATED: at(date(2026, 2, 20))}
        rows = milestone_rows(
            contract_start=START,
            reached=reached,
            escalated={ACTIVATED: date(2026, 2, 1), TRAINED: date(2026, 3, 3)},
            expected_by={TRAINED: date(2026, 3, 2)},
        )
        assert [r.milestone for r in rows] == onboarding.ONBOARDING_ORDER
        assert [r.days_since_previous for r in rows] == [7, 43, None, None, None]
        assert (rows[1].late, rows[1].overdue, rows[1].escalated_on) == (True, False, date(2026, 2, 1))
        assert (rows[2].late, rows[2].overdue, rows[2].expected_by) == (False, True, date(2026, 3, 2))
        assert not any(r.overdue or r.late for r in rows[3:])


class TestMediansBySegment:
    def rows(self, segment, *kickoff_days):
        return [(segment, START, {KICKOFF: at(START + timedelta(days=d))}) for d in kickoff_days]

    def test_grouped_per_segment_in_order_then_all_segments(self):
        rows = self.rows(Segment.SMB, 1, 2, 3, 4, 5) + self.rows(Segment.ENTERPRISE, 10, 20, 30, 40, 50, 60)
        medians = onboarding.medians_by_segment(rows)
        assert [(m.segment, m.accounts) for m in medians] == [("enterprise", 6), ("smb", 5), ("", 11)]
        first = [m.steps[0] for m in medians]
        assert [(s.median, s.n) for s in first] == [(35, 6), (3, 5), (10, 11)]
        assert medians[0].steps[0].label == "Contract start → Kick-off"

    def test_too_few_under_five_and_skipped_steps_not_counted(self):
        rows = self.rows(Segment.SMB, 1, 2, 3, 4)
        rows.append((Segment.SMB, START, {ACTIVATED: at(START + timedelta(days=99))}))  # no kick-off
        (smb, _all) = onboarding.medians_by_segment(rows)
        assert (smb.steps[0].n, smb.steps[0].median, smb.steps[0].too_few) == (4, 2.5, True)
        assert smb.steps[1].n == 0 and smb.steps[1].median is None  # kick-off → activated: never both
        assert smb.accounts == 5


# --- selectors ------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestSelectors:
    def test_medians_from_active_accounts_in_one_query(self, django_assert_num_queries):
        for days in (3, 5, 7, 9, 11):
            onboarded(AccountFactory(segment=Segment.SMB, contract_start=START), days, days + 2)
        onboarded(
            AccountFactory(segment=Segment.SMB, contract_start=START, status=AccountStatus.CHURNED), 300
        )
        onboarded(AccountFactory(segment=Segment.ENTERPRISE, contract_start=START), 20)
        with django_assert_num_queries(1):
            medians = onboarding.onboarding_medians()
        smb = medians[1]
        assert smb.segment == "smb" and (smb.steps[0].median, smb.steps[0].n) == (7, 5)
        assert (smb.steps[1].median, smb.steps[1].too_few) == (2, False)
        assert [m.segment for m in onboarding.onboarding_medians(segment="smb")] == ["smb"]

    def test_momentum_in_three_queries_whatever_the_number_of_accounts(self, django_assert_num_queries):
        model = EngagementModelFactory()
        MomentFactory(model=model, trigger=TriggerType.CONTRACT, offset_days=7, milestone=KICKOFF)
        MomentFactory(model=model, trigger=TriggerType.MILESTONE, offset_days=30, milestone=ACTIVATED)
        accounts = [AccountFactory(contract_start=START) for _ in range(2)]
        model_assign(account=accounts[0], model=model)
        onboarded(accounts[0], 8)
        escalate(accounts[0], ACTIVATED, model=model)
        with django_assert_num_queries(3):
            rows = onboarding.onboarding_momentum(accounts=accounts)
        first = rows[0].milestones
        assert first[0].reached_at is not None and first[0].days_since_previous == 8
        assert first[0].expected_by == START + timedelta(days=7)
        assert first[1].overdue and first[1].expected_by == START + timedelta(days=30)
        assert [r.label for r in rows[0].overdue] == ["Activated"]
        assert rows[1].reached == 0 and rows[1].overdue == []

        more = [AccountFactory(contract_start=START) for _ in range(10)]
        for account in more:
            model_assign(account=account, model=model)
            onboarded(account, 5, 9)
            escalate(account, TRAINED)
        with django_assert_num_queries(3):
            rows = onboarding.onboarding_momentum(accounts=accounts + more)
        assert len(rows) == 12 and all(r.milestones[2].overdue for r in rows[2:])

    def test_overdue_only_keeps_accounts_with_an_open_escalation(self):
        stuck = AccountFactory(name="Stuck")
        late = AccountFactory(name="Late")
        AccountFactory(name="Fine")
        escalate(stuck, TRAINED)
        escalate(late, ACTIVATED, status=OccurrenceStatus.DONE)
        assert [a.name for a in onboarding.onboarding_accounts(overdue_only=True)] == ["Stuck"]
        assert onboarding.onboarding_accounts().count() == 3

    def test_an_escalation_by_another_key_or_trigger_is_not_overdue(self):
        account = AccountFactory()
        moment = MomentFactory(trigger=TriggerType.EVENT, milestone="")
        MomentOccurrence.objects.create(moment=moment, account=account, key="missed")
        escalated = escalate(account, TRAINED)
        MomentOccurrence.objects.filter(pk=escalated.pk).update(key="2026-01")
        assert not onboarding.onboarding_accounts(overdue_only=True).exists()


# --- the report page ------------------------------------------------------------------------------


@pytest.fixture
def portfolio(db):
    accounts = []
    for n, segment in enumerate([Segment.SMB] * 5 + [Segment.ENTERPRISE] * 2):
        account = AccountFactory(
            name=f"{segment} {n}", segment=segment, contract_start=TODAY - timedelta(days=200 + n)
        )
        onboarded(account, 7 + n, 10 + n, 30 + n)
        accounts.append(account)
    escalate(accounts[-1], REVIEWED)
    return accounts


class TestReportAccess:
    url = reverse("onboarding_report")

    def test_anonymous_is_sent_to_login(self, client, db):
        response = client.get(self.url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_other_roles_get_403(self, request, client_of, who):
        client = client_of(request.getfixturevalue(who))
        assert client.get(self.url).status_code == 403
        assert client.get(self.url, headers={"HX-Request": "true"}).status_code == 403
        assert client.get(self.url + "?format=csv&table=accounts").status_code == 403


class TestReport:
    url = reverse("onboarding_report")

    def test_medians_per_segment_and_accounts(self, client_of, csm, portfolio):
        response = client_of(csm).get(self.url)
        assert response.status_code == 200
        medians = {m.segment: m for m in response.context["medians"]}
        assert medians["smb"].steps[0].median == 9 and not medians["smb"].steps[0].too_few
        assert medians["enterprise"].steps[0].too_few
        content = response.content.decode()
        assert "too few to tell" in content and "Contract start → Kick-off" in content
        assert reverse("account_engagement", args=[portfolio[0].pk]) in content
        assert response.context["rows"][0].account.name == "smb 0"  # the newest contract first
        assert "Overdue" in content and "<html" in content

    def test_filters_by_segment_and_overdue_only(self, client_of, csm, portfolio):
        client = client_of(csm)
        rows = client.get(self.url, {"segment": "enterprise"}).context["rows"]
        assert {r.account.segment for r in rows} == {"enterprise"}
        rows = client.get(self.url, {"overdue": "1"}).context["rows"]
        assert [r.account.name for r in rows] == ["enterprise 6"]
        response = client.get(self.url, {"overdue": "1", "segment": "smb"})
        assert (
            response.context["rows"] == []
            and b"No account has an overdue onboarding milestone" in response.content
        )

    def test_bad_filters_are_ignored(self, client_of, csm, portfolio):
        response = client_of(csm).get(self.url, {"segment": "<script>", "page": "abc", "overdue": "maybe"})
        assert response.status_code == 200
        assert response.context["segment"] == "" and not response.context["overdue_only"]
        assert len(response.context["rows"]) == 7 and b"<script>" not in response.content

    def test_paginated_by_25(self, client_of, csm, db):
        for n in range(27):
            AccountFactory(name=f"Account {n:02}", contract_start=TODAY - timedelta(days=n + 1))
        client = client_of(csm)
        first = client.get(self.url)
        assert len(first.context["rows"]) == 25 and first.context["page"].paginator.num_pages == 2
        second = client.get(self.url, {"page": 2})
        assert [r.account.name for r in second.context["rows"]] == ["Account 25", "Account 26"]

    def test_htmx_twin_returns_only_the_results(self, client_of, csm, portfolio):
        response = client_of(csm).get(self.url, {"segment": "smb"}, headers={"HX-Request": "true"})
        content = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in content and 'id="onboarding-results"' in content
        assert "Median days per step" in content and "smb 0" in content and "enterprise 6" not in content

    def test_query_count_does_not_grow_with_accounts(self, client_of, csm, portfolio):
        client = client_of(csm)
        client.get(self.url)  # warm the session
        with CaptureQueriesContext(connection) as few:
            client.get(self.url)
        for n in range(20):
            account = AccountFactory(contract_start=TODAY - timedelta(days=n + 1))
            onboarded(account, 1, 2, 3, 4, 5)
            escalate(account, SELF)
        with CaptureQueriesContext(connection) as many:
            client.get(self.url)
        # session, user, count, the page of accounts, milestones, escalations, expected dates, medians
        assert len(many) == len(few) == 8


class TestReportCsv:
    url = reverse("onboarding_report")

    def test_medians_csv(self, client_of, csm, portfolio):
        response = client_of(csm).get(self.url, {"format": "csv", "table": "medians"})
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="onboarding-medians.csv"' in response["Content-Disposition"]
        rows = csv_of(response)
        assert rows[0] == ["Segment", "Step", "Median days", "Accounts", "Note"]
        assert ["SMB", "Contract start → Kick-off", "9", "5", ""] in rows
        assert ["Enterprise", "Contract start → Kick-off", "12.5", "2", "too few to tell"] in rows
        assert len(rows) == 1 + 3 * 5

    def test_accounts_csv_follows_the_filters_and_defuses_formulas(self, client_of, csm, portfolio):
        evil = AccountFactory(name="=HYPERLINK(1)", segment=Segment.ENTERPRISE, contract_start=START)
        onboarded(evil, 7)
        escalate(evil, ACTIVATED)
        response = client_of(csm).get(
            self.url, {"format": "csv", "table": "accounts", "segment": "enterprise", "overdue": "1"}
        )
        rows = csv_of(response)
        assert rows[0][:5] == [
            "Account",
            "Segment",
            "Contract start",
            "Kick-off reached",
            "Kick-off: days since previous",
        ]
        assert rows[0][-2:] == ["Overdue", "Escalations"]
        by_name = {row[0]: row for row in rows[1:]}
        assert set(by_name) == {"'=HYPERLINK(1)", "enterprise 6"}
        row = by_name["'=HYPERLINK(1)"]
        assert row[1:5] == ["Enterprise", "2026-01-01", "2026-01-08", "7"] and row[-2:] == ["Activated", "1"]
        assert by_name["enterprise 6"][-2:] == ["First metrics review", "1"]


# --- the API --------------------------------------------------------------------------------------


class TestOnboardingApi:
    def url(self, account):
        return reverse("api-account-onboarding", args=[account.pk])

    def test_cs_manager_gets_the_model_and_milestones(self, client_of, csm, account_a):
        model = EngagementModelFactory(name="High touch")
        MomentFactory(model=model, trigger=TriggerType.CONTRACT, offset_days=7, milestone=KICKOFF)
        model_assign(account=account_a, model=model)
        onboarded(account_a, 7, 9)
        escalate(account_a, TRAINED)
        data = client_of(csm).get(self.url(account_a)).json()
        assert data["model"]["name"] == "High touch" and data["account"]["id"] == account_a.pk
        assert [m["milestone"] for m in data["milestones"]] == onboarding.ONBOARDING_ORDER
        kickoff, activated, trained = data["milestones"][:3]
        assert kickoff["label"] == "Kick-off" and kickoff["days_since_previous"] == 7
        assert kickoff["expected_by"] == (account_a.contract_start + timedelta(days=7)).isoformat()
        assert activated["days_since_previous"] == 2 and not activated["overdue"]
        assert trained["reached_at"] is None and trained["overdue"] is True

    def test_an_account_without_a_model(self, client_of, csm, account_a):
        data = client_of(csm).get(self.url(account_a)).json()
        assert data["model"] is None and all(m["reached_at"] is None for m in data["milestones"])

    def test_unknown_account_is_404(self, client_of, csm, db):
        assert client_of(csm).get("/api/v1/engagement/accounts/999999/onboarding/").status_code == 404

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_other_roles_get_403(self, request, client_of, who, account_a):
        assert client_of(request.getfixturevalue(who)).get(self.url(account_a)).status_code == 403

    def test_anonymous_gets_403(self, client, account_a):
        assert client.get(self.url(account_a)).status_code == 403
