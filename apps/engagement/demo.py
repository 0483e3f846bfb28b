"""Demo engagement: a high-touch and a low-touch engagement model, every active account assigned
to the one that fits it, and their history.

- Onboarding milestones consistent with each account's contract start and the interaction log:
  activated and initial training are detected in the log where it covers the onboarding (older
  accounts onboarded before the log begins, on dates drawn around the model's windows); kick-off,
  first metrics review and self-sufficiency are reached by completing their tasks (high touch)
  or by the automated message (low touch). A few accounts were late (escalated, then reached)
  and two are still stuck (overdue).
- The last three months of calendar moments: done in the past, open for the current period, and
  the detractor answers and urgent tickets of the last three months, the recent ones still open.
- Past automated messages are written as history (occurrences and "received a message" in the
  log) without notifying anyone, so loading the demo sends no e-mail.

Idempotent: nothing is done if the demo models exist.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Account, AccountStatus, Role, User
from apps.engagement import kinds, services, triggers
from apps.engagement.models import (
    Action,
    Audience,
    Channel,
    EngagementModel,
    EventKind,
    Milestone,
    MilestoneReached,
    ModelAssignment,
    Moment,
    MomentOccurrence,
    OccurrenceStatus,
    Outcome,
    Phase,
    Priority,
    Recurrence,
    Task,
    TaskStatus,
    TriggerType,
)
from apps.interactions.kinds import URGENT_SEVERITIES
from apps.interactions.models import Interaction
from apps.interactions.services import subject_ref
from apps.roadmap.selectors import published_updates_since

HIGH = "High touch"
LOW = "Low touch"
CSM_EMAIL = "csm@example.com"
HISTORY_DAYS = 92  # three months of calendar and event moments
OPEN_EVENTS_DAYS = 4  # event tasks younger than this are still open
LOG_DAYS = 548  # how far back the interaction log of the demo goes

M = Milestone
T = TriggerType
CS = "cs_manager"
AUTO = "automated"

# (name, phase, owner, objective, trigger, fields)
HIGH_MOMENTS = [
    (
        "Kick-off meeting",
        Phase.ONBOARDING,
        CS,
        "Agree goals, the success plan and who does what",
        T.CONTRACT,
        {"offset_days": 7, "action": Action.TASK, "milestone": M.KICKOFF, "task_due_days": 7},
    ),
    (
        "Activation check",
        Phase.ONBOARDING,
        CS,
        "Get at least three people using the product",
        T.MILESTONE,
        {
            "offset_days": 30,
            "milestone": M.ACTIVATED,
            "params": {"users": 3},
            "action": Action.AUTO,
            "task_due_days": 3,
            "message_subject": "Bring your team on board",
            "message_body": "Invite two colleagues: teams that start together get value sooner.",
        },
    ),
    (
        "Initial training check",
        Phase.ONBOARDING,
        CS,
        "Have the first people complete a course",
        T.MILESTONE,
        {
            "offset_days": 60,
            "milestone": M.INITIAL_TRAINING,
            "action": Action.AUTO,
            "task_due_days": 5,
            "message_subject": "Start with the Essentials path",
            "message_body": "Most teams complete their first course in an afternoon.",
            "params": {"url": "/learning/"},
        },
    ),
    (
        "First metrics review",
        Phase.ONBOARDING,
        CS,
        "Show the first adoption figures and agree next steps",
        T.CONTRACT,
        {"offset_days": 45, "action": Action.TASK, "milestone": M.FIRST_METRICS_REVIEW, "task_due_days": 7},
    ),
    (
        "Self-sufficiency checkpoint",
        Phase.ONBOARDING,
        CS,
        "Confirm the team runs on its own and hand over",
        T.CONTRACT,
        {"offset_days": 90, "action": Action.TASK, "milestone": M.SELF_SUFFICIENCY, "task_due_days": 10},
    ),
    (
        "Self-sufficiency overdue",
        Phase.ONBOARDING,
        CS,
        "Find what blocks the hand-over",
        T.MILESTONE,
        {"offset_days": 120, "milestone": M.SELF_SUFFICIENCY, "action": Action.TASK, "task_due_days": 5},
    ),
    (
        "Monthly metrics review",
        Phase.ONGOING,
        CS,
        "Review usage and training with the customer admin",
        T.CALENDAR,
        {"recurrence": Recurrence.MONTHLY, "action": Action.TASK, "task_due_days": 7},
    ),
    (
        "Quarterly business review",
        Phase.ONGOING,
        CS,
        "Review outcomes against the success plan with the sponsor",
        T.CALENDAR,
        {"recurrence": Recurrence.QUARTERLY, "action": Action.TASK, "task_due_days": 21},
    ),
    (
        "Annual account review",
        Phase.ONGOING,
        CS,
        "Prepare the renewal: value delivered and next year's goals",
        T.CALENDAR,
        {"recurrence": Recurrence.ANNUAL, "action": Action.TASK, "task_due_days": 30},
    ),
    (
        "Detractor follow-up",
        Phase.ONGOING,
        CS,
        "Call the detractor, understand why, agree a fix",
        T.EVENT,
        {"event": EventKind.DETRACTOR, "action": Action.TASK, "task_due_days": 3},
    ),
    (
        "Urgent support ticket",
        Phase.ONGOING,
        CS,
        "Check in while support fixes it",
        T.EVENT,
        {"event": EventKind.SUPPORT_URGENT, "action": Action.TASK, "task_due_days": 2},
    ),
    (
        "Health fell into red",
        Phase.ONGOING,
        CS,
        "Find out what changed and make a recovery plan",
        T.EVENT,
        {"event": EventKind.HEALTH_RED, "action": Action.TASK, "task_due_days": 5},
    ),
    (
        "New executive sponsor",
        Phase.ONGOING,
        CS,
        "Meet the new sponsor and restate the value",
        T.EVENT,
        {"event": EventKind.SPONSOR_CHANGED, "action": Action.TASK, "task_due_days": 14},
    ),
    (
        "Product release",
        Phase.ONGOING,
        AUTO,
        "Tell the admins what is new for them",
        T.EVENT,
        {
            "event": EventKind.PRODUCT_RELEASE,
            "action": Action.MESSAGE,
            "message_subject": "What's new this release",
            "message_body": "A new release is out. Read what changed and what it means for your team.",
            "params": {"url": "/roadmap/"},
        },
    ),
]
LOW_MOMENTS = [
    (
        "Welcome and kick-off guide",
        Phase.ONBOARDING,
        AUTO,
        "Get the admin started on their own",
        T.CONTRACT,
        {
            "offset_days": 7,
            "action": Action.MESSAGE,
            "milestone": M.KICKOFF,
            "message_subject": "Welcome: your first week",
            "message_body": "Here is how to set up your team in three steps.",
            "params": {"url": "/learning/"},
        },
    ),
    (
        "Activation nudge",
        Phase.ONBOARDING,
        AUTO,
        "Get at least three people using the product",
        T.MILESTONE,
        {
            "offset_days": 30,
            "milestone": M.ACTIVATED,
            "params": {"users": 3},
            "action": Action.MESSAGE,
            "message_subject": "Bring your team on board",
            "message_body": "Invite two colleagues: teams that start together get value sooner.",
        },
    ),
    (
        "Training nudge",
        Phase.ONBOARDING,
        AUTO,
        "Have the first people complete a course",
        T.MILESTONE,
        {
            "offset_days": 60,
            "milestone": M.INITIAL_TRAINING,
            "action": Action.MESSAGE,
            "message_subject": "Start with the Essentials path",
            "message_body": "Most teams complete their first course in an afternoon.",
            "params": {"url": "/learning/"},
        },
    ),
    (
        "Your first 45 days",
        Phase.ONBOARDING,
        AUTO,
        "Show the admin their first adoption figures",
        T.CONTRACT,
        {
            "offset_days": 45,
            "action": Action.MESSAGE,
            "milestone": M.FIRST_METRICS_REVIEW,
            "message_subject": "Your first 45 days in numbers",
            "message_body": "See how your team is using the product and what to try next.",
        },
    ),
    (
        "Self-sufficiency checkpoint",
        Phase.ONBOARDING,
        AUTO,
        "Check the team is self-sufficient",
        T.CONTRACT,
        {
            "offset_days": 90,
            "action": Action.AUTO,
            "milestone": M.SELF_SUFFICIENCY,
            "message_subject": "Three months in: where to go next",
            "message_body": "Your team is up and running. Here is where to find help when you need it.",
        },
    ),
    (
        "Monthly tips",
        Phase.ONGOING,
        AUTO,
        "Keep people learning a little every month",
        T.CALENDAR,
        {
            "recurrence": Recurrence.MONTHLY,
            "action": Action.MESSAGE,
            "audience": Audience.USERS,
            "message_subject": "Three tips for this month",
            "message_body": "Short tips and a course worth your time this month.",
            "params": {"url": "/learning/"},
        },
    ),
    (
        "Detractor follow-up",
        Phase.ONGOING,
        AUTO,
        "Understand why and offer help",
        T.EVENT,
        {
            "event": EventKind.DETRACTOR,
            "action": Action.AUTO,
            "task_due_days": 3,
            "message_subject": "Sorry we let you down",
            "message_body": "Thank you for telling us. Reply to this message and we will help.",
        },
    ),
    (
        "Product release",
        Phase.ONGOING,
        AUTO,
        "Tell the admins what is new for them",
        T.EVENT,
        {
            "event": EventKind.PRODUCT_RELEASE,
            "action": Action.MESSAGE,
            "message_subject": "What's new this release",
            "message_body": "A new release is out. Read what changed and what it means for your team.",
            "params": {"url": "/roadmap/"},
        },
    ),
]
NOTES = {
    Channel.CALL: [
        "Walked through adoption figures; agreed two follow-ups.",
        "Quick check-in, all on track.",
    ],
    Channel.MEETING: [
        "Met the admin and two team leads; goals agreed.",
        "Reviewed usage; training plan set.",
    ],
    Channel.QBR: ["Reviewed outcomes against the success plan with the sponsor."],
    Channel.EMAIL: ["Sent the summary and next steps by e-mail."],
}


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class _History:
    """Writes the demo's engagement history for one run. Past messages and task completions are
    gathered and written together at the end (`finish`), which keeps the seed fast."""

    def __init__(self, ctx, csm: User | None):
        self.rng, self.today, self.csm = ctx.rng, ctx.today, csm
        self.now = timezone.now()
        self.people: dict[tuple[int, str], list[int]] = {}
        self.sent: list[MomentOccurrence] = []
        self.completions: list[tuple[int, Account, datetime, str]] = []

    def occur(
        self,
        moment: Moment,
        account: Account,
        *,
        key: str,
        text: str,
        at: datetime,
        url: str = "",
        done_at: datetime | None = None,
        priority: str = Priority.NORMAL,
    ) -> MomentOccurrence | None:
        """An occurrence, as the trigger evaluation would have written it: a task through the
        service; a message as history (nobody is notified; the log records that the audience
        received it), met at `done_at` if given. Returns the occurrence of a task, else None."""
        if moment.sends_message_to(account):
            self.sent.append(
                MomentOccurrence(
                    moment=moment,
                    account=account,
                    key=key,
                    happened_at=at,
                    due_on=timezone.localdate(at) + timedelta(days=moment.task_due_days),
                    trigger={"text": text, "url": url, "interaction_id": None},
                    messaged_at=at,
                    status=OccurrenceStatus.DONE if done_at else OccurrenceStatus.OPEN,
                    completed_at=done_at,
                )
            )
            return None
        occurrence, _ = services.occurrence_create(
            moment=moment,
            account=account,
            key=key,
            trigger=services.Trigger(text=text, url=url, priority=priority),
            happened_at=at,
        )
        return occurrence

    def complete(self, occurrence: MomentOccurrence | None, account: Account, at: datetime, channel: str):
        """Close the occurrence's task (later, in `finish`) by logging the interaction that did it."""
        if occurrence is not None:
            self.completions.append((occurrence.pk, account, min(at, self.now - timedelta(hours=1)), channel))

    def _audience(self, account_id: int, audience: str) -> list[int]:
        if not self.people:
            for user_id, owner_id, role, sponsor in User.objects.filter(
                account__isnull=False, is_active=True
            ).values_list("pk", "account_id", "role", "is_executive_sponsor"):
                self.people.setdefault((owner_id, Audience.USERS), []).append(user_id)
                if role == Role.CUSTOMER_ADMIN:
                    self.people.setdefault((owner_id, Audience.ADMINS), []).append(user_id)
                if sponsor:
                    self.people.setdefault((owner_id, Audience.SPONSOR), []).append(user_id)
        return self.people.get((account_id, audience), [])

    def finish(self) -> None:
        # Messages: the occurrences, and one "received a message" per person in the log.
        MomentOccurrence.objects.bulk_create(self.sent, batch_size=500)
        received = []
        for occurrence in self.sent:
            subject_type, subject_id = subject_ref(occurrence.moment)
            for user_id in self._audience(occurrence.account_id, occurrence.moment.audience):
                received.append(
                    Interaction(
                        kind=kinds.MESSAGE.name,
                        account_id=occurrence.account_id,
                        user_id=user_id,
                        subject_type=subject_type,
                        subject_id=subject_id,
                        occurred_at=occurrence.happened_at,
                        properties={"occurrence": occurrence.pk, "moment": occurrence.moment.name},
                    )
                )
        Interaction.objects.bulk_create(received, batch_size=1000)
        # Tasks: completed through the service (it logs the one-to-one interaction and reaches the
        # moment's milestone), then stamped with when they were really done, not now.
        tasks = Task.objects.filter(
            occurrence_id__in=[c[0] for c in self.completions], status=TaskStatus.OPEN
        ).in_bulk(field_name="occurrence_id")
        done_at: dict[datetime, list[int]] = {}
        for occurrence_id, account, at, channel in sorted(self.completions, key=lambda c: c[2]):
            task = tasks.get(occurrence_id)
            if task is None:
                continue
            services.task_complete(
                task=task,
                by=account.cs_manager or self.csm,
                channel=channel,
                notes=self.rng.choice(NOTES[channel]),
                outcome=self.rng.choice(
                    [Outcome.POSITIVE, Outcome.POSITIVE, Outcome.NEUTRAL, Outcome.NEGATIVE]
                ),
                occurred_at=at,
            )
            done_at.setdefault(at, []).append(task.pk)
        for at, task_ids in done_at.items():
            Task.objects.filter(pk__in=task_ids).update(completed_at=at)
            MomentOccurrence.objects.filter(task__in=task_ids).update(completed_at=at)


def _model(name: str, description: str, segments, touch_models, moments, by) -> EngagementModel:
    model = EngagementModel.objects.create(
        name=name, description=description, segments=segments, touch_models=touch_models, created_by=by
    )
    Moment.objects.bulk_create(
        [
            Moment(
                model=model,
                name=moment_name,
                phase=phase,
                owner_role=owner,
                objective=objective,
                trigger=trigger,
                position=position,
                **fields,
            )
            for position, (moment_name, phase, owner, objective, trigger, fields) in enumerate(moments)
        ]
    )
    return model


def seed(ctx) -> None:
    if EngagementModel.objects.filter(name__in=[HIGH, LOW]).exists():
        ctx.write("engagement: demo models already loaded")
        return
    csm = User.objects.filter(email=CSM_EMAIL).first()
    high = _model(
        HIGH,
        "Enterprise and mid-market customers with a named CS manager: meetings and reviews.",
        ["enterprise", "mid_market"],
        ["high"],
        HIGH_MOMENTS,
        csm,
    )
    low = _model(
        LOW,
        "Customers we serve at scale: the same onboarding moments, by automated e-mail and in-app messages.",
        [],
        ["low"],
        LOW_MOMENTS,
        csm,
    )
    assigned = services.models_assign_by_rules()
    accounts = list(
        Account.objects.filter(status=AccountStatus.ACTIVE, contract_start__isnull=False)
        .select_related("cs_manager")
        .order_by("contract_start", "pk")
    )
    # They have followed their model since their contract started.
    for account in accounts:
        ModelAssignment.objects.filter(account=account, ended_at__isnull=True).update(
            started_at=_at(account.contract_start, 9)
        )
    following = dict(
        ModelAssignment.objects.filter(ended_at__isnull=True).values_list("account_id", "model_id")
    )
    moments = {
        (m.model_id, m.name): m for m in Moment.objects.filter(model__in=[high, low]).select_related("model")
    }
    history = _History(ctx, csm)
    stuck = _onboarding(ctx, history, accounts, following, moments, high, low)
    _calendar(history, accounts, following, moments, high, low)
    events = _events(history, accounts, following, moments, high, low)
    _model_change(ctx, accounts, following, high, low, csm)
    history.finish()
    ctx.write(
        f"engagement: models {HIGH!r} and {LOW!r}, {assigned} accounts assigned, "
        f"{MilestoneReached.objects.count()} milestones, {MomentOccurrence.objects.count()} moments "
        f"({events} from events), {Task.objects.open().count()} open tasks; "
        f"{', '.join(stuck) or 'nobody'} stuck in onboarding"
    )


def _onboarding(ctx, history: _History, accounts, following, moments, high, low) -> list[str]:
    """Milestones, the onboarding tasks and messages that reached them, and the escalations."""
    rng, today = ctx.rng, ctx.today
    log_start = today - timedelta(days=LOG_DAYS)
    # Onboarding before the log began: dates drawn around the model's windows.
    for account in accounts:
        if account.contract_start > log_start + timedelta(days=7):
            continue
        slow = rng.random() < 0.25
        activated = account.contract_start + timedelta(days=rng.randint(8, 45 if slow else 24))
        trained = activated + timedelta(days=rng.randint(8, 50 if slow else 28))
        services.milestone_reach(
            account=account, milestone=M.ACTIVATED, reached_at=_at(activated, 15), source="3 people signed in"
        )
        services.milestone_reach(
            account=account,
            milestone=M.INITIAL_TRAINING,
            reached_at=_at(trained, 16),
            source="First course or learning path completed",
        )
    # Where the log covers the onboarding, it says when.
    triggers.detect_milestones(account_ids=[a.pk for a in accounts])
    reached = {
        (account_id, milestone): at
        for account_id, milestone, at in MilestoneReached.objects.filter(account__in=accounts).values_list(
            "account_id", "milestone", "reached_at"
        )
    }
    # The two most recent high-touch customers of the demo CS manager are stuck before the hand-over.
    mine = [a for a in reversed(accounts) if following.get(a.pk) == high.pk]
    stuck = sorted(mine, key=lambda a: a.cs_manager_id != getattr(history.csm, "pk", None))[:2]
    for account in accounts:
        model = high if following.get(account.pk) == high.pk else low
        start = account.contract_start
        pace = rng.choice([1.0, 1.0, 1.0, 1.2, 1.6])
        # Escalations of the detected milestones whose window passed before they were reached.
        for name in ("Activation check", "Initial training check", "Activation nudge", "Training nudge"):
            moment = moments.get((model.pk, name))
            if moment is None:
                continue
            deadline = start + timedelta(days=moment.offset_days)
            when = reached.get((account.pk, moment.milestone))
            if when is not None and timezone.localdate(when) <= deadline:
                continue
            if when is None and today <= deadline:
                continue
            occurrence = history.occur(
                moment,
                account,
                key="missed",
                text=(
                    f"{moment.get_milestone_display()} not reached within {moment.offset_days} days of the "
                    f"contract start ({start:%-d %b %Y}); it was due by {deadline:%-d %b %Y}"
                ),
                at=_at(deadline + timedelta(days=1), 6),
                url=reverse("account_engagement", args=[account.pk]),
                done_at=when,
                priority=Priority.HIGH,
            )
            if when is not None:
                call = max(_at(deadline + timedelta(days=1), 11), when - timedelta(days=2))
                history.complete(occurrence, account, call, Channel.CALL)
        # The contract moments: the task done (high touch) or the message sent (low touch).
        for moment in sorted(
            (m for m in moments.values() if m.model_id == model.pk and m.trigger == T.CONTRACT),
            key=lambda m: m.offset_days,
        ):
            due = start + timedelta(days=moment.offset_days)
            text = f"{moment.offset_days} days after the contract started on {start:%-d %b %Y}"
            messaged = moment.sends_message_to(account)
            occurrence = history.occur(
                moment,
                account,
                key="contract",
                text=text,
                at=_at(due, 8),
                done_at=_at(due, 9) if messaged else None,
            )
            if account in stuck and moment.milestone == M.SELF_SUFFICIENCY:
                # The team was not ready: the checkpoint was called off, and its window passed.
                services.task_cancel(task=occurrence.task, by=account.cs_manager or history.csm)
                continue
            if messaged:
                services.milestone_reach(
                    account=account,
                    milestone=moment.milestone,
                    reached_at=_at(due, 9),
                    source=f"Automated message “{moment.message_subject}” sent",
                )
                continue
            late = round(rng.randint(-2, 8) * pace + (pace - 1) * moment.offset_days / 3)
            channel = Channel.MEETING if moment.milestone != M.FIRST_METRICS_REVIEW else Channel.CALL
            history.complete(occurrence, account, _at(due + timedelta(days=max(late, -3)), 14), channel)
    # The stuck ones: the hand-over window passed, which escalated.
    watch = moments[(high.pk, "Self-sufficiency overdue")]
    for account in stuck:
        deadline = account.contract_start + timedelta(days=watch.offset_days)
        history.occur(
            watch,
            account,
            key="missed",
            text=(
                f"Self-sufficiency checkpoint not reached within {watch.offset_days} days of the contract "
                f"start ({account.contract_start:%-d %b %Y}); it was due by {deadline:%-d %b %Y}"
            ),
            at=_at(max(deadline + timedelta(days=1), today - timedelta(days=12)), 6),
            url=reverse("account_engagement", args=[account.pk]),
            priority=Priority.HIGH,
        )
    # Everyone else passed the checkpoint's window long ago: no escalation is due for them.
    return [a.name for a in stuck]


def _calendar(history: _History, accounts, following, moments, high, low) -> None:
    """The last three months of calendar moments: done in the past, open for the current period."""
    today = history.today
    for index, account in enumerate(accounts):
        model = high if following.get(account.pk) == high.pk else low
        for moment in (m for m in moments.values() if m.model_id == model.pk and m.trigger == T.CALENDAR):
            for key, starts in _recent_periods(moment.recurrence, today):
                at = _at(starts, 12)
                if moment.recurrence == Recurrence.ANNUAL:
                    anniversary = _anniversary(account.contract_start, starts.year)
                    if not (today - timedelta(days=HISTORY_DAYS) <= anniversary <= today):
                        continue
                    at = _at(anniversary, 12)
                current = key == triggers.period_key(moment.recurrence, today)[0]
                text = f"{moment.get_recurrence_display()}: {key}"
                occurrence = history.occur(moment, account, key=key, text=text, at=at)
                done = at + timedelta(days=history.rng.randint(1, max(2, moment.task_due_days)))
                if current or done > history.now:
                    # This period's review: most are done once due, the others are still to do.
                    due = timezone.localdate(at) + timedelta(days=moment.task_due_days)
                    if (index % 3 != 0) if due >= today else (index % 5 == 0):
                        continue
                channel = Channel.QBR if moment.recurrence != Recurrence.MONTHLY else Channel.CALL
                history.complete(occurrence, account, done, channel)


def _recent_periods(recurrence: str, today: date) -> list[tuple[str, date]]:
    """The current period and the previous ones over about three months (two years for annual
    moments, whose anniversary may have fallen last year)."""
    count = {Recurrence.WEEKLY: 13, Recurrence.MONTHLY: 3, Recurrence.QUARTERLY: 2}.get(recurrence, 2)
    periods, day = [], today
    while len(periods) < count:
        key, starts = triggers.period_key(recurrence, day)
        periods.append((key, starts))
        day = starts - timedelta(days=1)
    return periods[::-1]


def _anniversary(start: date, year: int) -> date:
    try:
        return start.replace(year=year)
    except ValueError:  # 29 February
        return date(year, 3, 1)


def _events(history: _History, accounts, following, moments, high, low) -> int:
    """Detractor answers, urgent tickets and releases of the last three months, through the
    trigger evaluation for tasks and as history for messages; the recent tasks are still open."""
    since = history.now - timedelta(days=HISTORY_DAYS)
    high_ids = [a.pk for a in accounts if following.get(a.pk) == high.pk]
    rows = Interaction.objects.filter(occurred_at__gte=since, account_id__in=high_ids).filter(
        Q(kind="survey.response_submitted", value__lte=6)
        | Q(kind="support.ticket_opened", properties__severity__in=URGENT_SEVERITIES)
    )
    created = triggers.evaluate_interactions(
        since=since, interaction_ids=list(rows.values_list("pk", flat=True))
    )
    recent = history.now - timedelta(days=OPEN_EVENTS_DAYS)
    for occurrence in MomentOccurrence.objects.filter(
        moment__trigger=T.EVENT, happened_at__lt=recent, task__status=TaskStatus.OPEN
    ).select_related("account__cs_manager", "moment"):
        done = occurrence.happened_at + timedelta(days=history.rng.randint(1, 4), hours=2)
        history.complete(occurrence, occurrence.account, done, Channel.CALL)
    # Low-touch detractors got the automated message (they have no CS manager's task).
    low_accounts = {a.pk: a for a in accounts if following.get(a.pk) == low.pk}
    detractor = moments[(low.pk, "Detractor follow-up")]
    for interaction in Interaction.objects.filter(
        occurred_at__gte=since,
        account_id__in=list(low_accounts),
        kind="survey.response_submitted",
        value__lte=6,
    ).select_related("user"):
        account = low_accounts[interaction.account_id]
        if detractor.creates_task_for(account):
            continue  # the periodic evaluation makes these tasks
        history.occur(
            detractor,
            account,
            key=triggers.event_key(interaction),
            text=f"{interaction.user or 'Someone'} answered {interaction.value:.0f} to the NPS survey",
            at=interaction.occurred_at,
        )
        created += 1
    # Releases: a message to the admins of every account the update is for.
    for update in published_updates_since(since=since):
        for account in accounts:
            if update.segments and account.segment not in update.segments:
                continue
            model = high if following.get(account.pk) == high.pk else low
            history.occur(
                moments[(model.pk, "Product release")],
                account,
                key=f"update-{update.pk}",
                text=f"Released: {update.title}",
                url=update.get_absolute_url(),
                at=update.published_at,
            )
            created += 1
    return created


def _model_change(ctx, accounts, following, high, low, csm) -> None:
    """One mid-market customer started on the low-touch model and moved to high touch."""
    candidates = [
        a
        for a in accounts
        if following.get(a.pk) == high.pk and a.segment == "mid_market" and a.cs_manager == csm
    ]
    if not candidates:
        return
    account = candidates[len(candidates) // 2]
    moved = ctx.today - timedelta(days=75)
    current = ModelAssignment.objects.get(account=account, ended_at__isnull=True)
    ModelAssignment.objects.create(
        account=account,
        model=low,
        started_at=current.started_at,
        ended_at=_at(moved, 11),
    )
    ModelAssignment.objects.filter(pk=current.pk).update(started_at=_at(moved, 11), assigned_by=csm)
