"""Reads for the CS manager's work: the task inbox and its counts, one task with what triggered
it, the account's recent one-to-one history, and the detractor feedback linked to ideas.

Every list is a bounded number of queries, whatever the number of tasks or accounts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.community.models import Idea, IdeaStatus
from apps.community.selectors import idea_list
from apps.core.spreadsheet import safe_cell
from apps.engagement.models import EventKind, FeedbackLink, Priority, Task, TaskStatus
from apps.interactions.models import Interaction
from apps.surveys.selectors import response_detail

INBOX_PAGE_SIZE = 25
HISTORY_LENGTH = 5
IDEA_SEARCH_LIMIT = 8
WEEK_DAYS = 7  # "this week": due in the next seven days (after today)

WHO = {"mine": "My tasks", "all": "All CS managers", "unassigned": "Unassigned"}
STATUSES = {
    TaskStatus.OPEN.value: "Open",
    TaskStatus.DONE.value: "Done",
    TaskStatus.CANCELLED.value: "Cancelled",
}
BUCKETS = {"overdue": "Overdue", "today": "Due today", "week": "This week", "later": "Later"}
GROUPS = {"due": "Due date", "account": "Account"}


# --- the inbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxFilters:
    who: str = "mine"
    status: str = TaskStatus.OPEN
    q: str = ""
    priority: str = ""
    due: str = ""
    group: str = "due"

    def querystring(self, **changes) -> str:
        """The filters that differ from the defaults, as a query string (page excluded)."""
        current = replace(self, **changes)
        default = InboxFilters()
        return urlencode(
            {
                name: getattr(current, name)
                for name in ("who", "status", "q", "priority", "due", "group")
                if getattr(current, name) != getattr(default, name)
            }
        )


def _bucket_filters(today: date) -> dict[str, Q]:
    return {
        "overdue": Q(due_on__lt=today),
        "today": Q(due_on=today),
        "week": Q(due_on__gt=today, due_on__lte=today + timedelta(days=WEEK_DAYS)),
        "later": Q(due_on__gt=today + timedelta(days=WEEK_DAYS)),
    }


def _scoped(*, user: User, filters: InboxFilters) -> QuerySet[Task]:
    """Tasks by assignee, account name and priority (not by status or due bucket)."""
    tasks = Task.objects.all()
    if filters.who == "mine":
        tasks = tasks.filter(assignee=user)
    elif filters.who == "unassigned":
        tasks = tasks.filter(assignee__isnull=True)
    if filters.q:
        tasks = tasks.filter(account__name__icontains=filters.q)
    if filters.priority:
        tasks = tasks.filter(priority=filters.priority)
    return tasks


def task_inbox(*, user: User, filters: InboxFilters, today: date) -> QuerySet[Task]:
    """The inbox rows: open tasks by due date then priority (high first); closed ones most
    recently closed first. Grouped by account, the account name sorts first."""
    tasks = _scoped(user=user, filters=filters).filter(status=filters.status)
    if filters.status == TaskStatus.OPEN and filters.due in BUCKETS:
        tasks = tasks.filter(_bucket_filters(today)[filters.due])
    tasks = tasks.select_related("account", "assignee", "occurrence").annotate(
        priority_rank=Case(
            When(priority=Priority.HIGH, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    if filters.status == TaskStatus.OPEN:
        order = ["due_on", "priority_rank", "pk"]
    else:
        order = ["-completed_at", "-due_on", "-pk"]
    if filters.group == "account":
        order = ["account__name", "account_id", *order]
    return tasks.order_by(*order)


def task_api_list(
    *, user: User, status: str = TaskStatus.OPEN, assignee: str = "me", account: int | None = None
) -> QuerySet[Task]:
    """The task API's list: the inbox's rows, by status, assignee (me, all, unassigned) and account."""
    who = {"me": "mine", "all": "all", "unassigned": "unassigned"}[assignee]
    tasks = task_inbox(user=user, filters=InboxFilters(who=who, status=status), today=timezone.localdate())
    if account is not None:
        tasks = tasks.filter(account_id=account)
    return tasks.select_related("completed_by")


def task_counts(*, user: User, filters: InboxFilters, today: date) -> dict[str, int]:
    """Open tasks per due bucket (overdue, today, week, later) under the other filters; one query."""
    buckets = _bucket_filters(today)
    return (
        _scoped(user=user, filters=filters)
        .filter(status=TaskStatus.OPEN)
        .aggregate(**{name: Count("pk", filter=condition) for name, condition in buckets.items()})
    )


def due_words(due_on: date, today: date) -> tuple[str, bool]:
    """When a task is due, in words, and whether it is late: ("3 days overdue", True)."""
    days = (due_on - today).days
    if days < 0:
        return f"{-days} day{pluralize(-days)} overdue", True
    if days == 0:
        return "Due today", False
    if days == 1:
        return "Due tomorrow", False
    return f"In {days} days", False


# --- one task ----------------------------------------------------------------------------------


def task_detail(*, pk: int) -> Task:
    """One task with everything its page shows about it. Raises Task.DoesNotExist."""
    return Task.objects.select_related(
        "account", "account__cs_manager", "assignee", "completed_by", "contact", "occurrence__moment"
    ).get(pk=pk)


def account_one_to_ones(*, account_id: int, exclude_pk: int | None = None) -> list[Task]:
    """The account's last few completed tasks (its one-to-one history), newest first."""
    return list(
        Task.objects.filter(account_id=account_id, status=TaskStatus.DONE)
        .exclude(pk=exclude_pk)
        .select_related("completed_by")
        .order_by("-completed_at", "-pk")[:HISTORY_LENGTH]
    )


@dataclass(frozen=True)
class DetractorAnswer:
    """What a detractor said: who, the score and their comment."""

    person: User | None
    score: int | None
    comment: str
    answered_at: object
    campaign: str


def is_detractor_task(task: Task) -> bool:
    occurrence = task.occurrence if task.occurrence_id else None
    return bool(
        occurrence is not None
        and occurrence.moment.event == EventKind.DETRACTOR
        and (occurrence.trigger or {}).get("interaction_id")
    )


def detractor_answer(*, task: Task) -> DetractorAnswer | None:
    """The NPS answer a detractor task is about (None for other tasks): the score from the log,
    the comment from the survey response (or from the event, for answers sent by integrations)."""
    if not is_detractor_task(task):
        return None
    interaction = (
        Interaction.objects.select_related("user")
        .filter(pk=task.occurrence.trigger["interaction_id"], kind="survey.response_submitted")
        .first()
    )
    if interaction is None:
        return None
    properties = interaction.properties or {}
    comment = str(properties.get("comment") or "")
    campaign = ""
    if isinstance(properties.get("response"), int):
        response = response_detail(response_id=properties["response"])
        if response is not None:
            comment = response.comment
            campaign = response.invitation.campaign.name
    return DetractorAnswer(
        person=interaction.user,
        score=None if interaction.value is None else round(interaction.value),
        comment=comment,
        answered_at=interaction.occurred_at,
        campaign=campaign,
    )


def task_for_interaction(*, interaction_id: int) -> Task | None:
    """The task a moment created for this interaction (a detractor's answer), if any."""
    from apps.engagement.triggers import event_key

    interaction = Interaction.objects.filter(pk=interaction_id).first()
    if interaction is None:
        return None
    return Task.objects.filter(occurrence__key=event_key(interaction)).order_by("pk").only("pk").first()


# --- ideas and feedback links ------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaFacts:
    pk: int
    title: str
    status: str
    status_label: str

    @property
    def shipped(self) -> bool:
        return self.status == IdeaStatus.SHIPPED

    @property
    def url(self) -> str:
        return reverse("idea_detail", args=[self.pk])


def idea_facts(*, idea_ids) -> dict[int, IdeaFacts]:
    """Title and status of each idea (read-only, one query). A merged idea takes the status of
    the idea it was merged into, so feedback linked to a duplicate still learns it shipped."""
    labels = dict(IdeaStatus.choices)
    rows = Idea.objects.filter(pk__in=list(idea_ids)).values_list(
        "pk", "title", "status", "merged_into__status"
    )
    facts = {}
    for pk, title, status, merged_status in rows:
        if status == IdeaStatus.MERGED and merged_status:
            status = merged_status
        facts[pk] = IdeaFacts(pk=pk, title=title, status=status, status_label=labels.get(status, status))
    return facts


def idea_search(*, user: User, q: str) -> list[Idea]:
    """Ideas whose title or description matches, most voted first, for linking feedback."""
    q = q.strip()
    if not q:
        return []
    return list(idea_list(user=user, q=q, sort="top").prefetch_related(None)[:IDEA_SEARCH_LIMIT])


def task_feedback_links(*, task: Task) -> list[FeedbackLink]:
    """The feedback linked from this task, each with `.idea` (IdeaFacts, or None if deleted)."""
    links = list(FeedbackLink.objects.filter(task=task).order_by("linked_at", "pk"))
    facts = idea_facts(idea_ids={link.idea_id for link in links}) if links else {}
    for link in links:
        link.idea = facts.get(link.idea_id)
    return links


# --- the loop report ---------------------------------------------------------------------------

TOO_FEW = 5


def link_stage(link: FeedbackLink) -> str:
    """Where a link is in the loop, in words."""
    if link.new_score is not None:
        return "Won back" if link.won_back else "Answered again"
    if link.resurveyed_at:
        return "Re-surveyed"
    if link.told_at:
        return "Told"
    return "Linked"


def loop_links() -> QuerySet[FeedbackLink]:
    return FeedbackLink.objects.select_related("person", "account", "linked_by").order_by("-linked_at", "-pk")


def loop_summary() -> dict:
    """Detractors (people) at each step of the loop, in one query, and whether there are too few
    answers to tell how many were won back."""
    counts = FeedbackLink.objects.aggregate(
        linked=Count("person", distinct=True),
        told=Count("person", filter=Q(told_at__isnull=False), distinct=True),
        resurveyed=Count("person", filter=Q(resurveyed_at__isnull=False), distinct=True),
        answered=Count("person", filter=Q(new_score__isnull=False), distinct=True),
        won_back=Count("person", filter=Q(new_score__gte=7), distinct=True),
    )
    answered = counts["answered"]
    counts["too_few"] = answered < TOO_FEW
    counts["won_back_rate"] = None if counts["too_few"] else round(100 * counts["won_back"] / answered)
    return counts


def with_ideas(links) -> list[FeedbackLink]:
    """Attach `.idea` (IdeaFacts) and `.stage` to each link, with one query for the ideas."""
    links = list(links)
    facts = idea_facts(idea_ids={link.idea_id for link in links}) if links else {}
    for link in links:
        link.idea = facts.get(link.idea_id)
        link.stage = link_stage(link)
    return links


LOOP_CSV_HEADER = [
    "linked_on",
    "person",
    "email",
    "account",
    "idea_id",
    "idea",
    "idea_status",
    "stage",
    "score_before",
    "score_after",
    "told_at",
    "resurveyed_at",
    "comment",
]


def loop_csv_rows():
    """The header, then one row per feedback link, for the loop report's CSV export."""
    yield LOOP_CSV_HEADER
    links = loop_links()
    for start in range(0, links.count(), 500):
        for link in with_ideas(links[start : start + 500]):
            yield [
                link.linked_at.date().isoformat(),
                safe_cell(link.person.full_name),
                safe_cell(link.person.email),
                safe_cell(link.account.name),
                str(link.idea_id),
                safe_cell(link.idea.title if link.idea else ""),
                link.idea.status if link.idea else "",
                link.stage,
                "" if link.score is None else str(link.score),
                "" if link.new_score is None else str(link.new_score),
                link.told_at.isoformat() if link.told_at else "",
                link.resurveyed_at.isoformat() if link.resurveyed_at else "",
                safe_cell(link.comment),
            ]
