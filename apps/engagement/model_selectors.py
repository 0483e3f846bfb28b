"""Reads for the engagement model pages: models with their moments, moments in words, and one
account's engagement (the model it follows and its history, its moments and its open tasks)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.template.defaultfilters import pluralize
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Segment, TouchModel
from apps.core.numbers import round_half_away
from apps.engagement.models import (
    Action,
    EngagementModel,
    EventKind,
    Milestone,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    Phase,
    Task,
    TriggerType,
)
from apps.interactions import kinds as registry
from apps.interactions.models import Interaction

TIMELINE_LENGTH = 30

EVENT_WORDS = {
    EventKind.SUPPORT_URGENT: "When a high-severity support ticket is opened",
    EventKind.PRODUCT_RELEASE: "When a new product release is published",
    EventKind.SPONSOR_CHANGED: "When the executive sponsor changes",
    EventKind.DETRACTOR: "When a detractor answers",
    EventKind.HEALTH_RED: "When the health score falls into red",
    EventKind.USAGE_DROP: "When usage drops",
    EventKind.CONTENT_DROP: "When content engagement drops",
}
AUDIENCE_WORDS = {
    "users": "everyone at the account",
    "admins": "the account's customer admins",
    "sponsor": "the executive sponsor",
}


def _days(n: int) -> str:
    return f"{n} day{pluralize(n)}"


def trigger_in_words(moment: Moment) -> str:
    """When the moment happens: "Every month", "7 days after the contract starts", "When a
    detractor answers", "If Activated is not reached within 30 days"."""
    if moment.trigger == TriggerType.CALENDAR:
        return moment.get_recurrence_display() or "On a calendar (no recurrence set)"
    if moment.trigger == TriggerType.CONTRACT:
        if not moment.offset_days:
            return "When the contract starts"
        return f"{_days(moment.offset_days)} after the contract starts"
    if moment.trigger == TriggerType.EVENT:
        if moment.event == EventKind.NO_SUPPORT:
            days = (moment.params or {}).get("days", 60)
            return f"When no support case is opened for {_days(int(days))}"
        return EVENT_WORDS.get(moment.event, "When something happens")
    milestone = moment.get_milestone_display() or "a milestone"
    if moment.milestone == Milestone.ACTIVATED:
        users = int((moment.params or {}).get("users", 3))
        milestone = f"Activated ({users} {'person' if users == 1 else 'people'} signed in)"
    return f"If {milestone} is not reached within {_days(moment.offset_days)}"


def action_in_words(moment: Moment) -> str:
    """What Cairn does when the moment happens, in words."""
    task = f"a task for the CS manager, due in {_days(moment.task_due_days)}"
    message = f"a message to {AUDIENCE_WORDS.get(moment.audience, moment.audience)}"
    if moment.message_subject:
        message += f" (“{moment.message_subject}”)"
    if moment.action == Action.TASK:
        return task[0].upper() + task[1:]
    if moment.action == Action.MESSAGE:
        return message[0].upper() + message[1:]
    if moment.action == Action.BOTH:
        return f"{task[0].upper()}{task[1:]}, and {message}"
    return f"High touch: {task}. Low touch (or no CS manager): {message}"


def filters_in_words(model: EngagementModel) -> str:
    """Who the model is for: "Enterprise, Mid-market · High touch", or "Every account"."""
    labels = {**dict(Segment.choices), **dict(TouchModel.choices)}
    parts = [
        ", ".join(labels.get(value, value) for value in values)
        for values in (model.segments, model.touch_models)
        if values
    ]
    return " · ".join(parts) or "Every account"


def model_list() -> list[EngagementModel]:
    """Every model with its moment counts per phase and the active accounts following it."""
    following = (
        ModelAssignment.objects.filter(
            model=OuterRef("pk"), ended_at__isnull=True, account__status=AccountStatus.ACTIVE
        )
        .order_by()
        .values("model")
        .annotate(n=Count("pk"))
        .values("n")
    )
    models = list(
        EngagementModel.objects.annotate(
            onboarding_moments=Count("moments", filter=Q(moments__phase=Phase.ONBOARDING)),
            ongoing_moments=Count("moments", filter=Q(moments__phase=Phase.ONGOING)),
            accounts_following=Coalesce(Subquery(following), 0),
        ).order_by("-is_active", "name")
    )
    for model in models:
        model.filters_text = filters_in_words(model)
    return models


def accounts_without_model() -> int:
    """Active accounts that follow no model yet."""
    return (
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .exclude(model_assignments__ended_at__isnull=True)
        .count()
    )


def model_moments(*, model: EngagementModel) -> list[dict]:
    """The model's moments grouped by phase (onboarding first), each in position order, with how
    often it happened and its trigger and action in words."""
    moments = list(model.moments.annotate(occurrence_count=Count("occurrences")).order_by("position", "pk"))
    for moment in moments:
        moment.trigger_text = trigger_in_words(moment)
        moment.action_text = action_in_words(moment)
    return [
        {"phase": value, "label": label, "moments": [m for m in moments if m.phase == value]}
        for value, label in Phase.choices
    ]


def model_accounts(*, model: EngagementModel) -> QuerySet[Account]:
    """Active accounts following the model now."""
    return Account.objects.filter(
        status=AccountStatus.ACTIVE,
        model_assignments__model=model,
        model_assignments__ended_at__isnull=True,
    ).order_by("name")


def account_assignments(*, account: Account) -> list[ModelAssignment]:
    """The account's model history, the current one first."""
    return list(
        account.model_assignments.select_related("model", "assigned_by").order_by("-started_at", "-pk")
    )


def account_timeline(*, account: Account, limit: int = TIMELINE_LENGTH) -> list[MomentOccurrence]:
    """The account's latest moment occurrences, each with its moment and task (if any)."""
    occurrences = list(
        MomentOccurrence.objects.filter(account=account)
        .select_related("moment", "task")
        .order_by("-happened_at", "-pk")[:limit]
    )
    for occurrence in occurrences:
        occurrence.task_or_none = getattr(occurrence, "task", None)
    return occurrences


def account_open_tasks(*, account: Account) -> QuerySet[Task]:
    return Task.objects.open().filter(account=account).select_related("assignee").order_by("due_on", "pk")


TOUCH_WINDOW_DAYS = 90


def touches_by_touch_model(*, days: int = TOUCH_WINDOW_DAYS) -> list[dict]:
    """One-to-one touches (calls, meetings, QBRs, e-mails a CS manager logged, CRM meetings) next
    to one-to-many ones (automated moment messages) in the last `days`, per touch model, with the
    number of active accounts and the average per account. Two queries."""
    one_to_one = [kind.name for kind in registry.all_kinds() if kind.category == "one_to_one"]
    one_to_many = [kind.name for kind in registry.all_kinds() if kind.category == "one_to_many"]
    since = timezone.now() - timedelta(days=days)
    counts = {
        row["account__touch_model"]: row
        for row in Interaction.objects.filter(occurred_at__gte=since, account__status=AccountStatus.ACTIVE)
        .filter(Q(kind__in=one_to_one) | Q(kind__in=one_to_many))
        .order_by()
        .values("account__touch_model")
        .annotate(
            one_to_one=Count("id", filter=Q(kind__in=one_to_one)),
            one_to_many=Count("id", filter=Q(kind__in=one_to_many)),
        )
    }
    accounts = dict(
        Account.objects.filter(status=AccountStatus.ACTIVE)
        .order_by()
        .values("touch_model")
        .annotate(n=Count("id"))
        .values_list("touch_model", "n")
    )
    rows = []
    for value, label in TouchModel.choices:
        n = accounts.get(value, 0)
        row = counts.get(value, {})
        one, many = row.get("one_to_one", 0), row.get("one_to_many", 0)
        rows.append(
            {
                "label": label,
                "accounts": n,
                "one_to_one": one,
                "one_to_many": many,
                "one_to_one_per_account": round_half_away(Fraction(one, n), 1) if n else None,
                "one_to_many_per_account": round_half_away(Fraction(many, n), 1) if n else None,
            }
        )
    return rows
