"""The rollups of the interaction log the health recompute reads: folded incrementally, exactly
once, by the portal's days, safely beside concurrent writers; and the recompute's parallel path
gives the same snapshots as the sequential one."""

import threading
import time as clock
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction
from django.test import override_settings
from django.utils import timezone

from apps.analytics import rollups, services
from apps.analytics.models import FeatureDay, HealthConfig, HealthSnapshot, KindDay, PersonDay, RollupState
from apps.core.bulk import insert, upsert
from apps.interactions.models import Interaction
from tests.factories import AccountFactory, UserFactory

DAY = date(2026, 11, 20)
T = services.day_end(DAY)


def log(user, kind, when, **extra):
    return Interaction.objects.create(account=user.account, user=user, kind=kind, occurred_at=when, **extra)


def rollup_rows():
    return (
        sorted(
            KindDay.objects.values_list(
                "account_id", "day", "kind", "count", "urgent", "value_sum", "last_id"
            )
        ),
        sorted(
            PersonDay.objects.values_list("account_id", "user_id", "day", "actions", "trained", "certified")
        ),
        sorted(FeatureDay.objects.values_list("user_id", "day", "kind", "subject_id")),
    )


@pytest.fixture
def person(db):
    services.health_config_current()  # version 1 names the default core actions
    return UserFactory()


@pytest.mark.django_db
def test_fold_counts_each_interaction_once_and_agrees_with_a_rebuild(person):
    other = UserFactory(account=person.account)
    log(person, "learning.content_viewed", T - timedelta(hours=3))
    log(person, "portal.active_time", T - timedelta(hours=2), value=60)
    log(other, "support.ticket_opened", T - timedelta(hours=1), properties={"severity": "urgent"})
    rollups.fold()
    rollups.fold()  # nothing new: nothing changes
    log(person, "learning.content_viewed", T - timedelta(hours=1))
    log(person, "portal.active_time", T - timedelta(minutes=30), value=30)
    log(person, "product.feature_used", T - timedelta(minutes=20), subject_id="reports")
    log(person, "product.feature_used", T - timedelta(minutes=10), subject_id="reports")
    rollups.fold()
    folded = rollup_rows()
    rollups.rebuild()
    assert rollup_rows() == folded

    by_kind = {row.kind: row for row in KindDay.objects.filter(day=DAY)}
    assert by_kind["learning.content_viewed"].count == 2
    assert by_kind["portal.active_time"].value_sum == 90
    assert by_kind["support.ticket_opened"].urgent == 1
    latest = Interaction.objects.filter(kind="learning.content_viewed").latest("id")
    assert by_kind["learning.content_viewed"].last_id == latest.id
    # The ticket (a person's own act) counts as activity; the second person has their own row.
    assert PersonDay.objects.get(user=other).actions == 1
    assert FeatureDay.objects.filter(user=person).count() == 1  # one feature, used twice
    assert RollupState.objects.get().folded_through == Interaction.objects.latest("id").id


@pytest.mark.django_db
def test_late_events_are_added_to_their_own_day(person):
    log(person, "roadmap.update_read", T - timedelta(days=1))
    services.health_recompute(day=DAY)
    # An integration sends an old event after the day's recompute; the next one counts it.
    log(person, "community.vote_cast", T - timedelta(days=100))
    services.health_recompute(day=DAY)
    snapshot = HealthSnapshot.objects.get(account=person.account, date=DAY)
    assert {key: hit is not None for key, hit in snapshot.rules.items()} == {
        "content": False,
        "updates": True,
        "ideas": True,
    }
    assert KindDay.objects.get(kind="community.vote_cast").day == (T - timedelta(days=100)).date()


@pytest.mark.django_db
@override_settings(TIME_ZONE="Pacific/Auckland")
def test_days_are_the_portals_days(person):
    # 20 November 12:00 UTC is already 21 November in Auckland (UTC+13 in summer).
    log(person, "learning.content_viewed", datetime(2026, 11, 20, 12, tzinfo=UTC))
    rollups.fold()
    assert KindDay.objects.get().day == date(2026, 11, 21)
    assert PersonDay.objects.get().day == date(2026, 11, 21)


@pytest.mark.django_db
def test_events_without_an_account_stay_out(person):
    Interaction.objects.create(user=None, account=None, kind="learning.content_viewed", occurred_at=T)
    rollups.fold()
    assert not KindDay.objects.exists()
    assert RollupState.objects.get().folded_through == Interaction.objects.get().id


@pytest.mark.django_db
def test_a_kind_newly_named_a_core_action_is_backfilled(person, csm):
    today = timezone.localdate()
    for feature in ("a", "b", "c"):
        log(person, "product.session", timezone.now() - timedelta(days=2), subject_id=feature)
    services.health_recompute(day=today)
    snapshot = HealthSnapshot.objects.get(account=person.account, date=today)
    assert snapshot.figures["advanced_users"] == 0
    assert not FeatureDay.objects.filter(kind="product.session").exists()

    config = services.health_config_current()
    services.health_config_save(
        by=csm,
        rules=config.rules,
        weights=config.weights,
        red_below=40,
        green_from=70,
        core_kinds=["product.feature_used", "product.session"],
        advanced_min_features=3,
    )
    services.health_recompute(day=today)
    assert FeatureDay.objects.filter(kind="product.session").count() == 3
    later = HealthSnapshot.objects.get(account=person.account, date=today)
    assert later.figures["advanced_users"] == 1
    assert RollupState.objects.get().subject_kinds == ["product.feature_used", "product.session"]


@pytest.mark.django_db
def test_deleting_a_person_or_an_account_deletes_their_rollups(person):
    log(person, "learning.content_viewed", T - timedelta(hours=1))
    rollups.fold()
    account = person.account
    person.delete()
    assert not PersonDay.objects.exists() and KindDay.objects.exists()
    account.delete()
    assert not KindDay.objects.exists()


# --- concurrency (PostgreSQL) ---------------------------------------------------------------------


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's locks and concurrent transactions")


@pytest.mark.django_db(transaction=True)
def test_a_fold_waits_for_a_writer_whose_id_is_below_the_newest_committed_one():
    """The slow writer draws the lower id but commits last; a fold in between must neither skip
    its row for good nor count the other twice."""
    _postgres_only()
    services.health_config_current()
    person = UserFactory()
    drawn, release = threading.Event(), threading.Event()
    errors = []

    def slow_writer():
        try:
            with transaction.atomic():
                log(person, "learning.content_viewed", T - timedelta(hours=2))
                drawn.set()
                release.wait(10)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert drawn.wait(10)
    log(person, "learning.content_viewed", T - timedelta(hours=1))  # a higher id, committed first
    folder = threading.Thread(target=lambda: (rollups.fold(), connections.close_all()))
    folder.start()
    clock.sleep(0.3)
    assert folder.is_alive(), "the fold must wait for the open writer"
    release.set()
    writer.join(10)
    folder.join(10)
    assert not errors and not folder.is_alive()
    rollups.fold()
    assert KindDay.objects.get().count == 2
    assert RollupState.objects.get().folded_through == Interaction.objects.latest("id").id


@pytest.mark.django_db(transaction=True)
def test_parallel_and_sequential_recomputes_write_the_same_snapshots():
    _postgres_only()
    services.health_config_current()
    for n in range(4):
        account = AccountFactory(licensed_seats=5)
        people = [UserFactory(account=account) for _ in range(n + 1)]
        for i, user in enumerate(people):
            log(user, "learning.content_viewed", T - timedelta(days=i))
            log(user, "product.feature_used", T - timedelta(days=1), subject_id=f"f{i}")
            log(user, "survey.response_submitted", T - timedelta(days=3), value=9 - i * 3)
            log(user, "learning.course_completed", T - timedelta(days=200))

    def written():
        return sorted(
            HealthSnapshot.objects.filter(date=DAY).values_list(
                "account_id", "score", "band", "rules_met", "components", "rules", "figures"
            )
        )

    assert not connection.in_atomic_block
    services.health_recompute(day=DAY)  # each read on its own connection, at the same time
    parallel = written()
    HealthSnapshot.objects.all().delete()
    with transaction.atomic():  # inside a transaction: one after the other on this connection
        services.health_recompute(day=DAY)
    assert written() == parallel
    assert len(parallel) == 4


# --- the bulk upsert ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upsert_inserts_and_updates_on_the_unique_fields():
    account = AccountFactory()
    config = HealthConfig.objects.create(version=1)
    row = {
        "account_id": account.pk,
        "date": DAY,
        "config_id": config.pk,
        "score": 50.0,
        "band": "amber",
        "segment": account.segment,
        "arr": account.arr,
        "components": {"adoption": {"score": 50.0}},
        "rules": [{"key": "content", "passed": True, "label": "Viewed “content”"}],
        "figures": {},
    }
    upsert(HealthSnapshot, [row], unique_fields=["account", "date"], update_fields=["score", "band", "rules"])
    first = HealthSnapshot.objects.get()
    upsert(
        HealthSnapshot,
        [{**row, "score": 80.0, "band": "green"}],
        unique_fields=["account", "date"],
        update_fields=["score", "band", "rules"],
    )
    second = HealthSnapshot.objects.get()
    assert second.pk == first.pk
    assert (second.score, second.band) == (80.0, "green")
    assert second.rules[0]["label"] == "Viewed “content”"
    assert second.components == {"adoption": {"score": 50.0}}
    assert second.computed_at is not None  # a default filled in for a field the row left out


@pytest.mark.django_db
def test_the_command_can_rebuild_the_rollups(person):
    log(person, "learning.content_viewed", T - timedelta(hours=1))
    rollups.fold()
    KindDay.objects.update(count=99)  # say the rollups went wrong
    out = StringIO()
    call_command("recompute_health", "--date", DAY.isoformat(), "--rebuild-rollups", stdout=out)
    assert "Rollups rebuilt" in out.getvalue()
    assert KindDay.objects.get().count == 1
    assert HealthSnapshot.objects.get(account=person.account).figures["content_views"] == 1


@pytest.mark.django_db
def test_insert_refuses_a_row_that_exists_and_writes_nothing_then():
    account = AccountFactory()
    config = HealthConfig.objects.create(version=1)
    row = {
        "account_id": account.pk,
        "date": DAY,
        "config_id": config.pk,
        "segment": account.segment,
        "arr": account.arr,
        "rules": [],
    }
    insert(HealthSnapshot, [row])
    other = {**row, "account_id": AccountFactory().pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(HealthSnapshot, [other, row])
    assert HealthSnapshot.objects.count() == 1


@pytest.mark.django_db
def test_advanced_users_are_the_accounts_people_whatever_account_their_events_named(person, csm):
    """A person's features count for the account they belong to (events may name another account
    or none); staff using the product under a customer's account are never its advanced users."""
    today = timezone.localdate()
    now = timezone.now()
    moved = UserFactory()  # used the product at their old account, then moved to person's
    for feature in ("a", "b", "c"):
        log(moved, "product.feature_used", now - timedelta(days=2), subject_id=feature)
        Interaction.objects.create(
            account=None, user=person, kind="product.feature_used", occurred_at=now, subject_id=feature
        )
        Interaction.objects.create(
            account=person.account,
            user=csm,
            kind="product.feature_used",
            occurred_at=now - timedelta(hours=1),
            subject_id=feature,
        )
    moved.account = person.account
    moved.save(update_fields=["account"])
    services.health_recompute(day=today)
    snapshot = HealthSnapshot.objects.get(account=person.account, date=today)
    assert snapshot.figures["advanced_users"] == 2  # person and moved; not the CS manager


@pytest.mark.django_db
@override_settings(TIME_ZONE="UTC")
def test_the_rollups_refold_when_the_time_zone_changes(person):
    log(person, "learning.content_viewed", datetime(2026, 11, 20, 12, tzinfo=UTC))
    rollups.fold()
    assert KindDay.objects.get().day == date(2026, 11, 20)
    with override_settings(TIME_ZONE="Pacific/Auckland"):
        rollups.fold()
        assert KindDay.objects.get().day == date(2026, 11, 21)


@pytest.mark.django_db
def test_a_change_of_what_counts_as_activity_refolds(person, monkeypatch):
    log(person, "survey.invitation_sent", T - timedelta(hours=1))
    rollups.fold()
    assert PersonDay.objects.get().actions == 0  # an invitation is not the person's own act
    monkeypatch.setattr(rollups, "PASSIVE_KINDS", ())
    rollups.fold()
    assert PersonDay.objects.get().actions == 1


@pytest.mark.django_db(transaction=True)
def test_a_fold_gives_up_on_a_log_held_too_long_and_the_next_one_catches_up(monkeypatch):
    _postgres_only()
    services.health_config_current()
    person = UserFactory()
    log(person, "learning.content_viewed", T - timedelta(hours=2))
    monkeypatch.setattr(rollups, "LOCK_TIMEOUT", "200ms")
    holding, release = threading.Event(), threading.Event()

    def long_writer():
        with transaction.atomic():
            log(person, "learning.content_viewed", T - timedelta(hours=1))
            holding.set()
            release.wait(10)
        connections.close_all()

    writer = threading.Thread(target=long_writer)
    writer.start()
    assert holding.wait(10)
    assert rollups.fold() == 0  # nothing folded, no error
    release.set()
    writer.join(10)
    rollups.fold()
    assert KindDay.objects.get().count == 2
