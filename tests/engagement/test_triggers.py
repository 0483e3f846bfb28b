"""Every trigger kind of engagement moments: calendar, contract, milestone non-events with their
windows (across month ends and time zones), events from the log and from analytics; the action a
moment takes (task or message); and idempotency."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import TouchModel
from apps.analytics.health_events import health_changes_raise
from apps.analytics.models import HealthSnapshot
from apps.analytics.services import health_config_current
from apps.engagement import services, triggers
from apps.engagement.models import (
    Action,
    Audience,
    EventKind,
    Milestone,
    MilestoneReached,
    MomentOccurrence,
    OccurrenceStatus,
    Priority,
    Recurrence,
    Task,
    TaskStatus,
    TriggerType,
)
from apps.interactions.models import Interaction
from apps.interactions.services import record
from apps.notifications.models import Notification
from tests.engagement.factories import EngagementModelFactory, MomentFactory
from tests.factories import AccountFactory, UserFactory


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def high(csm):
    """A high-touch account with a CS manager, following a model."""
    account = AccountFactory(touch_model=TouchModel.HIGH, cs_manager=csm, contract_start=date(2026, 1, 31))
    admin = UserFactory(account=account, customer_admin=True)
    model = EngagementModelFactory(name="High touch")
    services.model_assign(account=account, model=model)
    return {"account": account, "model": model, "admin": admin}


@pytest.fixture
def low(db):
    account = AccountFactory(touch_model=TouchModel.LOW, cs_manager=None, contract_start=date(2026, 1, 31))
    admin = UserFactory(account=account, customer_admin=True)
    model = EngagementModelFactory(name="Low touch")
    services.model_assign(account=account, model=model)
    return {"account": account, "model": model, "admin": admin}


# --- calendar -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "day", "key", "start"),
    [
        (Recurrence.WEEKLY, date(2026, 12, 31), "2026-W53", date(2026, 12, 28)),
        (Recurrence.WEEKLY, date(2027, 1, 3), "2026-W53", date(2026, 12, 28)),
        (Recurrence.MONTHLY, date(2026, 1, 31), "2026-01", date(2026, 1, 1)),
        (Recurrence.MONTHLY, date(2026, 2, 1), "2026-02", date(2026, 2, 1)),
        (Recurrence.QUARTERLY, date(2026, 3, 31), "2026-Q1", date(2026, 1, 1)),
        (Recurrence.QUARTERLY, date(2026, 4, 1), "2026-Q2", date(2026, 4, 1)),
        (Recurrence.ANNUAL, date(2026, 12, 31), "2026", date(2026, 1, 1)),
    ],
)
def test_period_keys_follow_the_calendar_across_month_and_year_ends(recurrence, day, key, start):
    assert triggers.period_key(recurrence, day) == (key, start)


@pytest.mark.django_db
def test_a_monthly_moment_happens_once_per_month_per_account(high):
    moment = MomentFactory(model=high["model"], trigger=TriggerType.CALENDAR, recurrence=Recurrence.MONTHLY)
    assert triggers.evaluate_calendar(today=date(2026, 3, 1)) == 1
    assert triggers.evaluate_calendar(today=date(2026, 3, 31)) == 0  # same month: nothing new
    assert triggers.evaluate_calendar(today=date(2026, 4, 1)) == 1
    keys = sorted(MomentOccurrence.objects.filter(moment=moment).values_list("key", flat=True))
    assert keys == ["2026-03", "2026-04"]
    assert Task.objects.filter(account=high["account"]).count() == 2


@pytest.mark.django_db
def test_the_annual_review_falls_in_the_contract_anniversary_month(high):
    MomentFactory(model=high["model"], trigger=TriggerType.CALENDAR, recurrence=Recurrence.ANNUAL)
    assert triggers.evaluate_calendar(today=date(2026, 12, 15)) == 0
    assert triggers.evaluate_calendar(today=date(2027, 1, 10)) == 1  # contract started in January
    review = MomentOccurrence.objects.get()
    assert timezone.localdate(review.happened_at) == date(2027, 1, 31)  # on the anniversary itself
    assert review.due_on == date(2027, 2, 7)


@pytest.mark.django_db
def test_closing_an_escalation_does_not_reach_a_milestone_the_log_decides(high, csm):
    milestone_moment(high["model"], action=Action.TASK)
    triggers.evaluate_milestones(today=date(2026, 3, 10))
    services.task_complete(task=Task.objects.get(), by=csm, channel="call", notes="Chased them")
    assert not MilestoneReached.objects.filter(milestone=Milestone.ACTIVATED).exists()


@pytest.mark.django_db
def test_calendar_periods_are_the_portal_time_zone_days(high):
    MomentFactory(model=high["model"], trigger=TriggerType.CALENDAR, recurrence=Recurrence.MONTHLY)
    late_utc = timezone.make_aware(datetime(2026, 11, 30, 12, 30), timezone=timezone.get_fixed_timezone(0))
    with override_settings(TIME_ZONE="Pacific/Auckland"):  # 13 hours ahead: already 1 December
        triggers.evaluate_all(now=late_utc)
    with override_settings(TIME_ZONE="America/Los_Angeles"):  # still 30 November (04:30)
        triggers.evaluate_all(now=late_utc)
    assert sorted(MomentOccurrence.objects.values_list("key", flat=True)) == ["2026-11", "2026-12"]


# --- contract -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_kick_off_a_week_after_the_contract_starts(high, csm):
    moment = MomentFactory(
        model=high["model"],
        trigger=TriggerType.CONTRACT,
        offset_days=7,
        milestone=Milestone.KICKOFF,
        action=Action.TASK,
    )
    assert triggers.evaluate_contract(today=date(2026, 2, 6)) == 0  # day 6
    assert triggers.evaluate_contract(today=date(2026, 2, 7)) == 1  # day 7
    assert triggers.evaluate_contract(today=date(2026, 2, 8)) == 0  # once
    task = Task.objects.get(occurrence__moment=moment)
    assert task.assignee == csm and task.account == high["account"]
    assert "7 days after the contract started on 31 Jan 2026" in task.trigger["text"]
    # Doing the kick-off reaches the milestone, at the moment the meeting took place.
    services.task_complete(
        task=task, by=csm, channel="meeting", notes="Went well", occurred_at=at(date(2026, 2, 9))
    )
    reached = MilestoneReached.objects.get(account=high["account"], milestone=Milestone.KICKOFF)
    assert reached.reached_at == at(date(2026, 2, 9))
    assert Interaction.objects.filter(kind="engagement.meeting", account=high["account"]).count() == 1


@pytest.mark.django_db
def test_contract_moments_are_not_raised_for_long_standing_accounts(high):
    MomentFactory(model=high["model"], trigger=TriggerType.CONTRACT, offset_days=7)
    assert triggers.evaluate_contract(today=date(2026, 6, 1)) == 0


# --- milestone non-events -----------------------------------------------------------------------


def milestone_moment(model, milestone=Milestone.ACTIVATED, window=30, users=2, action=Action.AUTO):
    return MomentFactory(
        model=model,
        trigger=TriggerType.MILESTONE,
        milestone=milestone,
        offset_days=window,
        params={"users": users},
        action=action,
        audience=Audience.ADMINS,
        message_subject="Let's get your team started",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("today", "missed"), [(date(2026, 3, 2), False), (date(2026, 3, 3), True)])
def test_a_missed_window_ends_with_its_last_day_across_the_month_end(high, today, missed):
    # Contract 31 January + 30 days = 2 March (2026 is not a leap year).
    milestone_moment(high["model"])
    assert triggers.evaluate_milestones(today=today) == int(missed)
    if missed:
        task = Task.objects.get(account=high["account"])
        assert task.priority == Priority.HIGH
        assert "due by 2 Mar 2026" in task.trigger["text"]


@pytest.mark.django_db
def test_a_reached_milestone_does_not_escalate(high):
    milestone_moment(high["model"], users=2)
    for _ in range(2):
        record(
            kind="account.login", user=UserFactory(account=high["account"]), occurred_at=at(date(2026, 2, 10))
        )
    assert triggers.evaluate_milestones(today=date(2026, 4, 1)) == 0
    reached = MilestoneReached.objects.get(account=high["account"], milestone=Milestone.ACTIVATED)
    assert reached.reached_at == at(date(2026, 2, 10)) and reached.source == "2 people signed in"


@pytest.mark.django_db
def test_initial_training_is_detected_from_the_first_completion(high):
    milestone_moment(high["model"], milestone=Milestone.INITIAL_TRAINING, window=60)
    person = UserFactory(account=high["account"])
    record(kind="learning.course_completed", user=person, occurred_at=at(date(2026, 3, 5)))
    record(kind="learning.path_completed", user=person, occurred_at=at(date(2026, 3, 20)))
    triggers.evaluate_milestones(today=date(2026, 3, 21))
    reached = MilestoneReached.objects.get(account=high["account"], milestone=Milestone.INITIAL_TRAINING)
    assert reached.reached_at == at(date(2026, 3, 5))


@pytest.mark.django_db
def test_a_low_touch_account_gets_an_automated_message_instead_of_a_task(low):
    milestone_moment(low["model"])
    assert triggers.evaluate_milestones(today=date(2026, 3, 10)) == 1
    assert triggers.evaluate_milestones(today=date(2026, 3, 11)) == 0  # escalates once
    assert not Task.objects.exists()
    note = Notification.objects.get(user=low["admin"])
    assert note.title == "Let's get your team started" and note.category == "customer_success"
    assert Interaction.objects.filter(kind="engagement.message", user=low["admin"]).count() == 1
    occurrence = MomentOccurrence.objects.get()
    assert occurrence.messaged_at is not None and occurrence.key == "missed"


@pytest.mark.django_db
def test_both_sends_a_message_and_creates_a_task(high, mailoutbox):
    milestone_moment(high["model"], action=Action.BOTH)
    triggers.evaluate_milestones(today=date(2026, 3, 10))
    assert Task.objects.count() == 1 and Notification.objects.filter(user=high["admin"]).count() == 1


# --- events from the log ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_detractor_answer_creates_a_task_right_after_commit(high, django_capture_on_commit_callbacks):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.DETRACTOR)
    person = UserFactory(account=high["account"], full_name="Dee Tractor")
    with django_capture_on_commit_callbacks(execute=True):
        answer = record(kind="survey.response_submitted", user=person, value=3)
    task = Task.objects.get()
    assert task.contact == person and task.priority == Priority.HIGH
    assert task.trigger["interaction_id"] == answer.pk
    assert "Dee Tractor answered 3" in task.trigger["text"]
    assert task.trigger["url"] == f"/engagement/detractors/{answer.pk}/"
    # The periodic sweep finds the same answer again and creates nothing.
    assert triggers.evaluate_all(now=timezone.now() + timedelta(minutes=1))["interactions"] == 0


@pytest.mark.django_db
def test_passives_and_promoters_do_not_trigger_detractor_moments(high, django_capture_on_commit_callbacks):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.DETRACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        for score in (7, 9):
            record(kind="survey.response_submitted", user=UserFactory(account=high["account"]), value=score)
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_a_high_severity_ticket_from_an_integration_is_caught_by_the_sweep(high):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.SUPPORT_URGENT)
    now = timezone.now()
    Interaction.objects.bulk_create(  # what the ingestion API writes: no signal per row
        [
            Interaction(
                account=high["account"],
                kind="support.ticket_opened",
                properties={"severity": "urgent"},
                occurred_at=now - timedelta(hours=1),
                subject_id="T-1",
            ),
            Interaction(
                account=high["account"],
                kind="support.ticket_opened",
                properties={"severity": "low"},
                occurred_at=now - timedelta(hours=1),
                subject_id="T-2",
            ),
        ]
    )
    assert triggers.evaluate_all(now=now)["interactions"] == 1
    assert "urgent-severity support ticket T-1" in Task.objects.get().trigger["text"]


@pytest.mark.django_db
def test_accounts_not_following_the_model_are_left_alone(high, django_capture_on_commit_callbacks):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.DETRACTOR)
    stranger = UserFactory()  # another account, no model
    with django_capture_on_commit_callbacks(execute=True):
        record(kind="survey.response_submitted", user=stranger, value=0)
    assert not MomentOccurrence.objects.exists()


@pytest.mark.django_db
def test_a_new_release_reaches_the_accounts_of_its_segments(high, low, content):
    from apps.roadmap.models import ProductUpdate

    MomentFactory(
        model=high["model"], trigger=TriggerType.EVENT, event=EventKind.PRODUCT_RELEASE, action=Action.MESSAGE
    )
    MomentFactory(
        model=low["model"], trigger=TriggerType.EVENT, event=EventKind.PRODUCT_RELEASE, action=Action.MESSAGE
    )
    high["account"].segment = "enterprise"
    high["account"].save()
    ProductUpdate.objects.create(
        title="Spring release",
        body="New",
        segments=["enterprise"],
        published_at=timezone.now() - timedelta(hours=1),
    )
    assert triggers.evaluate_releases(since=timezone.now() - timedelta(days=1)) == 1
    assert Notification.objects.filter(user=high["admin"], title="A note from your success team").exists()
    assert not Notification.objects.filter(user=low["admin"]).exists()
    assert triggers.evaluate_releases(since=timezone.now() - timedelta(days=1)) == 0


@pytest.mark.django_db
def test_a_change_of_executive_sponsor(high):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.SPONSOR_CHANGED)
    first = UserFactory(account=high["account"], sponsor=True)
    assert triggers.evaluate_sponsors() == 0  # first look: remembered, nothing to compare with
    first.is_executive_sponsor = False
    first.save()
    second = UserFactory(account=high["account"], sponsor=True, full_name="Nora New")
    assert triggers.evaluate_sponsors() == 1
    assert triggers.evaluate_sponsors() == 0
    assert "The executive sponsor is now Nora New" in Task.objects.get().trigger["text"]
    assert second.pk


@pytest.mark.django_db
def test_no_support_cases_for_n_days_fires_once_per_quiet_spell(high):
    MomentFactory(
        model=high["model"], trigger=TriggerType.EVENT, event=EventKind.NO_SUPPORT, params={"days": 30}
    )
    now = timezone.now()
    Interaction.objects.create(
        account=high["account"], kind="support.ticket_opened", occurred_at=now - timedelta(days=29)
    )
    assert triggers.evaluate_quiet_support(now=now) == 0
    assert triggers.evaluate_quiet_support(now=now + timedelta(days=2)) == 1
    assert triggers.evaluate_quiet_support(now=now + timedelta(days=9)) == 0


# --- events from analytics ----------------------------------------------------------------------


@pytest.mark.django_db
def test_falling_into_red_raises_a_moment_once(high):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.HEALTH_RED)
    config = health_config_current()
    account, today = high["account"], timezone.localdate()
    common = {"account": account, "config": config, "segment": account.segment, "arr": Decimal(1)}
    HealthSnapshot.objects.create(date=today - timedelta(days=1), score=55, band="amber", **common)
    HealthSnapshot.objects.create(date=today, score=35, band="red", **common)
    assert health_changes_raise(day=today, today=today) == 1
    assert health_changes_raise(day=today, today=today) == 0
    task = Task.objects.get()
    assert (
        "fell to red" in task.trigger["text"] and task.trigger["url"] == f"/analytics/accounts/{account.pk}/"
    )
    # Staying red the next day is not a new fall.
    HealthSnapshot.objects.create(date=today + timedelta(days=1), score=30, band="red", **common)
    assert health_changes_raise(day=today + timedelta(days=1), today=today) == 0


@pytest.mark.django_db
def test_usage_and_content_drops_and_old_days_are_ignored(high):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.USAGE_DROP)
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.CONTENT_DROP)
    config = health_config_current()
    account, today = high["account"], timezone.localdate()
    common = {
        "account": account,
        "config": config,
        "segment": account.segment,
        "arr": Decimal(1),
        "band": "amber",
    }
    HealthSnapshot.objects.create(date=today - timedelta(days=30), figures={"active_users": 10}, **common)
    HealthSnapshot.objects.create(date=today, engagement_drop=True, figures={"active_users": 6}, **common)
    assert health_changes_raise(day=today - timedelta(days=30), today=today) == 0  # a backfill
    assert health_changes_raise(day=today, today=today) == 2
    assert {t.occurrence.moment.event for t in Task.objects.all()} == {"usage_drop", "content_drop"}


# --- actions, assignment and idempotency ---------------------------------------------------------


@pytest.mark.django_db
def test_an_occurrence_key_is_used_once(high):
    moment = MomentFactory(model=high["model"])
    first, created = services.occurrence_create(
        moment=moment, account=high["account"], key="x", trigger=services.Trigger("t")
    )
    again, created_again = services.occurrence_create(
        moment=moment, account=high["account"], key="x", trigger=services.Trigger("t")
    )
    assert created and not created_again and first == again
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_changing_the_model_keeps_history(high, csm):
    other = EngagementModelFactory(name="Scale")
    services.model_assign(account=high["account"], model=other, by=csm)
    history = list(high["account"].model_assignments.order_by("started_at"))
    assert [a.model.name for a in history] == ["High touch", "Scale"]
    assert history[0].ended_at is not None and history[1].ended_at is None
    assert services.model_assign(account=high["account"], model=other, by=csm) == history[1]


@pytest.mark.django_db
def test_models_are_assigned_by_segment_and_touch_model(db):
    general = EngagementModelFactory(name="Everyone")
    specific = EngagementModelFactory(name="Enterprise high", segments=["enterprise"], touch_models=["high"])
    ent = AccountFactory(segment="enterprise", touch_model="high")
    smb = AccountFactory(segment="smb", touch_model="low")
    assert services.models_assign_by_rules() == 2
    assert ent.model_assignments.get().model == specific
    assert smb.model_assignments.get().model == general
    assert services.models_assign_by_rules() == 0


@pytest.mark.django_db
def test_completing_a_task_checks_its_input(high, csm, carol):
    moment = MomentFactory(model=high["model"], action=Action.TASK)
    services.occurrence_create(moment=moment, account=high["account"], key="k", trigger=services.Trigger("t"))
    task = Task.objects.get()
    with pytest.raises(services.EngagementError, match="call, meeting"):
        services.task_complete(task=task, by=csm, channel="fax")
    with pytest.raises(services.EngagementError, match="future"):
        services.task_complete(
            task=task, by=csm, channel="call", occurred_at=timezone.now() + timedelta(days=1)
        )
    with pytest.raises(services.EngagementError, match="CS manager"):
        services.task_complete(task=task, by=carol, channel="call")
    services.task_complete(task=task, by=csm, channel="qbr", outcome="positive")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.occurrence.status == OccurrenceStatus.DONE
    with pytest.raises(services.EngagementError, match="already closed"):
        services.task_complete(task=task, by=csm, channel="call")
    assert Interaction.objects.filter(kind="engagement.qbr").count() == 1


@pytest.mark.django_db
def test_the_sweep_is_idempotent(high, low):
    MomentFactory(model=high["model"], trigger=TriggerType.CALENDAR, recurrence=Recurrence.QUARTERLY)
    milestone_moment(low["model"])
    now = at(date(2026, 3, 20))  # Q1 review due; activation (due 2 March) missed
    first = triggers.evaluate_all(now=now)
    assert first["calendar"] == 1 and first["milestones"] == 1
    assert sum(triggers.evaluate_all(now=now).values()) == 0
    assert len(mail.outbox) <= 1


# --- review fixes -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_changing_a_detractor_answer_is_still_one_task(high, django_capture_on_commit_callbacks):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.DETRACTOR)
    person = UserFactory(account=high["account"])
    with django_capture_on_commit_callbacks(execute=True):
        record(kind="survey.response_submitted", user=person, value=3, properties={"response": 41})
        second = record(kind="survey.response_submitted", user=person, value=4, properties={"response": 41})
    assert Task.objects.count() == 1
    assert MomentOccurrence.objects.get().key == "response-41"
    from apps.engagement.task_selectors import task_for_interaction

    assert task_for_interaction(interaction_id=second.pk) == Task.objects.get()


@pytest.mark.django_db
def test_old_accounts_given_a_model_are_not_escalated_for_long_past_milestones(high):
    milestone_moment(high["model"])  # contract 31 Jan 2026, window 30 days: due 2 March
    assert triggers.evaluate_milestones(today=date(2026, 4, 1)) == 1  # 30 days late: within grace
    high["account"].contract_start = date(2024, 1, 31)
    high["account"].save()
    MomentOccurrence.objects.all().delete()
    Task.objects.all().delete()
    assert triggers.evaluate_milestones(today=date(2026, 4, 1)) == 0


@pytest.mark.django_db
def test_every_sponsor_change_counts_including_the_first_and_a_return(high):
    MomentFactory(model=high["model"], trigger=TriggerType.EVENT, event=EventKind.SPONSOR_CHANGED)
    assert triggers.evaluate_sponsors(today=date(2026, 5, 1)) == 0  # watched from now on, nobody yet
    a = UserFactory(account=high["account"], sponsor=True)
    assert triggers.evaluate_sponsors(today=date(2026, 5, 2)) == 1  # the first sponsor
    a.is_executive_sponsor = False
    a.save()
    b = UserFactory(account=high["account"], sponsor=True)
    assert triggers.evaluate_sponsors(today=date(2026, 5, 3)) == 1
    b.is_executive_sponsor, a.is_executive_sponsor = False, True
    b.save()
    a.save()
    assert triggers.evaluate_sponsors(today=date(2026, 5, 4)) == 1
    b.is_executive_sponsor, a.is_executive_sponsor = True, False
    b.save()
    a.save()
    assert triggers.evaluate_sponsors(today=date(2026, 5, 5)) == 1  # back to b: a new change


@pytest.mark.django_db
def test_an_account_that_never_opened_a_ticket_counts_from_its_contract_start(high):
    MomentFactory(
        model=high["model"], trigger=TriggerType.EVENT, event=EventKind.NO_SUPPORT, params={"days": 30}
    )
    assert triggers.evaluate_quiet_support(now=at(date(2026, 2, 20))) == 0  # 20 days after 31 Jan
    assert triggers.evaluate_quiet_support(now=at(date(2026, 3, 5))) == 1
    assert "since the contract started" in Task.objects.get().trigger["text"]


@pytest.mark.django_db
def test_objective_targets_are_checked_in_the_service(high, csm):
    plan = services.success_plan_save(account=high["account"], by=csm)
    with pytest.raises(services.EngagementError, match="0 to 100"):
        services.objective_save(plan=plan, by=csm, title="Certify", metric="seats_certified", target=500)
    with pytest.raises(services.EngagementError, match="-100 to 100"):
        services.objective_save(plan=plan, by=csm, title="NPS", metric="nps", target=150)
