"""Writes of the engagement app: model assignment, moment occurrences (with their tasks and
automated messages), task completion, onboarding milestones and success plans.

Every occurrence is unique per (moment, account, key), so evaluating the same moment twice, or a
retried Celery task, never creates a second task or sends a second message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Role, User
from apps.accounts.services import ServiceError
from apps.engagement import kinds
from apps.engagement.models import (
    DETECTED_MILESTONES,
    Audience,
    Channel,
    EngagementModel,
    Milestone,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    Objective,
    OccurrenceStatus,
    Outcome,
    Priority,
    SuccessPlan,
    Task,
    TaskStatus,
    TriggerType,
)
from apps.engagement.progress import TARGET_RANGES
from apps.interactions.services import record
from apps.notifications.services import notify

MESSAGE_CATEGORY = "customer_success"


class EngagementError(ServiceError):
    pass


def _require_cs_manager(user: User) -> None:
    if not (user.is_authenticated and user.is_cs_manager):
        raise EngagementError("Only a CS manager can do this.")


# --- models and assignment ----------------------------------------------------------------------


def model_assign(*, account: Account, model: EngagementModel, by: User | None = None) -> ModelAssignment:
    """Make `account` follow `model` from now on; the previous assignment is ended, not deleted."""
    if by is not None:
        _require_cs_manager(by)
    now = timezone.now()
    with transaction.atomic():
        current = (
            ModelAssignment.objects.select_for_update().filter(account=account, ended_at__isnull=True).first()
        )
        if current is not None and current.model_id == model.pk:
            return current
        if current is not None:
            current.ended_at = now
            current.save(update_fields=["ended_at"])
        return ModelAssignment.objects.create(account=account, model=model, started_at=now, assigned_by=by)


def models_assign_by_rules() -> int:
    """Give every active account without a model the first active model that fits its segment and
    touch model (the most specific first). Returns how many were assigned."""
    models = sorted(
        EngagementModel.objects.active(), key=lambda m: (-(bool(m.segments) + bool(m.touch_models)), m.name)
    )
    if not models:
        return 0
    open_assignment = ModelAssignment.objects.filter(account_id=OuterRef("pk"), ended_at__isnull=True)
    unassigned = Account.objects.filter(status=AccountStatus.ACTIVE).exclude(Exists(open_assignment))
    assigned = 0
    for account in unassigned:
        model = next((m for m in models if m.fits(account)), None)
        if model is not None:
            try:
                model_assign(account=account, model=model)
                assigned += 1
            except IntegrityError:
                continue  # assigned concurrently
    return assigned


def accounts_following(moment: Moment):
    """Active accounts whose current model is the moment's model."""
    return Account.objects.filter(
        status=AccountStatus.ACTIVE,
        model_assignments__model_id=moment.model_id,
        model_assignments__ended_at__isnull=True,
    )


# --- occurrences, tasks and messages ------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """What made a moment happen, in words, with a link to it."""

    text: str
    url: str = ""
    interaction_id: int | None = None
    contact_id: int | None = None
    priority: str = Priority.NORMAL

    def as_json(self) -> dict:
        return {"text": self.text, "url": self.url, "interaction_id": self.interaction_id}


def occurrence_create(
    *, moment: Moment, account: Account, key: str, trigger: Trigger, happened_at: datetime | None = None
) -> tuple[MomentOccurrence, bool]:
    """Record one occurrence of a moment for an account, once per key, and do its action: a task
    for the account's CS manager and/or an automated message to the moment's audience (sent after
    commit). Returns (occurrence, created); a second call with the same key changes nothing."""
    happened_at = happened_at or timezone.now()
    try:
        with transaction.atomic():
            occurrence = MomentOccurrence.objects.create(
                moment=moment,
                account=account,
                key=key[:80],
                happened_at=happened_at,
                due_on=timezone.localdate(happened_at) + timedelta(days=moment.task_due_days),
                trigger=trigger.as_json(),
            )
            if moment.creates_task_for(account):
                Task.objects.create(
                    occurrence=occurrence,
                    account=account,
                    assignee=account.cs_manager,
                    title=f"{moment.name}: {account.name}",
                    objective=moment.objective,
                    due_on=occurrence.due_on,
                    priority=trigger.priority,
                    contact_id=trigger.contact_id,
                )
            if moment.sends_message_to(account):
                _message(occurrence)
    except IntegrityError:
        existing = MomentOccurrence.objects.get(moment=moment, account=account, key=key[:80])
        return existing, False
    return occurrence, True


def audience_of(*, account: Account, audience: str):
    people = User.objects.filter(account=account, is_active=True)
    if audience == Audience.ADMINS:
        return people.filter(role=Role.CUSTOMER_ADMIN)
    if audience == Audience.SPONSOR:
        return people.filter(is_executive_sponsor=True)
    return people


def _message(occurrence: MomentOccurrence) -> int:
    """Send the moment's message to its audience: in-app, and by e-mail within each person's
    contact budget. Recorded in the log as a one-to-many interaction per person."""
    moment = occurrence.moment
    title = moment.message_subject or moment.name
    body = moment.message_body or moment.objective
    sent = 0
    for person in audience_of(account=occurrence.account, audience=moment.audience):
        created = notify(
            user=person,
            category=MESSAGE_CATEGORY,
            title=title,
            body=body,
            url=moment.params.get("url", "/") if isinstance(moment.params, dict) else "/",
            dedup_key=f"moment-{occurrence.pk}-{person.pk}",
        )
        if created is not None:
            record(
                kind=kinds.MESSAGE.name,
                user=person,
                account=occurrence.account,
                subject=moment,
                properties={"occurrence": occurrence.pk, "moment": moment.name},
            )
            sent += 1
    occurrence.messaged_at = timezone.now()
    occurrence.save(update_fields=["messaged_at"])
    return sent


def task_create(
    *,
    by: User,
    account: Account,
    title: str,
    due_on: date,
    objective: str = "",
    priority: str = Priority.NORMAL,
) -> Task:
    """A task a CS manager adds by hand (not from a moment)."""
    _require_cs_manager(by)
    if not title.strip():
        raise EngagementError("Give the task a title.")
    return Task.objects.create(
        account=account,
        assignee=by,
        title=title.strip()[:200],
        objective=objective[:300],
        due_on=due_on,
        priority=priority,
    )


def task_complete(
    *,
    task: Task,
    by: User,
    channel: str,
    notes: str = "",
    outcome: str = Outcome.NEUTRAL,
    occurred_at: datetime | None = None,
) -> Task:
    """Close a task by logging the one-to-one interaction that did it (a call, a meeting, a QBR,
    an e-mail). The interaction is recorded in the log next to the one-to-many ones; a moment
    that marks an onboarding milestone reaches it."""
    _require_cs_manager(by)
    if channel not in Channel.values:
        raise EngagementError("Choose how you engaged: call, meeting, QBR or e-mail.")
    if outcome not in Outcome.values:
        raise EngagementError("Choose an outcome.")
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + timedelta(minutes=5):
        raise EngagementError("The interaction cannot be in the future.")
    with transaction.atomic():
        task = (
            Task.objects.select_for_update(of=("self",))
            .select_related("occurrence__moment", "account", "contact")
            .get(pk=task.pk)
        )
        if task.status != TaskStatus.OPEN:
            raise EngagementError("This task is already closed.")
        task.status = TaskStatus.DONE
        task.completed_at = now
        task.completed_by = by
        task.channel = channel
        task.notes = notes[:5000]
        task.outcome = outcome
        task.save(update_fields=["status", "completed_at", "completed_by", "channel", "notes", "outcome"])
        record(
            kind=kinds.BY_CHANNEL[channel].name,
            user=task.contact,
            account=task.account,
            subject=task,
            occurred_at=occurred_at,
            properties={"task": task.pk, "outcome": outcome, "by": by.pk},
        )
        occurrence = task.occurrence
        if occurrence is not None:
            occurrence.status = OccurrenceStatus.DONE
            occurrence.completed_at = now
            occurrence.save(update_fields=["status", "completed_at"])
            moment = occurrence.moment
            # A milestone Cairn detects in the log (activated, initial training) is reached by what
            # the customer does; closing its escalation task does not reach it.
            detected = moment.trigger == TriggerType.MILESTONE and moment.milestone in DETECTED_MILESTONES
            if moment.milestone and not detected:
                milestone_reach(
                    account=task.account,
                    milestone=occurrence.moment.milestone,
                    reached_at=occurred_at,
                    source=f"Task “{task.title}” ({Channel(channel).label.lower()})",
                )
    return task


def task_cancel(*, task: Task, by: User) -> Task:
    _require_cs_manager(by)
    updated = Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED)
    if not updated:
        raise EngagementError("This task is already closed.")
    task.refresh_from_db()
    return task


# --- onboarding milestones ----------------------------------------------------------------------


def milestone_reach(*, account: Account, milestone: str, reached_at: datetime, source: str) -> bool:
    """Record that an account reached an onboarding milestone, once. Returns whether it was new."""
    if milestone not in Milestone.values:
        raise EngagementError(f"Unknown milestone {milestone!r}.")
    try:
        with transaction.atomic():
            MilestoneReached.objects.create(
                account=account, milestone=milestone, reached_at=reached_at, source=source[:200]
            )
    except IntegrityError:
        return False
    # The moment watching it, if any, is met.
    MomentOccurrence.objects.filter(
        account=account, moment__milestone=milestone, status=OccurrenceStatus.OPEN
    ).update(status=OccurrenceStatus.DONE, completed_at=reached_at)
    return True


# --- success plans ------------------------------------------------------------------------------


def success_plan_save(
    *, account: Account, by: User, summary: str = "", agreed_on: date | None = None
) -> SuccessPlan:
    _require_cs_manager(by)
    plan, _ = SuccessPlan.objects.update_or_create(
        account=account,
        defaults={"summary": summary[:2000], "agreed_on": agreed_on or timezone.localdate()},
        create_defaults={
            "summary": summary[:2000],
            "agreed_on": agreed_on or timezone.localdate(),
            "created_by": by,
        },
    )
    return plan


def objective_save(*, plan: SuccessPlan, by: User, objective: Objective | None = None, **fields) -> Objective:
    """Create or change an objective; its target must lie in its metric's range (percentages 0-100)."""
    _require_cs_manager(by)
    objective = objective or Objective(plan=plan)
    for name, value in fields.items():
        setattr(objective, name, value)
    if objective.metric not in TARGET_RANGES:
        raise EngagementError("Choose what the objective measures.")
    low, high = TARGET_RANGES[objective.metric]
    if not low <= objective.target <= high:
        raise EngagementError(f"A target for {objective.get_metric_display()} is {low:g} to {high:g}.")
    if "manual_value" in fields:
        objective.manual_updated_at = timezone.now()
    objective.save()
    return objective


def objective_delete(*, objective: Objective, by: User) -> None:
    _require_cs_manager(by)
    objective.delete()
