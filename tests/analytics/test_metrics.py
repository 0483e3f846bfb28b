"""Retention, churn and trained-vs-untrained metrics: the worked examples of METRICS.md, edge cases,
the invariants, and agreement with an independent straightforward computation."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Renewal, RenewalOutcome, Segment
from apps.analytics import metrics, periods
from apps.interactions.models import Interaction
from tests.factories import AccountFactory, RenewalFactory, UserFactory

Q3 = periods.parse("2026-Q3")  # [2026-07-01, 2026-10-01)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def customer(name, arr, *, segment=Segment.MID_MARKET, start=date(2024, 1, 1), status=AccountStatus.ACTIVE):
    return AccountFactory(
        name=name, arr=Decimal(arr), segment=segment, contract_start=start, status=status, renewal_date=None
    )


def renewal(account, close, planned, renewed=None, outcome=RenewalOutcome.WON):
    if outcome == RenewalOutcome.LOST:
        renewed = Decimal(0)
    return RenewalFactory(
        account=account,
        close_date=close,
        planned_value=Decimal(planned),
        renewed_value=None
        if outcome == RenewalOutcome.OPEN
        else Decimal(renewed if renewed is not None else planned),
        outcome=outcome,
    )


# --- worked examples ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_customer_churn_worked_example_100_due_75_renewed():
    accounts = Account.objects.bulk_create(
        Account(
            name=f"Acct {i}",
            segment=Segment.SMB,
            vertical="other",
            arr=Decimal(1000),
            contract_start=date(2024, 1, 1),
        )
        for i in range(100)
    )
    Renewal.objects.bulk_create(
        Renewal(
            account=a,
            close_date=date(2026, 8, 1),
            planned_value=Decimal(1000),
            renewed_value=Decimal(1000) if i < 75 else Decimal(0),
            outcome=RenewalOutcome.WON if i < 75 else RenewalOutcome.LOST,
        )
        for i, a in enumerate(accounts)
    )
    result = metrics.retention(period=Q3)
    assert (result.due, result.won, result.lost) == (100, 75, 25)
    assert result.churn_rate == Fraction(25, 100)
    assert result.retention_rate == Fraction(3, 4)
    assert result.as_dict()["churn_rate"] == 25.0


@pytest.mark.django_db
def test_net_revenue_churn_worked_example_is_exactly_zero():
    # Two $500/month customers lost ($12,000 ARR together), one customer expands by $1,000/month.
    lost_1, lost_2 = customer("Lost 1", 6000), customer("Lost 2", 6000)
    grower = customer("Grower", 24000)
    steady = customer("Steady", 58000)
    renewal(lost_1, date(2026, 7, 15), 6000, outcome=RenewalOutcome.LOST)
    renewal(lost_2, date(2026, 8, 15), 6000, outcome=RenewalOutcome.LOST)
    renewal(grower, date(2026, 9, 1), 24000, 36000)
    result = metrics.retention(period=Q3)
    assert steady.pk  # a customer not due in the period counts at its unchanged ARR
    assert result.start_revenue == Decimal(6000 + 6000 + 24000 + 58000)
    assert result.lost_revenue == Decimal(12000)
    assert result.expansion == Decimal(12000)
    assert result.contraction == 0
    assert result.net_revenue_churn == 0
    assert not result.negative_churn
    assert result.nrr == 1
    assert result.grr == 1 - Fraction(12000, 94000)


@pytest.mark.django_db
def test_negative_churn_when_expansion_beats_losses():
    lost, grower = customer("Lost", 10000), customer("Grower", 50000)
    renewal(lost, date(2026, 7, 2), 10000, outcome=RenewalOutcome.LOST)
    renewal(grower, date(2026, 7, 3), 50000, 65000)
    result = metrics.retention(period=Q3)
    assert result.net_revenue_churn == Fraction(10000 - 15000, 60000)
    assert result.negative_churn
    assert result.as_dict()["net_revenue_churn"] == pytest.approx(-8.3)


@pytest.mark.django_db
def test_contraction_counts_in_revenue_churn_and_not_in_customer_churn():
    shrinker = customer("Shrinker", 40000)
    renewal(shrinker, date(2026, 8, 1), 40000, 30000)
    result = metrics.retention(period=Q3)
    assert result.churn_rate == 0
    assert result.contraction == Decimal(10000)
    assert result.revenue_churn == Fraction(1, 4)
    assert result.grr == Fraction(3, 4)


# --- edge cases ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_no_renewals_in_the_period_gives_no_data_not_zero():
    customer("Quiet", 10000)
    result = metrics.retention(period=Q3)
    assert result.due == 0
    assert result.churn_rate is None and result.retention_rate is None
    assert result.nrr == 1 and result.grr == 1  # revenue at start exists, nothing changed
    assert result.as_dict()["churn_rate"] is None


@pytest.mark.django_db
def test_no_customers_gives_no_data_for_every_rate():
    result = metrics.retention(period=Q3)
    assert result.start_revenue == 0
    assert (result.nrr, result.grr, result.revenue_churn, result.net_revenue_churn) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_accounts_that_started_mid_period_are_not_in_start_revenue():
    old = customer("Old", 10000)
    customer("New", 90000, start=date(2026, 8, 1))
    renewal(old, date(2026, 9, 1), 10000, 12000)
    result = metrics.retention(period=Q3)
    assert result.customers_at_start == 1
    assert result.start_revenue == Decimal(10000)
    assert result.nrr == Fraction(12, 10)


@pytest.mark.django_db
def test_arr_at_start_is_the_planned_value_of_the_next_renewal_not_todays_arr():
    # Renewed after the period at a higher value: today's ARR is not what it paid at the start.
    account = customer("Later grower", 80000)
    renewal(account, date(2026, 12, 1), 50000, 80000)
    result = metrics.retention(period=Q3)
    assert result.start_revenue == Decimal(50000)


@pytest.mark.django_db
def test_accounts_lost_before_the_period_are_not_customers_at_start():
    gone = customer("Gone", 10000, status=AccountStatus.CHURNED)
    renewal(gone, date(2026, 3, 1), 10000, outcome=RenewalOutcome.LOST)
    stays = customer("Stays", 20000)
    result = metrics.retention(period=Q3)
    assert result.customers_at_start == 1
    assert result.start_revenue == stays.arr


@pytest.mark.django_db
def test_open_renewals_are_counted_apart_and_not_in_the_rates():
    account = customer("Pending", 10000)
    renewal(account, date(2026, 9, 30), 10000, outcome=RenewalOutcome.OPEN)
    result = metrics.retention(period=Q3)
    assert (result.due, result.still_open) == (0, 1)
    assert result.churn_rate is None


@pytest.mark.django_db
def test_period_is_half_open():
    a, b = customer("On start", 1000), customer("On end", 1000)
    renewal(a, date(2026, 7, 1), 1000, outcome=RenewalOutcome.LOST)
    renewal(b, date(2026, 10, 1), 1000, outcome=RenewalOutcome.LOST)
    assert metrics.retention(period=Q3).lost == 1


@pytest.mark.django_db
def test_retention_by_segment_only_counts_that_segment():
    smb, ent = (
        customer("Small", 1000, segment=Segment.SMB),
        customer("Big", 100000, segment=Segment.ENTERPRISE),
    )
    renewal(smb, date(2026, 8, 1), 1000, outcome=RenewalOutcome.LOST)
    renewal(ent, date(2026, 8, 1), 100000, 110000)
    assert metrics.retention(period=Q3, segment=Segment.SMB).churn_rate == 1
    assert metrics.retention(period=Q3, segment=Segment.ENTERPRISE).nrr == Fraction(11, 10)


@pytest.mark.django_db
def test_retention_runs_in_two_queries(django_assert_num_queries):
    for i in range(6):
        renewal(customer(f"C{i}", 1000 * (i + 1)), date(2026, 8, i + 1), 1000 * (i + 1), 900 * (i + 1))
    with django_assert_num_queries(2):
        metrics.retention(period=Q3)


# --- invariants and an independent computation ---------------------------------------------------


def _generate(seed: int):
    """A generated book of business: accounts starting before and inside Q3, renewals won above and
    below plan, lost, open, some before and after the period, in every segment."""
    rng = random.Random(seed)
    for i in range(60):
        start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 1400))
        arr = Decimal(rng.randrange(5_000, 400_000, 500))
        account = customer(
            f"Gen {seed}-{i}",
            arr,
            segment=rng.choice(Segment.values),
            start=start,
            status=AccountStatus.ACTIVE,
        )
        close = date(2025, 10, 1) + timedelta(days=rng.randint(0, 420))
        if close <= start:
            continue
        roll = rng.random()
        if roll < 0.2:
            renewal(account, close, arr, outcome=RenewalOutcome.LOST)
            if close < date(2026, 7, 1):
                Account.objects.filter(pk=account.pk).update(status=AccountStatus.CHURNED)
        elif roll < 0.3:
            renewal(account, close, arr, outcome=RenewalOutcome.OPEN)
        else:
            renewed = (arr * Decimal(rng.choice(["0.8", "1", "1", "1.1", "1.5"]))).quantize(Decimal("1"))
            renewal(account, close, arr, renewed)
            Account.objects.filter(pk=account.pk).update(arr=renewed)


def _independent(period, segment=""):
    """The definitions of METRICS.md applied row by row in plain Python."""
    accounts = [a for a in Account.objects.all() if not segment or a.segment == segment]
    renewals = list(Renewal.objects.all())
    by_account = {}
    for r in renewals:
        by_account.setdefault(r.account_id, []).append(r)

    def at_start(a):
        history = by_account.get(a.pk, [])
        if a.contract_start and a.contract_start >= period.start:
            return False
        if any(r.outcome == "lost" and r.close_date < period.start for r in history):
            return False
        return a.status == "active" or any(r.close_date >= period.start for r in history)

    def arr_at_start(a):
        upcoming = sorted(
            (r for r in by_account.get(a.pk, []) if r.close_date >= period.start), key=lambda r: r.close_date
        )
        return upcoming[0].planned_value if upcoming else a.arr

    starters = {a.pk for a in accounts if at_start(a)}
    start_revenue = sum((arr_at_start(a) for a in accounts if a.pk in starters), Decimal(0))
    in_period = [
        r
        for r in renewals
        if period.start <= r.close_date < period.end and r.account_id in {a.pk for a in accounts}
    ]
    closed = [r for r in in_period if r.outcome in ("won", "lost")]
    lost = [r for r in closed if r.outcome == "lost"]
    counted = [r for r in closed if r.account_id in starters]
    lost_revenue = sum((r.planned_value for r in counted if r.outcome == "lost"), Decimal(0))
    contraction = sum(
        (
            r.planned_value - r.renewed_value
            for r in counted
            if r.outcome == "won" and r.renewed_value < r.planned_value
        ),
        Decimal(0),
    )
    expansion = sum(
        (
            r.renewed_value - r.planned_value
            for r in counted
            if r.outcome == "won" and r.renewed_value > r.planned_value
        ),
        Decimal(0),
    )
    return {
        "churn": Fraction(len(lost), len(closed)) if closed else None,
        "start_revenue": start_revenue,
        "nrr": Fraction(start_revenue + expansion - contraction - lost_revenue) / Fraction(start_revenue),
        "grr": Fraction(start_revenue - contraction - lost_revenue) / Fraction(start_revenue),
        "expansion": expansion,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("segment", ["", Segment.ENTERPRISE])
def test_app_and_independent_computation_agree_exactly(seed, segment):
    _generate(seed)
    for label in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"):
        period = periods.parse(label)
        app, expected = metrics.retention(period=period, segment=segment), _independent(period, segment)
        assert app.churn_rate == expected["churn"], label
        assert app.start_revenue == expected["start_revenue"], label
        assert app.expansion == expected["expansion"], label
        assert app.nrr == expected["nrr"], label
        assert app.grr == expected["grr"], label


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5])
def test_invariants_hold_on_generated_data(seed):
    _generate(seed)
    for period in periods.last_quarters(date(2026, 11, 24), 5):
        r = metrics.retention(period=period)
        if r.start_revenue == 0:
            continue
        assert r.grr <= 1
        assert r.nrr - r.grr == Fraction(r.expansion) / Fraction(r.start_revenue)
        assert r.net_revenue_churn == 1 - r.nrr
        assert r.revenue_churn == 1 - r.grr


# --- trained vs untrained -----------------------------------------------------------------------


def _trained(account, on: date):
    user = UserFactory(account=account)
    Interaction.objects.create(
        account=account, user=user, kind="learning.course_completed", occurred_at=at(on)
    )
    return user


@pytest.mark.django_db
def test_share_of_lost_renewals_that_trained_and_churn_by_group():
    close = date(2026, 8, 10)
    lost = [customer(f"Lost {i}", 10000) for i in range(5)]
    kept = [customer(f"Kept {i}", 10000) for i in range(6)]
    for account in lost:
        renewal(account, close, 10000, outcome=RenewalOutcome.LOST)
    for i, account in enumerate(kept):
        renewal(account, close, 10000, 12000 if i < 2 else 10000)
    _trained(lost[0], close - timedelta(days=30))
    _trained(lost[1], close - timedelta(days=364))  # inside the 12 months before
    _trained(lost[2], close - timedelta(days=400))  # too long ago
    _trained(lost[3], close)  # on the close date itself: not "before"
    for account in kept[:4]:
        _trained(account, close - timedelta(days=10))
    result = metrics.training_impact(period=Q3)["overall"]
    assert (result.lost_trained.k, result.lost_trained.n) == (2, 5)
    assert result.lost_trained.value == 40.0
    assert (result.churn_trained.k, result.churn_trained.n) == (2, 6)
    assert (result.churn_untrained.k, result.churn_untrained.n) == (3, 5)
    assert (result.retained_trained.k, result.retained_trained.n) == (4, 6)
    assert (result.above_plan_trained.k, result.above_plan_trained.n) == (2, 4)
    assert (result.above_plan_untrained.k, result.above_plan_untrained.n) == (0, 2)
    low, high = result.churn_trained.interval
    assert low < 33.3 < high


@pytest.mark.django_db
def test_training_impact_is_stratified_by_segment():
    close = date(2026, 8, 10)
    big = customer("Big", 100000, segment=Segment.ENTERPRISE)
    small = customer("Small", 5000, segment=Segment.SMB)
    renewal(big, close, 100000, 100000)
    renewal(small, close, 5000, outcome=RenewalOutcome.LOST)
    _trained(big, close - timedelta(days=5))
    by_segment = metrics.training_impact(period=Q3)["by_segment"]
    assert by_segment[Segment.ENTERPRISE]["outcomes"].churn_trained.n == 1
    assert by_segment[Segment.SMB]["outcomes"].churn_untrained.k == 1
    assert by_segment[Segment.MID_MARKET]["outcomes"].churn_trained.n == 0
    assert by_segment[Segment.MID_MARKET]["outcomes"].churn_trained.value is None


@pytest.mark.django_db
def test_nps_worked_example_and_trained_split_from_the_log():
    account = customer("Voices", 10000)
    scores = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]
    for i, score in enumerate(scores):
        user = UserFactory(account=account)
        if i < 4:
            Interaction.objects.create(
                account=account, user=user, kind="learning.path_completed", occurred_at=at(date(2026, 6, 1))
            )
        Interaction.objects.create(
            account=account,
            user=user,
            kind="survey.response_submitted",
            subject_type="surveys.campaign",
            subject_id="1",
            value=score,
            occurred_at=at(date(2026, 8, 1)),
        )
    # A person's earlier answer in the same campaign is replaced by the later one.
    Interaction.objects.create(
        account=account,
        user=user,
        kind="survey.response_submitted",
        subject_type="surveys.campaign",
        subject_id="1",
        value=10,
        occurred_at=at(date(2026, 7, 1)),
    )
    nps = metrics.training_impact(period=Q3)["overall"].nps
    assert nps["overall"]["nps"] == 20
    assert nps["overall"]["n"] == 10
    assert nps["trained"]["n"] == 4 and nps["trained"]["nps"] == 100
    assert nps["untrained"]["n"] == 6 and nps["too_few"] is True  # 4 trained respondents


@pytest.mark.django_db
def test_training_impact_runs_in_two_queries(django_assert_num_queries):
    for i in range(5):
        renewal(customer(f"T{i}", 1000), date(2026, 8, 1), 1000)
    with django_assert_num_queries(2):
        metrics.training_impact(period=Q3)


@pytest.mark.parametrize("text", ["0001-01", "9999-Q1", "1899-12"])
def test_periods_outside_the_supported_years_are_refused_with_a_message(text):
    with pytest.raises(ValueError, match="out of range"):
        periods.parse(text)


@pytest.mark.parametrize(("k", "n", "shown"), [(1, 16, 6.3), (1, 8, 12.5), (5, 11, 45.5), (2, 3, 66.7)])
def test_percentages_round_half_away_from_zero_once(k, n, shown):
    proportion = metrics.Proportion(k, n)
    assert proportion.value == shown
    assert proportion.whole == {6.3: 6, 12.5: 13, 45.5: 45, 66.7: 67}[shown]
