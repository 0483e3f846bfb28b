"""The health score: default rules and windows, the weighted scorecard, bands, the daily snapshot
(idempotent, versioned), engagement by month, and agreement with an independent computation."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from apps.accounts.models import RenewalOutcome, Segment
from apps.analytics import metrics, periods, scoring, services
from apps.analytics.models import Band, HealthConfig, HealthSnapshot
from apps.interactions.models import Interaction
from tests.factories import AccountFactory, RenewalFactory, UserFactory

DAY = date(2026, 11, 20)
T = services.day_end(DAY)  # 2026-11-21 00:00


def log(user, kind, when, **extra):
    return Interaction.objects.create(account=user.account, user=user, kind=kind, occurred_at=when, **extra)


def snapshot(account, day=DAY):
    return HealthSnapshot.objects.get(account=account, date=day)


@pytest.fixture
def config(db):
    return services.health_config_current()


# --- pure scoring -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [(0, "red"), (39, "red"), (40, "amber"), (69, "amber"), (70, "green"), (100, "green"), (None, "none")],
)
def test_band_edges_red_below_40_amber_up_to_70_green_from_70(score, band):
    assert HealthConfig(red_below=40, green_from=70).band(score) == band


def test_overall_is_weighted_over_components_with_data_only():
    scores = {"adoption": 80.0, "engagement": 100 / 3, "proficiency": None, "sentiment": 50.0}
    scores["support"] = None
    weights = {"adoption": 2, "engagement": 1, "proficiency": 1, "sentiment": 1, "support": 1}
    score, parts = scoring.overall(scores, weights), scoring.component_parts(scores, weights)
    # (2 x 80 + 33.33 + 50) / 4 = 60.83 -> 61
    assert score == 61
    assert parts["proficiency"] == {"score": None, "weight": 1.0, "contribution": None}
    assert sum(p["contribution"] for p in parts.values() if p["contribution"]) == pytest.approx(
        60.8333, abs=1e-3
    )


def test_no_component_with_data_means_no_score():
    scores, weights = dict.fromkeys(["adoption", "engagement"]), {"adoption": 1, "engagement": 1}
    assert scoring.overall(scores, weights) is None
    assert all(part["contribution"] is None for part in scoring.component_parts(scores, weights).values())


def test_a_zero_weight_component_is_left_out():
    scores, weights = {"adoption": 10.0, "engagement": 90.0}, {"adoption": 0, "engagement": 1}
    score, parts = scoring.overall(scores, weights), scoring.component_parts(scores, weights)
    assert score == 90
    assert parts["engagement"]["contribution"] == 90.0
    assert parts["adoption"]["contribution"] is None


def test_half_points_round_away_from_zero():
    assert scoring.overall({"adoption": 40.5}, {"adoption": 1}) == 41


@pytest.mark.parametrize(
    ("before", "now", "threshold", "flag"),
    [
        (100, 75, 0.25, False),
        (100, 74, 0.25, True),
        (0, 0, 0.25, False),
        (10, 20, 0.25, False),
        # 0.3 has no exact binary form: a fall of exactly 30% is not beyond it.
        (10, 7, 0.3, False),
        (1000, 699, 0.3, True),
        (3, 0, 1.0, False),
    ],
)
def test_content_drop_is_flagged_beyond_the_threshold(before, now, threshold, flag):
    counts = scoring.AccountCounts(content_views=now, content_views_before=before)
    assert scoring.engagement_drop(counts, threshold) is flag


def test_zero_seats_is_no_data_for_adoption_and_overage_is_flagged(config):
    no_seats = scoring.score_account(scoring.AccountCounts(licensed_seats=0, active_users=3), config)
    assert no_seats.components["adoption"] is None
    assert no_seats.figures["utilisation"] is None
    over = scoring.score_account(scoring.AccountCounts(licensed_seats=4, active_users=6), config)
    assert over.components["adoption"] == 100.0
    assert over.figures["utilisation"] == 1.5 and over.figures["overage"] is True


# --- the default rules over the log -------------------------------------------------------------


@pytest.mark.django_db
def test_default_rules_and_their_windows_are_half_open(config):
    account = AccountFactory(licensed_seats=0)
    user = UserFactory(account=account)
    content = log(user, "learning.content_viewed", T - timedelta(days=30))  # first instant: inside
    log(user, "roadmap.update_read", T - timedelta(days=60, seconds=1))  # just outside 60 days
    log(user, "community.vote_cast", T)  # t itself: outside
    services.health_recompute(day=DAY)
    snap = snapshot(account)
    # Only the satisfying interactions are stored; the rules' labels and windows are the config's.
    assert snap.rules == {"content": content.pk, "updates": None, "ideas": None}
    results = scoring.rule_results(snap.rules, snap.config)
    assert [(r["key"], r["passed"], r["window_days"]) for r in results] == [
        ("content", True, 30),
        ("updates", False, 60),
        ("ideas", False, 180),
    ]
    assert results[0]["interaction_id"] == content.pk
    assert snap.rules_met == 1 and snap.engaged is False
    assert snap.engagement_score == pytest.approx(100 / 3)


@pytest.mark.django_db
def test_each_rule_names_the_latest_interaction_that_satisfied_it(config):
    user = UserFactory()
    log(user, "community.idea_submitted", T - timedelta(days=100))
    latest = log(user, "community.vote_cast", T - timedelta(days=3))
    log(user, "community.question_viewed", T - timedelta(days=2))
    log(user, "roadmap.update_read", T - timedelta(days=59))
    services.health_recompute(day=DAY)
    snap = snapshot(user.account)
    assert snap.engaged and snap.rules_met == 3
    assert snap.rules["ideas"] == latest.pk


@pytest.mark.django_db
def test_components_from_the_log(config):
    account = AccountFactory(licensed_seats=4)
    people = [UserFactory(account=account, date_joined=T - timedelta(days=400)) for _ in range(4)]
    UserFactory(account=account)  # joined after the day: not in the denominator
    log(people[0], "account.login", T - timedelta(days=1))
    log(people[1], "account.login", T - timedelta(days=29))
    log(people[2], "account.login", T - timedelta(days=31))  # not active
    log(people[0], "learning.course_completed", T - timedelta(days=200))
    log(people[1], "certification.earned", T - timedelta(days=10))
    log(people[0], "survey.response_submitted", T - timedelta(days=20), value=10)
    log(people[1], "survey.response_submitted", T - timedelta(days=20), value=3)
    log(people[1], "survey.response_submitted", T - timedelta(days=5), value=9)  # replaces the 3
    services.health_recompute(day=DAY)
    snap = snapshot(account)
    assert snap.figures["active_users"] == 2
    assert snap.components["adoption"] == 50.0
    assert snap.components["proficiency"] == 25.0  # (1/4 trained + 1/4 certified) / 2
    assert snap.components["sentiment"] == 100.0  # two promoters
    assert snap.components["support"] is None  # no ticket events at all
    assert snap.components["engagement"] == 0.0
    # (50 + 0 + 25 + 100) / 4 = 43.75 -> 44
    assert snap.score == 44 and snap.band == Band.AMBER


@pytest.mark.django_db
def test_support_component_from_ticket_events(config):
    user = UserFactory()
    log(user, "support.ticket_opened", T - timedelta(days=3), properties={"severity": "urgent"})
    log(user, "support.ticket_opened", T - timedelta(days=4), properties={"severity": "low"})
    log(user, "support.ticket_closed", T - timedelta(days=100))
    services.health_recompute(day=DAY)
    snap = snapshot(user.account)
    assert snap.figures["tickets_opened"] == 2 and snap.figures["urgent_tickets"] == 1
    assert snap.components["support"] == 100 - 2 * 10 - 25


@pytest.mark.django_db
def test_an_account_without_any_data_is_scored_no_data(config):
    account = AccountFactory(licensed_seats=0)
    services.health_recompute(day=DAY)
    snap = snapshot(account)
    # Engagement always has data (rules failing is a fact), everything else is left out.
    assert snap.score == 0 and snap.band == Band.RED
    left_out = sorted(name for name, score in snap.components.items() if score is None)
    assert left_out == ["adoption", "proficiency", "sentiment", "support"]


# --- the daily snapshot -------------------------------------------------------------------------


@pytest.mark.django_db
def test_recomputing_the_same_day_twice_changes_nothing(config):
    users = [UserFactory() for _ in range(3)]
    for i, user in enumerate(users):
        log(user, "learning.content_viewed", T - timedelta(days=i + 1))
    services.health_recompute(day=DAY)
    first = list(HealthSnapshot.objects.order_by("pk").values())
    assert services.health_recompute(day=DAY) == 3
    assert list(HealthSnapshot.objects.order_by("pk").values()) == first


@pytest.mark.django_db
def test_snapshots_say_which_config_version_produced_them(config, csm):
    user = UserFactory()
    services.health_recompute(day=DAY - timedelta(days=1))
    newer = services.health_config_save(
        by=csm,
        rules=config.rules,
        weights={"adoption": 0, "engagement": 1},
        red_below=50,
        green_from=80,
        note="Engagement only",
    )
    HealthConfig.objects.filter(pk=newer.pk).update(created_at=T - timedelta(hours=12))
    services.health_recompute(day=DAY)
    assert snapshot(user.account, DAY - timedelta(days=1)).config == config
    assert snapshot(user.account).config == newer and newer.version == 2


@pytest.mark.django_db
def test_segment_config_applies_to_its_segment_only(config, csm):
    ent, smb = AccountFactory(segment=Segment.ENTERPRISE), AccountFactory(segment=Segment.SMB)
    ent_config = services.health_config_save(
        by=csm,
        segment=Segment.ENTERPRISE,
        rules=config.rules[:1],
        weights={"engagement": 1},
        red_below=10,
        green_from=20,
    )
    HealthConfig.objects.filter(pk=ent_config.pk).update(created_at=T - timedelta(days=1))
    services.health_recompute(day=DAY)
    assert snapshot(ent).config == ent_config and len(snapshot(ent).rules) == 1
    assert snapshot(smb).config == config and len(snapshot(smb).rules) == 3


@pytest.mark.django_db
def test_only_accounts_that_were_customers_that_day_are_scored(config):
    current = AccountFactory()
    future = AccountFactory(contract_start=DAY + timedelta(days=1))
    lost = AccountFactory(status="churned")
    RenewalFactory(
        account=lost, close_date=DAY - timedelta(days=5), renewed_value=0, outcome=RenewalOutcome.LOST
    )
    was_customer = AccountFactory(status="churned")
    RenewalFactory(
        account=was_customer, close_date=DAY + timedelta(days=5), renewed_value=0, outcome=RenewalOutcome.LOST
    )
    services.health_recompute(day=DAY)
    assert set(HealthSnapshot.objects.values_list("account_id", flat=True)) == {current.pk, was_customer.pk}
    assert future.pk and lost.pk


@pytest.mark.django_db
def test_refreshing_one_account_leaves_the_others_alone(config):
    a, b = UserFactory(), UserFactory()
    services.health_recompute(day=DAY)
    before_b = snapshot(b.account).figures
    log(a, "learning.content_viewed", T - timedelta(hours=1))
    log(b, "learning.content_viewed", T - timedelta(hours=1))
    assert services.health_recompute(day=DAY, account_ids=[a.account_id]) == 1
    assert snapshot(a.account).rules["content"] is not None
    assert snapshot(b.account).figures == before_b


@pytest.mark.django_db
def test_recompute_query_count_does_not_grow_with_accounts(config, django_assert_num_queries):
    def build(n):
        for _ in range(n):
            user = UserFactory()
            log(user, "learning.content_viewed", T - timedelta(days=1))
            log(user, "survey.response_submitted", T - timedelta(days=1), value=9)

    build(2)
    services.health_recompute(day=DAY)  # the watermark and the day's snapshots exist from here on
    build(2)
    # PostgreSQL adds the SHARE lock, the transaction settings and the COPY staging statements.
    expected = 33 if connection.vendor == "postgresql" else 27
    with django_assert_num_queries(expected) as few:  # folds the new interactions, computes, updates
        services.health_recompute(day=DAY)
    build(10)
    with django_assert_num_queries(len(few.captured_queries)):
        services.health_recompute(day=DAY)


@pytest.mark.django_db
def test_recompute_health_command(config):
    UserFactory()
    call_command("recompute_health", "--date", "2026-11-20", "--days", "3")
    assert sorted({s.isoformat() for s in HealthSnapshot.objects.values_list("date", flat=True)}) == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("recompute_health", "--date", "20-11-2026")
    with pytest.raises(CommandError):
        call_command("recompute_health", "--days", "0")


@pytest.mark.django_db
def test_the_beat_task_computes_yesterday_and_today(config):
    from apps.analytics.tasks import recompute_health

    UserFactory()
    assert recompute_health.delay().get() == 2
    today = timezone.localdate()
    assert set(HealthSnapshot.objects.values_list("date", flat=True)) == {today, today - timedelta(days=1)}


# --- config validation --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rules": []}, "at least one"),
        ({"red_below": 80, "green_from": 70}, "Bands"),
        ({"weights": dict.fromkeys(["adoption", "engagement"], 0)}, "at least one component"),
        ({"engaged_min_rules": 4}, "1 to 3"),
        (
            {"rules": [{"key": "x", "kinds": ["no.such_kind"], "window_days": 30, "weight": 1}]},
            "interaction kinds",
        ),
        ({"rules": [{"key": "x", "kinds": ["account.login"], "window_days": 0, "weight": 1}]}, "window"),
        (
            {"rules": [{"key": "x; drop", "kinds": ["account.login"], "window_days": 9, "weight": 1}]},
            "its key",
        ),
    ],
)
def test_config_save_refuses_bad_settings(config, csm, change, message):
    arguments = {
        "by": csm,
        "rules": config.rules,
        "weights": config.weights,
        "red_below": 40,
        "green_from": 70,
        **change,
    }
    with pytest.raises(services.AnalyticsError, match=message):
        services.health_config_save(**arguments)
    assert HealthConfig.objects.count() == 1


@pytest.mark.django_db
def test_only_cs_managers_change_the_rules(config, carol, content):
    for person in (carol, content):
        with pytest.raises(services.AnalyticsError):
            services.health_config_save(
                by=person, rules=config.rules, weights=config.weights, red_below=40, green_from=70
            )


# --- engagement by month and the backtest -------------------------------------------------------


@pytest.mark.django_db
def test_percent_engaged_by_month_segment_and_arr_band(config):
    small = [AccountFactory(segment=Segment.SMB, arr=Decimal(10000)) for _ in range(4)]
    big = AccountFactory(segment=Segment.ENTERPRISE, arr=Decimal(600000))
    people = {a.pk: UserFactory(account=a) for a in [*small, big]}
    oct_end, nov_day = date(2026, 10, 31), date(2026, 11, 20)
    for account in small[:1]:  # October: 1 of 5 engaged
        user = people[account.pk]
        for kind in ("learning.content_viewed", "roadmap.update_read", "community.vote_cast"):
            log(user, kind, services.day_end(oct_end) - timedelta(days=1))
    services.health_recompute(day=date(2026, 10, 15))  # not the month's last snapshot: ignored
    services.health_recompute(day=oct_end)
    for account in [*small[:3], big]:  # November: 4 of 5 engaged
        user = people[account.pk]
        for kind in ("learning.content_viewed", "roadmap.update_read", "community.vote_cast"):
            log(user, kind, services.day_end(nov_day) - timedelta(days=1))
    services.health_recompute(day=nov_day)
    result = metrics.engagement_by_month(months=periods.last_months(nov_day, 3))
    overall = result["all"][0]["points"]
    assert [p["month"] for p in overall] == ["2026-09", "2026-10", "2026-11"]
    assert overall[0]["percent"] is None and overall[0]["n"] == 0
    assert (overall[1]["engaged"], overall[1]["n"], overall[1]["percent"]) == (1, 5, 20.0)
    assert (overall[2]["engaged"], overall[2]["percent"], overall[2]["change"]) == (4, 80.0, 60.0)
    smb = next(s for s in result["segment"] if s["key"] == Segment.SMB)["points"][2]
    assert (smb["engaged"], smb["n"], smb["too_few"]) == (3, 4, True)
    top = next(s for s in result["arr_band"] if s["key"] == "500k_plus")["points"][2]
    assert (top["engaged"], top["n"]) == (1, 1)


@pytest.mark.django_db
def test_backtest_uses_the_band_90_days_before_the_close(config):
    close = date(2026, 9, 1)
    red, green = AccountFactory(), AccountFactory()
    HealthSnapshot.objects.create(
        account=red,
        date=close - timedelta(days=95),
        config=config,
        score=20,
        band="red",
        segment="smb",
        arr=1,
    )
    HealthSnapshot.objects.create(
        account=red,
        date=close - timedelta(days=10),
        config=config,
        score=90,
        band="green",
        segment="smb",
        arr=1,
    )
    HealthSnapshot.objects.create(
        account=green,
        date=close - timedelta(days=90),
        config=config,
        score=90,
        band="green",
        segment="smb",
        arr=1,
    )
    RenewalFactory(account=red, close_date=close, renewed_value=0, outcome=RenewalOutcome.LOST)
    RenewalFactory(account=green, close_date=close)
    rows = {row["band"]: row for row in metrics.score_backtest(start=date(2026, 1, 1), end=date(2026, 12, 1))}
    assert (rows["red"]["k"], rows["red"]["n"]) == (0, 1)
    assert (rows["green"]["k"], rows["green"]["n"]) == (1, 1)
    assert rows["amber"]["n"] == 0 and rows["amber"]["percent"] is None


# --- an independent computation of the default rules -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [7, 8])
def test_snapshot_agrees_with_an_independent_computation(config, seed):
    rng = random.Random(seed)
    kinds = [
        "learning.content_viewed",
        "community.question_viewed",
        "roadmap.update_read",
        "community.vote_cast",
        "community.idea_submitted",
        "account.login",
        "learning.course_completed",
    ]
    accounts = [AccountFactory(licensed_seats=rng.choice([0, 3, 8])) for _ in range(8)]
    rows = []
    for account in accounts:
        people = [UserFactory(account=account) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(0, 12)):
            rows.append(
                Interaction(
                    account=account,
                    user=rng.choice(people),
                    kind=rng.choice(kinds),
                    occurred_at=T - timedelta(minutes=rng.randint(0, 240 * 24 * 60)),
                )
            )
    Interaction.objects.bulk_create(rows)
    services.health_recompute(day=DAY)
    windows = {"content": (30, kinds[:2]), "updates": (60, kinds[2:3]), "ideas": (180, kinds[3:5])}
    for account in accounts:
        mine = list(Interaction.objects.filter(account=account))
        passed = {
            key: any(r.kind in ks and T - timedelta(days=days) <= r.occurred_at < T for r in mine)
            for key, (days, ks) in windows.items()
        }
        active = {r.user_id for r in mine if T - timedelta(days=30) <= r.occurred_at < T}
        snap = snapshot(account)
        assert {key: hit is not None for key, hit in snap.rules.items()} == passed
        assert snap.figures["active_users"] == len(active)
        engagement = 100 * sum(passed.values()) / 3
        assert snap.components["engagement"] == pytest.approx(engagement)
        if account.licensed_seats:
            assert snap.components["adoption"] == pytest.approx(
                min(100, 100 * len(active) / account.licensed_seats)
            )


def test_day_end_is_midnight_after_the_day_in_the_portal_zone():
    assert services.day_end(date(2026, 1, 31)) == timezone.make_aware(
        datetime.combine(date(2026, 2, 1), time.min)
    )


@pytest.mark.django_db
def test_basic_and_advanced_users_by_distinct_core_features(config):
    account = AccountFactory(licensed_seats=10)
    power, casual, idle = (UserFactory(account=account, date_joined=T - timedelta(days=90)) for _ in range(3))
    for feature in ("reports", "alerts", "api"):
        log(power, "product.feature_used", T - timedelta(days=2), subject_type="feature", subject_id=feature)
    for _ in range(5):  # many uses of one feature are still one feature
        log(
            casual,
            "product.feature_used",
            T - timedelta(days=2),
            subject_type="feature",
            subject_id="reports",
        )
    log(idle, "product.feature_used", T - timedelta(days=40), subject_type="feature", subject_id="alerts")
    services.health_recompute(day=DAY)
    figures = snapshot(account).figures
    assert (figures["advanced_users"], figures["basic_users"], figures["active_users"]) == (1, 1, 2)
    assert figures["advanced_share"] == 0.1 and figures["basic_share"] == 0.1


# --- review fixes: versions in force, concurrent saves, limits ---------------------------------


@pytest.mark.django_db
def test_recomputing_a_past_day_keeps_the_rules_in_force_then(config, csm):
    UserFactory()
    services.health_recompute(day=DAY)
    assert HealthSnapshot.objects.get().config == config
    newer = services.health_config_save(
        by=csm, rules=config.rules, weights=config.weights, red_below=50, green_from=80, note="stricter"
    )
    HealthConfig.objects.filter(pk=newer.pk).update(created_at=T + timedelta(days=2))
    services.health_recompute(day=DAY)  # the hourly job re-scores yesterday, say
    assert set(HealthSnapshot.objects.values_list("config", flat=True)) == {config.pk}
    services.health_recompute(day=DAY + timedelta(days=3))
    assert HealthSnapshot.objects.get(date=DAY + timedelta(days=3)).config == newer


@pytest.mark.django_db
def test_a_segment_rule_saved_later_does_not_apply_to_earlier_days(config, csm):
    account = AccountFactory(segment=Segment.SMB)
    later = services.health_config_save(
        by=csm, segment=Segment.SMB, rules=config.rules, weights=config.weights, red_below=40, green_from=70
    )
    HealthConfig.objects.filter(pk=later.pk).update(created_at=T + timedelta(days=1))
    services.health_recompute(day=DAY)
    assert snapshot(account).config == config


@pytest.mark.django_db
def test_at_most_twenty_rules(config, csm):
    rules = [{**config.rules[0], "key": f"r{i}"} for i in range(21)]
    with pytest.raises(services.AnalyticsError, match="at most 20"):
        services.health_config_save(by=csm, rules=rules, weights=config.weights, red_below=40, green_from=70)


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_each_get_their_own_version():
    import threading

    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    csm = UserFactory(cs_manager=True)
    config = services.health_config_current()
    errors, barrier = [], threading.Barrier(4)

    def save(n):
        try:
            barrier.wait()
            services.health_config_save(
                by=csm, rules=config.rules, weights=config.weights, red_below=40, green_from=70, note=f"#{n}"
            )
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(HealthConfig.objects.values_list("version", flat=True)) == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_vendor_side_events_do_not_make_anyone_active(config):
    account = AccountFactory(licensed_seats=4)
    user = UserFactory(account=account)
    log(user, "support.ticket_closed", T - timedelta(days=1))
    log(user, "crm.meeting", T - timedelta(days=1))
    log(user, "survey.invitation_sent", T - timedelta(days=1))
    services.health_recompute(day=DAY)
    assert snapshot(account).figures["active_users"] == 0
    assert snapshot(account).figures["visit_days"] == 0


def test_a_snapshot_in_the_earlier_layout_reads_the_same(config):
    """A worker still on the previous release may write a snapshot in the earlier layout while a
    release is rolled out; the page and the API read it as the current one."""
    scores = {"adoption": 50.0, "engagement": 100.0, "proficiency": None}
    earlier = {name: {"score": score, "weight": 9.0, "contribution": None} for name, score in scores.items()}
    assert scoring.component_parts(earlier, config.weights) == scoring.component_parts(scores, config.weights)
    hits = {"content": 7, "updates": None, "ideas": None}
    earlier_rules = [
        {"key": "content", "passed": True, "interaction_id": 7},
        {"key": "updates", "passed": False, "interaction_id": None},
        {"key": "ideas", "passed": False, "interaction_id": 3},  # not met: its id is not shown
    ]
    assert scoring.rule_results(earlier_rules, config) == scoring.rule_results(hits, config)


def test_a_snapshot_that_recorded_no_rules_shows_none(config):
    assert scoring.rule_results({}, config) == []
    assert [rule["key"] for rule in scoring.rule_results({"content": None}, config)] == [
        "content",
        "updates",
        "ideas",
    ]
