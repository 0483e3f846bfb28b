"""When moments happen: the evaluation of every time-based, event-based and non-event trigger.

Each function works moment by moment and set-wise over accounts (a fixed number of queries per
moment, never per account), and creates occurrences through `services.occurrence_create`, whose
unique key makes every evaluation idempotent: run it twice, or retry it, and nothing doubles.
Dates are the portal's local dates (settings.TIME_ZONE), so "monthly" and windows follow the
calendar the CS team lives in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Account, User
from apps.engagement.models import (
    AccountWatch,
    EventKind,
    Milestone,
    MilestoneReached,
    Moment,
    MomentOccurrence,
    Priority,
    Recurrence,
    TriggerType,
)
from apps.engagement.services import Trigger, accounts_following, milestone_reach, occurrence_create
from apps.interactions.kinds import URGENT_SEVERITIES
from apps.interactions.models import Interaction
from apps.learning.kinds import TRAINED_KINDS
from apps.roadmap.selectors import published_updates_since

CONTRACT_GRACE_DAYS = 30  # a contract moment more than this late (an old account) is not created


def _moments(trigger: str, **filters):
    return Moment.objects.filter(
        trigger=trigger, is_active=True, model__is_active=True, **filters
    ).select_related("model")


def _local_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


# --- calendar and contract ------------------------------------------------------------------------


def period_key(recurrence: str, day: date) -> tuple[str, date]:
    """The occurrence key of a recurring moment on `day`, and the first day of its period."""
    if recurrence == Recurrence.WEEKLY:
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}", day - timedelta(days=day.weekday())
    if recurrence == Recurrence.MONTHLY:
        return f"{day:%Y-%m}", day.replace(day=1)
    if recurrence == Recurrence.QUARTERLY:
        quarter = (day.month - 1) // 3 + 1
        return f"{day.year}-Q{quarter}", date(day.year, 3 * quarter - 2, 1)
    return f"{day.year}", date(day.year, 1, 1)


def _anniversary(start: date, year: int) -> date:
    """The contract's anniversary in `year` (28 February for a 29 February start)."""
    try:
        return start.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def evaluate_calendar(*, today: date | None = None) -> int:
    """Recurring moments: one occurrence per account and period (weekly meeting, monthly metrics
    review, quarterly business review); the annual review falls in the contract's anniversary month."""
    today = today or timezone.localdate()
    created = 0
    for moment in _moments(TriggerType.CALENDAR).exclude(recurrence=""):
        key, starts = period_key(moment.recurrence, today)
        accounts = accounts_following(moment).select_related("cs_manager")
        if moment.recurrence == Recurrence.ANNUAL:
            accounts = accounts.filter(contract_start__month=today.month)
        done = set(
            MomentOccurrence.objects.filter(moment=moment, key=key).values_list("account_id", flat=True)
        )
        for account in accounts:
            if account.pk in done:
                continue
            text = f"{moment.get_recurrence_display()}: {key}"
            annual = moment.recurrence == Recurrence.ANNUAL
            when = _anniversary(account.contract_start, today.year) if annual else starts
            _, new = occurrence_create(
                moment=moment,
                account=account,
                key=key,
                trigger=Trigger(text=text),
                happened_at=_local_noon(when),
            )
            created += new
    return created


def evaluate_contract(*, today: date | None = None) -> int:
    """Moments a number of days after the contract starts (kick-off in week 1)."""
    today = today or timezone.localdate()
    created = 0
    for moment in _moments(TriggerType.CONTRACT):
        latest_start = today - timedelta(days=moment.offset_days)
        accounts = (
            accounts_following(moment)
            .filter(contract_start__lte=latest_start)
            .filter(contract_start__gt=latest_start - timedelta(days=CONTRACT_GRACE_DAYS))
            .exclude(moment_occurrences__moment=moment)
            .select_related("cs_manager")
        )
        for account in accounts:
            due = account.contract_start + timedelta(days=moment.offset_days)
            text = (
                f"{moment.offset_days} days after the contract started on {account.contract_start:%-d %b %Y}"
            )
            _, new = occurrence_create(
                moment=moment,
                account=account,
                key="contract",
                trigger=Trigger(text=text),
                happened_at=_local_noon(due),
            )
            created += new
    return created


# --- onboarding milestones and their non-events ---------------------------------------------------


def _activated_at(account_ids, users_needed: int) -> dict[int, datetime]:
    """When each account had `users_needed` different people sign in (the N-th person's first sign-in)."""
    firsts = (
        Interaction.objects.filter(account_id__in=account_ids, kind="account.login", user__isnull=False)
        .values("account_id", "user_id")
        .annotate(first=Min("occurred_at"))
        .order_by("account_id", "first")
    )
    reached: dict[int, datetime] = {}
    counts: dict[int, int] = {}
    for row in firsts:
        counts[row["account_id"]] = counts.get(row["account_id"], 0) + 1
        if counts[row["account_id"]] == users_needed:
            reached[row["account_id"]] = row["first"]
    return reached


def _trained_at(account_ids) -> dict[int, datetime]:
    rows = (
        Interaction.objects.filter(account_id__in=account_ids, kind__in=TRAINED_KINDS)
        .values("account_id")
        .annotate(first=Min("occurred_at"))
    )
    return {row["account_id"]: row["first"] for row in rows}


def detect_milestones(*, account_ids) -> int:
    """Record the milestones Cairn sees in the log by itself: activated (N people signed in; N from
    the model's activation moment, 3 by default) and initial training (a first course or path)."""
    reached = set(
        MilestoneReached.objects.filter(account_id__in=account_ids).values_list("account_id", "milestone")
    )
    needed = dict(
        Moment.objects.filter(
            trigger=TriggerType.MILESTONE,
            milestone=Milestone.ACTIVATED,
            model__assignments__account_id__in=account_ids,
            model__assignments__ended_at__isnull=True,
        ).values_list("model__assignments__account_id", "params__users")
    )
    new = 0
    accounts = {a.pk: a for a in Account.objects.filter(pk__in=account_ids)}
    waiting = [a for a in account_ids if (a, Milestone.ACTIVATED) not in reached]
    if waiting:
        by_n: dict[int, list[int]] = {}
        for account_id in waiting:
            by_n.setdefault(int(needed.get(account_id) or 3), []).append(account_id)
        for users_needed, ids in by_n.items():
            for account_id, when in _activated_at(ids, users_needed).items():
                new += milestone_reach(
                    account=accounts[account_id],
                    milestone=Milestone.ACTIVATED,
                    reached_at=when,
                    source=f"{users_needed} people signed in",
                )
    waiting = [a for a in account_ids if (a, Milestone.INITIAL_TRAINING) not in reached]
    for account_id, when in _trained_at(waiting).items():
        new += milestone_reach(
            account=accounts[account_id],
            milestone=Milestone.INITIAL_TRAINING,
            reached_at=when,
            source="First course or learning path completed",
        )
    return new


def evaluate_milestones(*, today: date | None = None) -> int:
    """Non-events: an expected onboarding milestone not reached within its window (days after the
    contract start) escalates: a high-priority task for high-touch accounts, an automated message
    to the customer for low-touch ones. A window ends at the end of its last day, local time."""
    today = today or timezone.localdate()
    created = 0
    for moment in _moments(TriggerType.MILESTONE).exclude(milestone=""):
        accounts = list(
            accounts_following(moment).filter(contract_start__isnull=False).select_related("cs_manager")
        )
        if not accounts:
            continue
        detect_milestones(account_ids=[a.pk for a in accounts])
        reached = set(
            MilestoneReached.objects.filter(account__in=accounts, milestone=moment.milestone).values_list(
                "account_id", flat=True
            )
        )
        for account in accounts:
            deadline = account.contract_start + timedelta(days=moment.offset_days)
            if account.pk in reached or today <= deadline:
                continue
            if deadline < today - timedelta(days=CONTRACT_GRACE_DAYS):
                continue  # long past onboarding (e.g. a model given to an old account): not a new miss
            text = (
                f"{moment.get_milestone_display()} not reached within {moment.offset_days} days of the "
                f"contract start ({account.contract_start:%-d %b %Y}); it was due by {deadline:%-d %b %Y}"
            )
            _, new = occurrence_create(
                moment=moment,
                account=account,
                key="missed",
                trigger=Trigger(
                    text=text, priority=Priority.HIGH, url=reverse("account_engagement", args=[account.pk])
                ),
            )
            created += new
    return created


# --- events in the log ------------------------------------------------------------------------------


def _event_interactions(event: str):
    if event == EventKind.SUPPORT_URGENT:
        return Interaction.objects.filter(
            kind="support.ticket_opened", properties__severity__in=URGENT_SEVERITIES
        )
    if event == EventKind.DETRACTOR:
        return Interaction.objects.filter(kind="survey.response_submitted", value__lte=6)
    return Interaction.objects.none()


def event_key(interaction: Interaction) -> str:
    """The occurrence key of an event in the log. A survey answer is keyed by its response, so a
    person changing their answer (a new interaction each time) is one occurrence, not two."""
    response = (interaction.properties or {}).get("response")
    if interaction.kind == "survey.response_submitted" and response:
        return f"response-{response}"
    return f"interaction-{interaction.pk}"


def _event_text(event: str, interaction: Interaction) -> str:
    if event == EventKind.DETRACTOR:
        return f"{interaction.user or 'Someone'} answered {interaction.value:.0f} to the NPS survey"
    severity = (interaction.properties or {}).get("severity", "high")
    return f"A {severity}-severity support ticket {interaction.subject_id or ''} was opened".replace(
        "  ", " "
    )


def evaluate_interactions(*, since: datetime, until: datetime | None = None, interaction_ids=None) -> int:
    """Event moments fed by the log (detractor answers, high-severity tickets): one occurrence per
    interaction. Called right after an interaction commits, and by the periodic sweep."""
    until = until or timezone.now()
    created = 0
    for moment in _moments(TriggerType.EVENT, event__in=[EventKind.SUPPORT_URGENT, EventKind.DETRACTOR]):
        following = accounts_following(moment)
        rows = (
            _event_interactions(moment.event)
            .filter(account__in=following)
            .select_related("user", "account__cs_manager")
        )
        if interaction_ids is not None:
            rows = rows.filter(pk__in=interaction_ids)
        else:
            rows = rows.filter(occurred_at__gte=since, occurred_at__lt=until)
        for interaction in rows:
            url = (
                reverse("detractor_task_redirect", args=[interaction.pk])
                if moment.event == EventKind.DETRACTOR
                else ""
            )
            _, new = occurrence_create(
                moment=moment,
                account=interaction.account,
                key=event_key(interaction),
                trigger=Trigger(
                    text=_event_text(moment.event, interaction),
                    url=url,
                    interaction_id=interaction.pk,
                    contact_id=interaction.user_id,
                    priority=Priority.HIGH,
                ),
                happened_at=interaction.occurred_at,
            )
            created += new
    return created


def evaluate_releases(*, since: datetime) -> int:
    """A new product update (release) published since `since`: one occurrence per account it is for."""
    created = 0
    updates = list(published_updates_since(since=since))
    if not updates:
        return 0
    for moment in _moments(TriggerType.EVENT, event=EventKind.PRODUCT_RELEASE):
        accounts = list(accounts_following(moment).select_related("cs_manager"))
        for update in updates:
            for account in accounts:
                if update.segments and account.segment not in update.segments:
                    continue
                _, new = occurrence_create(
                    moment=moment,
                    account=account,
                    key=f"update-{update.pk}",
                    trigger=Trigger(text=f"Released: {update.title}", url=update.get_absolute_url()),
                    happened_at=update.published_at,
                )
                created += new
    return created


def _ids(ids: list[int]) -> str:
    return "-".join(map(str, ids)) or "none"


def evaluate_sponsors(*, today: date | None = None) -> int:
    """A change of executive sponsor (someone else flagged, or nobody any more). Every active
    account is watched from the first evaluation on, so its first sponsor counts as a change."""
    today = today or timezone.localdate()
    moments = list(_moments(TriggerType.EVENT, event=EventKind.SPONSOR_CHANGED))
    current: dict[int, list[int]] = {}
    for account_id, user_id in User.objects.filter(
        account__isnull=False, is_executive_sponsor=True, is_active=True
    ).values_list("account_id", "pk"):
        current.setdefault(account_id, []).append(user_id)
    seen = {w.account_id: w for w in AccountWatch.objects.all()}
    active = set(Account.objects.filter(status="active").values_list("pk", flat=True))
    following = {
        moment.pk: set(accounts_following(moment).values_list("pk", flat=True)) for moment in moments
    }
    created = 0
    for account_id in active | set(seen):
        now_ids = sorted(current.get(account_id, []))
        watch = seen.get(account_id)
        if watch is None:
            AccountWatch.objects.create(account_id=account_id, sponsor_ids=now_ids)
            continue
        before = sorted(watch.sponsor_ids)
        if before == now_ids:
            continue
        names = ", ".join(str(u) for u in User.objects.filter(pk__in=now_ids)) or "nobody"
        # The key names the change and its day, so A -> B -> A -> B is three changes, not one.
        key = f"sponsor-{_ids(before)}-to-{_ids(now_ids)}-{today}"
        for moment in moments:
            if account_id not in following[moment.pk]:
                continue
            _, new = occurrence_create(
                moment=moment,
                account=Account.objects.select_related("cs_manager").get(pk=account_id),
                key=key,
                trigger=Trigger(text=f"The executive sponsor is now {names}", priority=Priority.HIGH),
            )
            created += new
        watch.sponsor_ids = now_ids
        watch.updated_at = timezone.now()
        watch.save(update_fields=["sponsor_ids", "updated_at"])
    return created


def evaluate_quiet_support(*, now: datetime | None = None) -> int:
    """No support cases for N days (params.days, 60 by default): once per quiet spell, counted from
    the last ticket, or from the contract start for an account that never opened one."""
    now = now or timezone.now()
    created = 0
    for moment in _moments(TriggerType.EVENT, event=EventKind.NO_SUPPORT):
        days = int((moment.params or {}).get("days", 60))
        accounts = {a.pk: a for a in accounts_following(moment).select_related("cs_manager")}
        last = dict(
            Interaction.objects.filter(kind="support.ticket_opened", account_id__in=list(accounts))
            .values("account_id")
            .annotate(last=Max("occurred_at"))
            .values_list("account_id", "last")
        )
        for account_id, account in accounts.items():
            if account_id in last:
                since = timezone.localdate(last[account_id])
                text = f"No support ticket opened since {since:%-d %b %Y} ({days}+ days)"
            elif account.contract_start is not None:
                since = account.contract_start
                text = (
                    f"No support ticket opened since the contract started on {since:%-d %b %Y} ({days}+ days)"
                )
            else:
                continue
            if timezone.localdate(now) - since < timedelta(days=days):
                continue
            _, new = occurrence_create(
                moment=moment,
                account=account,
                key=f"quiet-since-{since.isoformat()}",
                trigger=Trigger(text=text),
            )
            created += new
    return created


# --- events from analytics --------------------------------------------------------------------------


def health_events(*, day: date, changes: list[dict]) -> int:
    """Health moments, fed by the health recompute (analytics sits above engagement and calls
    this): each change is {"account_id", "event" (health_red, usage_drop or content_drop), "key",
    "text"}; the key makes each change one occurrence however often the day is recomputed."""
    if not changes:
        return 0
    created = 0
    for moment in _moments(TriggerType.EVENT, event__in={c["event"] for c in changes}):
        mine = [c for c in changes if c["event"] == moment.event]
        following = {
            a.pk: a
            for a in accounts_following(moment)
            .filter(pk__in=[c["account_id"] for c in mine])
            .select_related("cs_manager")
        }
        for change in mine:
            account = following.get(change["account_id"])
            if account is None:
                continue
            _, new = occurrence_create(
                moment=moment,
                account=account,
                key=change["key"],
                trigger=Trigger(
                    text=change["text"], url=reverse("account_360", args=[account.pk]), priority=Priority.HIGH
                ),
                happened_at=_local_noon(day),
            )
            created += new
    return created


def evaluate_all(*, now: datetime | None = None) -> dict:
    """The periodic sweep (Celery beat): every trigger kind, idempotently."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return {
        "calendar": evaluate_calendar(today=today),
        "contract": evaluate_contract(today=today),
        "milestones": evaluate_milestones(today=today),
        "interactions": evaluate_interactions(since=now - timedelta(days=2), until=now),
        "releases": evaluate_releases(since=now - timedelta(days=7)),
        "sponsors": evaluate_sponsors(today=today),
        "quiet_support": evaluate_quiet_support(now=now),
    }
