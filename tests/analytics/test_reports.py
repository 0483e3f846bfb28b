"""The Engagement, Training impact and Retention report pages: who may see them, the htmx twins,
the CSV exports, bad filters, the sentences in words, "too few to tell", empty states, and query
counts that do not grow with the number of accounts."""

import csv
import io
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import RenewalOutcome, Segment
from apps.analytics import metrics, periods, reports, services
from apps.analytics.models import HealthSnapshot
from apps.core.numbers import round_half_away
from apps.core.spreadsheet import safe_cell
from apps.interactions.models import Interaction
from tests.analytics.factories import snapshot_of
from tests.factories import AccountFactory, RenewalFactory, UserFactory

PAGES = ["engagement_report", "training_report", "retention_report"]
Q3 = periods.parse("2026-Q3")


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def log(user, kind, when, **extra):
    return Interaction.objects.create(account=user.account, user=user, kind=kind, occurred_at=when, **extra)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def lost_renewal(account, close, **extra):
    return RenewalFactory(
        account=account,
        close_date=close,
        outcome=RenewalOutcome.LOST,
        renewed_value=Decimal(0),
        **extra,
    )


def build_portfolio(count: int, *, prefix: str = "Acct") -> list:
    """`count` accounts across segments, each with a person, a renewal this quarter (every third
    lost, from the third on: a lost account is no longer scored), content views that fell (an
    engagement drop), a completed course and an NPS answer; and snapshots for today and the end
    of last month."""
    today = timezone.localdate()
    now = timezone.now()
    segments = [Segment.ENTERPRISE, Segment.MID_MARKET, Segment.SMB]
    accounts = []
    for i in range(count):
        account = AccountFactory(
            name=f"{prefix} {i}",
            segment=segments[i % 3],
            arr=Decimal(20000 + 50000 * i),
            contract_start=today - timedelta(days=400),
        )
        person = UserFactory(account=account)
        RenewalFactory(
            account=account,
            close_date=periods.quarter_of(today).start,
            outcome=RenewalOutcome.LOST if i % 3 == 2 else RenewalOutcome.WON,
            renewed_value=Decimal(0) if i % 3 == 2 else Decimal(110000),
        )
        RenewalFactory(
            account=account,
            close_date=today + timedelta(days=300),
            outcome=RenewalOutcome.OPEN,
            renewed_value=None,
        )
        for days in (35, 40, 45, 50):
            log(person, "learning.content_viewed", now - timedelta(days=days))
        log(person, "learning.course_completed", now - timedelta(days=100))
        log(
            person,
            "survey.response_submitted",
            now - timedelta(days=5),
            value=9,
            subject_type="campaign",
            subject_id="1",
        )
        accounts.append(account)
    services.health_recompute(day=today)
    services.health_recompute(day=periods.month_of(today).start - timedelta(days=1))
    return accounts


# --- who may see the reports --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("who", ["alice", "carol", "sam", "content"])
def test_everyone_but_cs_managers_is_refused(client_of, request, name, who):
    person = request.getfixturevalue(who)
    assert client_of(person).get(reverse(name)).status_code == 403
    assert client_of(person).get(reverse(name) + "?format=csv").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_cs_managers_see_the_whole_page_and_htmx_gets_the_report_partial(client_of, csm, name):
    build_portfolio(3)
    client = client_of(csm)
    page = client.get(reverse(name))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and 'id="report"' in html
    assert 'aria-current="page"' in html  # the section tabs
    assert "Export CSV" in html

    fragment = client.get(reverse(name), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="report"')


# --- engagement ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_engagement_without_snapshots_says_how_to_compute_them(client_of, csm):
    html = client_of(csm).get(reverse("engagement_report")).content.decode()
    assert "No health snapshots yet" in html
    assert "recompute_health" in html


@pytest.mark.django_db
def test_engagement_lists_drops_with_their_views_and_explains_the_rules(client_of, csm):
    accounts = build_portfolio(2)
    html = client_of(csm).get(reverse("engagement_report")).content.decode()
    assert "% engaged customers by segment" in html and "% engaged customers by ARR band" in html
    assert "<svg" in html
    for account in accounts:
        assert reverse("account_360", args=[account.pk]) in html
    assert "2 accounts flagged" in html
    assert "Default rules, version 1" in html
    assert "meet all 3 rules" in html
    assert "Viewed content in the last 30 days" in html
    # Three accounts per month in a segment: too few to tell, with n.
    assert "too few to tell" in html


@pytest.mark.django_db
def test_engagement_month_filter_and_bad_values(client_of, csm):
    build_portfolio(2)
    client = client_of(csm)
    six = client.get(reverse("engagement_report") + "?months=6").content.decode()
    today = timezone.localdate()
    first = periods.last_months(today, 6)[0].label
    before = periods.last_months(today, 7)[0].label
    assert f">{first}</th>" in six and f">{before}</th>" not in six

    bad = client.get(reverse("engagement_report") + "?months=7")
    assert bad.status_code == 400
    assert "Choose 6, 12 or 18 months." in bad.content.decode()


@pytest.mark.django_db
def test_engagement_csv_has_every_group_and_month(client_of, csm):
    build_portfolio(2)
    rows = csv_rows(client_of(csm).get(reverse("engagement_report") + "?months=6&format=csv"))
    assert rows[0] == reports.ENGAGEMENT_CSV_HEADER
    # all customers + 3 segments + 4 ARR bands, 6 months each
    assert len(rows) == 1 + (1 + 3 + 4) * 6
    this_month = [r for r in rows if r[0] == "all" and r[2] == periods.month_of(timezone.localdate()).label]
    assert this_month[0][3] == "2"


@pytest.mark.django_db
def test_drop_changes_are_rounded_once_from_the_counts(client_of, csm, account_a):
    rows = reports.engagement_drop_rows(
        [
            HealthSnapshot(account=account_a, figures={"content_views": 6, "content_views_before": 11}),
            HealthSnapshot(account=account_a, figures={"content_views": 15, "content_views_before": 16}),
            HealthSnapshot(account=account_a, figures={"content_views": 3, "content_views_before": 0}),
        ]
    )
    # 6 of 11: -45.45...% -> -45.5 for the CSV, and -45 (not -46, rounded twice) on the page.
    assert (rows[0]["change"], rows[0]["change_whole"]) == (-45.5, -45)
    assert (rows[1]["change"], rows[1]["change_whole"]) == (-6.3, -6)  # -6.25: halves away from zero
    assert rows[2]["change"] is None and rows[2]["change_whole"] is None
    snapshot = snapshot_of(account_a, 50, day=timezone.localdate())
    snapshot.engagement_drop = True
    snapshot.figures = {"content_views": 6, "content_views_before": 11}
    snapshot.save()
    html = client_of(csm).get(reverse("engagement_report")).content.decode()
    assert '<span aria-hidden="true">▼</span> -45%</span>' in html


@pytest.mark.django_db
def test_engagement_drops_csv_is_formula_safe(client_of, csm):
    build_portfolio(1, prefix="=HYPERLINK(evil)")
    rows = csv_rows(client_of(csm).get(reverse("engagement_report") + "?format=csv&table=drops"))
    assert rows[0] == reports.DROPS_CSV_HEADER
    assert rows[1][0] == "'=HYPERLINK(evil) 0"
    assert rows[1][3:] == ["0", "4", "-100.0"]


# --- training impact ----------------------------------------------------------------------------


def trained_and_lost(lost: int, lost_trained: int, *, won: int = 0, won_trained: int = 0):
    """Renewals closing in 2026-Q3: `lost` lost, of which `lost_trained` had someone complete a
    path in the 12 months before; `won` won, of which `won_trained` trained."""
    for i in range(lost + won):
        account = AccountFactory(name=f"Q3 {i}", contract_start=date(2024, 1, 1))
        person = UserFactory(account=account)
        if i < lost:
            lost_renewal(account, date(2026, 8, 1))
            trained = i < lost_trained
        else:
            RenewalFactory(account=account, close_date=date(2026, 8, 1))
            trained = i - lost < won_trained
        if trained:
            log(person, "learning.path_completed", at(date(2026, 3, 1)))


@pytest.mark.django_db
def test_training_answers_in_words_for_a_constructed_data_set(client_of, csm):
    trained_and_lost(5, 2, won=6)
    html = client_of(csm).get(reverse("training_report") + "?period=2026-Q3").content.decode()
    assert (
        "Of the 5 accounts lost in 2026-Q3, 2 (40%) had trained in the 12 months before their renewal."
        in html
    )
    # Churn: trained 2 of 2 (too few), untrained 3 of 9.
    assert (
        "Trained accounts churned at too few to tell (n=2); untrained accounts: 33% (n=9, 95% CI 12" in html
    )
    assert "This is correlation, not cause:" in html
    assert "larger accounts both train more and churn less" in html
    assert "too few to tell" in html


@pytest.mark.django_db
def test_training_sentence_percent_is_rounded_once_from_the_exact_share(client_of, csm):
    trained_and_lost(11, 5)  # 5 of 11 = 45.45...%: 45%, not 46% (45.5 rounded again)
    first = reports.training_report(period=Q3)["sentences"][0]
    assert first == (
        "Of the 11 accounts lost in 2026-Q3, 5 (45%) had trained in the 12 months before their renewal."
    )


def test_whole_takes_exact_values():
    assert reports.whole(metrics.Proportion(5, 11).whole) == "45"
    assert reports.whole(metrics.rate(5, 11) * 100) == "45"
    assert reports.whole(metrics.rate(1, 8) * 100) == "13"  # 12.5 exactly: away from zero


def test_backtest_sentence_uses_whole_percents_of_the_exact_rates():
    rows = [
        {"band": "green", "label": "Green", **metrics.Proportion(5, 11).as_dict()},
        {"band": "amber", "label": "Amber", **metrics.Proportion(0, 0).as_dict()},
        {"band": "red", "label": "Red", **metrics.Proportion(1, 8).as_dict()},
    ]
    assert reports.backtest_sentence(rows) == (
        "Accounts that were green 90 days before renewed at 45% (n=11), "
        "against 13% for those that were red (n=8)."
    )


@pytest.mark.django_db
def test_training_sentences_when_both_groups_are_large_enough():
    trained_and_lost(10, 6, won=10, won_trained=6)
    # A completion after the close date or more than 12 months before it does not count.
    late = UserFactory(account=AccountFactory(name="Late", contract_start=date(2024, 1, 1)))
    lost_renewal(late.account, date(2026, 8, 1))
    log(late, "learning.course_completed", at(date(2026, 8, 2)))
    log(late, "learning.course_completed", at(date(2025, 7, 31)))
    first, second, third = reports.training_report(period=Q3)["sentences"]
    assert first == (
        "Of the 11 accounts lost in 2026-Q3, 6 (55%) had trained in the 12 months before their renewal."
    )
    # trained: 6 lost of 12 due; untrained: 5 lost of 9 due
    assert second.startswith("Trained accounts churned at 50% (n=12, 95% CI 25\u201375%) against 56% (n=9,")
    assert second.endswith("for untrained accounts.")
    assert third.startswith("Too few NPS answers in 2026-Q3 to compare: 0 from trained and 0 from untrained")


@pytest.mark.django_db
def test_training_with_nothing_in_the_period_has_an_empty_state(client_of, csm):
    html = client_of(csm).get(reverse("training_report") + "?period=2026-Q3").content.decode()
    assert "No renewals were lost in 2026-Q3." in html
    assert "No renewal closed and no NPS answer came in 2026-Q3" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-Q9", "is not a period: use a quarter like 2026-Q3"), ("nonsense", "is not a period")],
)
def test_training_bad_period_is_a_clear_message_not_a_500(client_of, csm, value, message):
    response = client_of(csm).get(reverse("training_report") + f"?period={value}")
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "Show the default report" in html
    csv_response = client_of(csm).get(reverse("training_report") + f"?period={value}&format=csv")
    assert csv_response.status_code == 400


@pytest.mark.django_db
def test_training_last_four_quarters_and_stratified_by_segment(client_of, csm):
    build_portfolio(3)
    html = client_of(csm).get(reverse("training_report") + "?period=last-4q&by_segment=on").content.decode()
    assert "Last 4 quarters in words" in html
    assert "in the last 4 quarters" in html
    for label in ("Enterprise, Last 4 quarters", "Mid-market, Last 4 quarters", "SMB, Last 4 quarters"):
        assert label in html
    assert 'value="last-4q" selected' in html


@pytest.mark.django_db
def test_training_default_period_is_the_latest_quarter_with_closed_renewals(client_of, csm):
    today = timezone.localdate()
    two_back = periods.last_quarters(today, 3)[0]
    RenewalFactory(account=AccountFactory(), close_date=two_back.start + timedelta(days=3))
    html = client_of(csm).get(reverse("training_report")).content.decode()
    assert f"{two_back.label} in words" in html


@pytest.mark.django_db
def test_training_csv_covers_every_population_and_group(client_of, csm):
    trained_and_lost(5, 2)
    rows = csv_rows(client_of(csm).get(reverse("training_report") + "?period=2026-Q3&format=csv"))
    assert rows[0] == reports.TRAINING_CSV_HEADER
    # (4 outcomes x 2 groups + NPS trained, untrained, difference, overall) x (all + 3 segments)
    assert len(rows) == 1 + (4 * 2 + 4) * 4
    lost = [r for r in rows if r[1] == "All segments" and r[2] == "Share of the lost renewals"]
    assert lost[0][3:7] == ["trained", "2", "5", "40.0"]
    assert lost[1][3:7] == ["untrained", "3", "5", "60.0"]


def nps_answers(trained: list[int], untrained: list[int]):
    """NPS answers given in 2026-Q3 by people who completed a course in the 12 months before
    (`trained`) and by people who did not (`untrained`)."""
    for scores, trained_group in ((trained, True), (untrained, False)):
        for score in scores:
            person = UserFactory(account=AccountFactory(contract_start=date(2024, 1, 1)))
            if trained_group:
                log(person, "learning.course_completed", at(date(2026, 5, 1)))
            log(
                person,
                "survey.response_submitted",
                at(date(2026, 8, 10)),
                value=score,
                subject_type="campaign",
                subject_id="1",
            )


@pytest.mark.django_db
def test_training_csv_has_the_nps_difference_with_its_interval_and_the_overall_nps(client_of, csm):
    # trained: 3 promoters, 2 detractors of 8 = 12.5; untrained: 1 promoter, 2 detractors of 5 = -20
    nps_answers([10, 10, 9, 8, 8, 7, 5, 3], [10, 8, 7, 6, 2])
    rows = csv_rows(client_of(csm).get(reverse("training_report") + "?period=2026-Q3&format=csv"))
    nps = [r for r in rows if r[1] == "All segments" and r[2].startswith("NPS")]
    assert [(r[2], r[3]) for r in nps] == [
        ("NPS", "trained"),
        ("NPS", "untrained"),
        ("NPS difference (trained - untrained)", "difference"),
        ("NPS", "overall"),
    ]
    trained, untrained, difference, overall = nps
    assert trained[5:7] == ["8", "13"] and untrained[5:7] == ["5", "-20"]
    report = reports.training_report(period=Q3)
    split = report["overall"]["nps"]
    assert difference[4:7] == ["", "13", "32.5"]  # 12.5 - (-20), exact
    assert difference[7:] == [
        str(round_half_away(split["difference_low"], 1)),
        str(round_half_away(split["difference_high"], 1)),
        "no",
    ]
    assert float(difference[7]) <= 32.5 <= float(difference[8])
    # overall: 4 promoters, 4 detractors of 13 = 0
    assert overall[5:7] == ["13", "0"] and overall[9] == "no"
    assert split["difference_whole"] == 33  # 32.5, halves away from zero
    html = client_of(csm).get(reverse("training_report") + "?period=2026-Q3").content.decode()
    assert "+33 points" in html
    assert "against -20 for untrained people (n=5): +33 points (95% bootstrap interval" in html


# --- retention ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_retention_without_renewals_or_customers_has_an_empty_state(client_of, csm):
    html = client_of(csm).get(reverse("retention_report")).content.decode()
    assert "No renewals or customers in the last 8 quarters" in html


@pytest.mark.django_db
def test_retention_shows_eight_quarters_charts_glossary_and_negative_churn(client_of, csm):
    today = timezone.localdate()
    quarter = periods.quarter_of(today)
    for i in range(6):
        account = AccountFactory(name=f"R {i}", arr=Decimal(100000), contract_start=date(2020, 1, 1))
        RenewalFactory(
            account=account,
            close_date=quarter.start,
            planned_value=Decimal(100000),
            renewed_value=Decimal(130000),
        )
    html = client_of(csm).get(reverse("retention_report")).content.decode()
    for q in periods.last_quarters(today, 8):
        assert f">{q.label}</th>" in html
    assert "Net and gross revenue retention by quarter" in html
    assert html.count("<svg") >= 2
    assert 'badge--green">negative churn</span>' in html
    assert "What these figures mean" in html and "Gross revenue retention (GRR)" in html
    assert "130.0%" in html  # NRR this quarter: 600k + 180k expansion over 600k
    assert "Does the health score predict renewals?" in html


@pytest.mark.django_db
def test_retention_segment_filter_and_a_bad_segment(client_of, csm):
    build_portfolio(3)
    client = client_of(csm)
    response = client.get(reverse("retention_report") + "?segment=smb")
    assert response.status_code == 200
    assert "By quarter: SMB" in response.content.decode()
    bad = client.get(reverse("retention_report") + "?segment=galaxy")
    assert bad.status_code == 400
    assert "Choose a segment from the list." in bad.content.decode()


@pytest.mark.django_db
def test_retention_csv_and_backtest_csv(client_of, csm):
    build_portfolio(3)
    client = client_of(csm)
    rows = csv_rows(client.get(reverse("retention_report") + "?segment=smb&format=csv"))
    assert rows[0] == reports.RETENTION_CSV_HEADER
    assert len(rows) == 1 + 8
    assert rows[-1][0] == periods.quarter_of(timezone.localdate()).label
    assert rows[-1][1] == "smb"
    backtest = csv_rows(client.get(reverse("retention_report") + "?format=csv&table=backtest"))
    assert backtest[0] == reports.BACKTEST_CSV_HEADER
    assert [r[0] for r in backtest[1:]] == ["Green", "Amber", "Red", "No score yet"]
    assert sum(int(r[1]) for r in backtest[1:]) == 3


# --- query counts -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # session + user, then: latest day, configs used, their rules, engagement (2), drops count + page
        ("/analytics/engagement/", 2 + 7),
        ("/analytics/engagement/?format=csv", 2 + 5),
        ("/analytics/engagement/?format=csv&table=drops", 2 + 4),
        # default period (1) + training impact (2)
        ("/analytics/training/", 2 + 3),
        ("/analytics/training/?period=last-4q&by_segment=on&format=csv", 2 + 2),
        # 8 quarters x 2 + backtest
        ("/analytics/retention/", 2 + 17),
        ("/analytics/retention/?segment=smb&format=csv", 2 + 17),
    ],
)
def test_query_counts_are_pinned_and_do_not_grow_with_accounts(
    client_of, csm, django_assert_num_queries, url, expected
):
    client = client_of(csm)
    build_portfolio(2, prefix="Few")
    with django_assert_num_queries(expected):
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    build_portfolio(10, prefix="Many")
    with django_assert_num_queries(expected):
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert HealthSnapshot.objects.filter(date=timezone.localdate()).count() >= 8


# --- the pieces ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(40.0, "40"), (12.5, "13"), (-12.5, "-13"), (16.66, "17"), (0.4, "0"), (None, "no data")],
)
def test_whole_rounds_half_away_from_zero(value, text):
    assert reports.whole(value) == text


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-x", "'-x"), ("@me", "'@me"), ("Acme", "Acme"), (None, "")],
)
def test_csv_cells_never_start_a_formula(value, cell):
    assert safe_cell(value) == cell


def test_period_phrases_and_the_last_four_quarters():
    period = reports.training_period("last-4q", today=date(2026, 11, 24))
    assert (period.start, period.end, period.label) == (date(2026, 1, 1), date(2027, 1, 1), "Last 4 quarters")
    assert reports.period_phrase(period) == "in the last 4 quarters"
    assert reports.period_phrase(Q3) == "in 2026-Q3"
    with pytest.raises(ValueError, match="is not a period"):
        reports.training_period("2026-Q9", today=date(2026, 11, 24))


def test_chart_ranges_hold_every_value_with_room():
    assert reports._padded_range([97.5, 103.8]) == (90, 110)
    assert reports._padded_range([], floor=0) == (0, 100)
    assert reports._padded_range([2.0], floor=0) == (0, 10)
