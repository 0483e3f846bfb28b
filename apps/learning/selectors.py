"""Reads of the learning app: the library, paths with a person's progress, sessions, team
progress and recommendations. Each returns with its related rows already fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Account, Level, User
from apps.interactions.models import Interaction
from apps.learning import kinds, step_types
from apps.learning.models import (
    ContentItem,
    ContentProgress,
    Enrolment,
    LearningPath,
    LessonCompletion,
    LiveSession,
    PathStep,
    Registration,
    RegistrationStatus,
    Status,
    StepCompletion,
    StepKind,
)

LEVEL_ORDER = [Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED]


# --- Library -------------------------------------------------------------------------------


def content_library(
    *, user: User, q: str = "", kind: str = "", level: str = "", vertical: str = "", skill: str = ""
) -> QuerySet[ContentItem]:
    items = ContentItem.objects.visible_to(user).prefetch_related("skills")
    if q:
        items = _search(items, q)
    if kind:
        items = items.filter(kind=kind)
    if level:
        items = items.filter(level=level)
    if vertical:
        items = items.filter(Q(vertical=vertical) | Q(vertical=""))
    if skill:
        items = items.filter(skills__slug=skill)
    done = ContentProgress.objects.filter(user=user, content=OuterRef("pk"), completed_at__isnull=False)
    return items.annotate(is_done=Exists(done)).distinct()


def _search(items: QuerySet[ContentItem], q: str) -> QuerySet[ContentItem]:
    from django.db import connection

    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A")
            + SearchVector("summary", weight="B")
            + SearchVector("body", weight="C")
        )
        query = SearchQuery(q, search_type="websearch")
        return (
            items.annotate(rank=SearchRank(vector, query))
            .filter(Q(rank__gt=0.01) | Q(title__icontains=q) | Q(skills__name__icontains=q))
            .order_by("-rank", "title")
        )
    words = q.split()[:6]
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(body__icontains=word)
            | Q(skills__name__icontains=word)
        )
    return items.filter(condition)


def content_detail(*, user: User, slug: str) -> ContentItem:
    return ContentItem.objects.visible_to(user).prefetch_related("skills", "lessons").get(slug=slug)


def course_progress(*, user: User, course: ContentItem) -> dict:
    lessons = list(course.lessons.all())
    done = set(
        LessonCompletion.objects.filter(user=user, lesson__course=course).values_list("lesson_id", flat=True)
    )
    return {
        "lessons": lessons,
        "done": done,
        "percent": round(100 * len(done) / len(lessons)) if lessons else 0,
        "next": next((lesson for lesson in lessons if lesson.pk not in done), None),
    }


def content_progress_for(*, user: User, content: ContentItem) -> ContentProgress | None:
    return ContentProgress.objects.filter(user=user, content=content).first()


# --- Paths ---------------------------------------------------------------------------------


def path_matches(path: LearningPath, user: User) -> bool:
    """Whether a path is meant for this person: its role, level, vertical and segment."""
    account: Account | None = user.account
    if path.job_roles and user.job_role not in path.job_roles:
        return False
    if path.segments and (account is None or account.segment not in path.segments):
        return False
    return not (path.vertical and account is not None and path.vertical != account.vertical)


def path_list(*, user: User) -> list[LearningPath]:
    """Published paths with the person's enrolment attached as `.enrolment` (or None), and
    `.step_count`, `.done_count`, `.meant_for_me`, ordered: in progress, for me, the rest."""
    paths = list(
        LearningPath.objects.visible_to(user)
        .annotate(step_count=Count("steps", filter=Q(steps__required=True), distinct=True))
        .prefetch_related("skills", "prerequisites")
        .order_by("title")
    )
    enrolments = {
        e.path_id: e
        for e in Enrolment.objects.filter(user=user, path__in=paths).annotate(
            done_count=Count("completions", filter=Q(completions__step__required=True))
        )
    }
    for path in paths:
        path.enrolment = enrolments.get(path.pk)
        path.done_count = path.enrolment.done_count if path.enrolment else 0
        # Progress counts required steps only, as on the path page: optional ones are extra.
        path.percent = round(100 * path.done_count / path.step_count) if path.step_count else 0
        path.meant_for_me = path_matches(path, user)
    paths.sort(
        key=lambda p: (
            0 if p.enrolment and not p.enrolment.completed_at else 1 if p.meant_for_me else 2,
            LEVEL_ORDER.index(p.level) if p.level in LEVEL_ORDER else 9,
            p.title,
        )
    )
    return paths


@dataclass
class StepView:
    step: PathStep
    title: str
    url: str
    kind_label: str
    minutes: int
    done: bool
    hint: str = ""


@dataclass
class PathProgress:
    path: LearningPath
    enrolment: Enrolment | None
    steps: list[StepView] = field(default_factory=list)
    prerequisites_missing: list[LearningPath] = field(default_factory=list)

    @property
    def required_total(self) -> int:
        return sum(1 for s in self.steps if s.step.required)

    @property
    def required_done(self) -> int:
        return sum(1 for s in self.steps if s.step.required and s.done)

    @property
    def percent(self) -> int:
        return round(100 * self.required_done / self.required_total) if self.required_total else 0

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.steps)

    @property
    def next_step(self) -> StepView | None:
        """Where to resume: the first step not done yet (required ones first)."""
        pending = [s for s in self.steps if not s.done]
        required = [s for s in pending if s.step.required]
        return (required or pending or [None])[0]


def path_steps(*, path: LearningPath) -> list[PathStep]:
    """The path's steps in order, with their content or live session fetched."""
    return list(path.steps.select_related("content", "live_session").order_by("position", "pk"))


def registered_step_targets(steps: list[PathStep]) -> dict[str, dict[int, step_types.StepTarget]]:
    """Titles and links of steps whose type another app registered: one query per type present."""
    described: dict[str, dict] = {}
    for kind in {s.kind for s in steps} - {StepKind.CONTENT, StepKind.LIVE_SESSION}:
        provider = step_types.get(kind)
        described[kind] = provider.describe([s.ref_id for s in steps if s.kind == kind]) if provider else {}
    return described


def path_progress(*, user: User, path: LearningPath) -> PathProgress:
    steps = path_steps(path=path)
    enrolment = Enrolment.objects.filter(user=user, path=path).first()
    done = set()
    if enrolment:
        done = set(StepCompletion.objects.filter(enrolment=enrolment).values_list("step_id", flat=True))
    registered = {}
    if steps:
        registered = {
            r.session_id: r
            for r in Registration.objects.filter(
                user=user, session__in=[s.live_session_id for s in steps if s.live_session_id]
            )
        }
    described = registered_step_targets(steps)
    views = []
    for step in steps:
        if step.kind == StepKind.CONTENT:
            c = step.content
            views.append(
                StepView(
                    step,
                    c.title,
                    c.get_absolute_url(),
                    c.get_kind_display(),
                    c.estimated_minutes,
                    step.pk in done,
                )
            )
        elif step.kind == StepKind.LIVE_SESSION:
            s = step.live_session
            reg = registered.get(s.pk)
            hint = (
                f"You are {reg.get_status_display().lower()}"
                if reg and reg.status != "cancelled"
                else "Register to attend"
            )
            views.append(
                StepView(
                    step,
                    s.title,
                    s.get_absolute_url(),
                    s.get_kind_display(),
                    s.duration_minutes,
                    step.pk in done,
                    hint,
                )
            )
        else:
            target = described.get(step.kind, {}).get(step.ref_id)
            views.append(
                StepView(
                    step,
                    target.title if target else "Unavailable step",
                    target.url if target else "",
                    step.get_kind_display(),
                    target.minutes if target else 0,
                    step.pk in done,
                    target.hint if target else "",
                )
            )
    finished = Enrolment.objects.filter(user=user, completed_at__isnull=False).values("path")
    missing = list(path.prerequisites.exclude(pk__in=finished))
    return PathProgress(path=path, enrolment=enrolment, steps=views, prerequisites_missing=missing)


def enrolments_in_progress(*, user: User) -> list[Enrolment]:
    return list(
        Enrolment.objects.filter(user=user, completed_at__isnull=True)
        .select_related("path")
        .annotate(
            done_count=Count("completions", filter=Q(completions__step__required=True), distinct=True),
            step_count=Count("path__steps", filter=Q(path__steps__required=True), distinct=True),
        )
        .order_by("-enrolled_at")
    )


# --- Live sessions -------------------------------------------------------------------------


def session_list(*, user: User, past: bool = False) -> QuerySet[LiveSession]:
    sessions = LiveSession.objects.past() if past else LiveSession.objects.upcoming()
    mine = Registration.objects.filter(session=OuterRef("pk"), user=user).exclude(
        status=RegistrationStatus.CANCELLED
    )
    return sessions.annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
        waiting=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
        is_mine=Exists(mine),
    ).prefetch_related("skills")


def session_detail(*, user: User, pk: int) -> tuple[LiveSession, Registration | None]:
    session = LiveSession.objects.annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
        waiting=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    ).get(pk=pk)
    registration = Registration.objects.filter(session=session, user=user).first()
    return session, registration


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return (
        Registration.objects.filter(
            session=registration.session_id,
            status=RegistrationStatus.WAITLISTED,
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def session_roster(*, session: LiveSession) -> QuerySet[Registration]:
    return (
        session.registrations.exclude(status=RegistrationStatus.CANCELLED)
        .select_related("user", "user__account")
        .order_by("status", "created_at")
    )


# --- Team learning (customer admins) ---------------------------------------------------------


def team_learning(*, account: Account, days: int = 30) -> list[User]:
    """Every member of the account with learning figures attached, in a constant number of queries:
    `.paths_enrolled`, `.paths_completed`, `.content_completed`, `.active_seconds` (last `days`)."""
    since = timezone.now() - timedelta(days=days)
    members = list(
        account.users.filter(is_active=True)
        .annotate(
            paths_enrolled=Count("enrolments", distinct=True),
            paths_completed=Count(
                "enrolments", filter=Q(enrolments__completed_at__isnull=False), distinct=True
            ),
        )
        .order_by("full_name")
    )
    content_done = dict(
        ContentProgress.objects.filter(user__account=account, completed_at__isnull=False)
        .values("user")
        .annotate(n=Count("id"))
        .values_list("user", "n")
    )
    seconds = dict(
        Interaction.objects.filter(account=account, kind=kinds.ACTIVE_TIME.name, occurred_at__gte=since)
        .values("user")
        .annotate(s=Sum("value"))
        .values_list("user", "s")
    )
    for member in members:
        member.content_completed = content_done.get(member.pk, 0)
        member.active_seconds = int(seconds.get(member.pk) or 0)
    return members


def team_path_progress(*, account: Account) -> list[Enrolment]:
    """Every enrolment of the account's people, with its path and required step counts."""
    return list(
        Enrolment.objects.filter(user__account=account)
        .select_related("user", "path")
        .annotate(
            done_count=Count("completions", filter=Q(completions__step__required=True), distinct=True),
            step_count=Count("path__steps", filter=Q(path__steps__required=True), distinct=True),
        )
        .order_by("path__title", "user__full_name")
    )


# --- Recommendations -------------------------------------------------------------------------


@dataclass
class Recommendation:
    obj: LearningPath | ContentItem
    score: float
    reasons: list[str]

    @property
    def is_path(self) -> bool:
        return isinstance(self.obj, LearningPath)


def recommendations(*, user: User, limit: int = 6) -> list[Recommendation]:
    """What to learn next, each with the reasons it was picked.

    Signals: the person's job role and level, their account's vertical and segment, what they
    have completed (a finished path unlocks the next), and what people at similar customers
    (same segment and vertical) completed in the last 180 days.
    """
    account = user.account
    since = timezone.now() - timedelta(days=180)
    similar = Q()
    if account is not None:
        similar = Q(user__account__segment=account.segment, user__account__vertical=account.vertical)
    enrolled = dict(Enrolment.objects.filter(user=user).values_list("path_id", "completed_at"))
    completed_paths = {pk for pk, done in enrolled.items() if done}
    path_popularity = dict(
        Enrolment.objects.filter(similar, completed_at__gte=since)
        .exclude(user=user)
        .values("path")
        .annotate(n=Count("user", distinct=True))
        .values_list("path", "n")
    )
    content_popularity = dict(
        ContentProgress.objects.filter(similar, completed_at__gte=since)
        .exclude(user=user)
        .values("content")
        .annotate(n=Count("user", distinct=True))
        .values_list("content", "n")
    )
    level_index = LEVEL_ORDER.index(user.level) if user.level in LEVEL_ORDER else 0
    results: list[Recommendation] = []

    paths = LearningPath.objects.published().prefetch_related("prerequisites").exclude(pk__in=list(enrolled))
    for path in paths:
        prerequisites = list(path.prerequisites.all())
        if any(p.pk not in completed_paths for p in prerequisites):
            continue
        score, reasons = 0.0, []
        unlocked = [p.title for p in prerequisites if p.pk in completed_paths]
        if unlocked:
            score += 4
            reasons.append(f"The next step after “{unlocked[0]}”, which you completed")
        score, reasons = _audience_score(path, user, account, level_index, score, reasons)
        popular = path_popularity.get(path.pk, 0)
        if popular:
            score += min(3, popular / 2)
            reasons.append(
                f"Completed by {popular} {'person' if popular == 1 else 'people'} at similar customers"
            )
        if score > 0:
            results.append(Recommendation(path, score + 0.5, reasons))  # paths before single items

    done_content = ContentProgress.objects.filter(user=user, completed_at__isnull=False).values("content")
    in_paths = PathStep.objects.filter(path__enrolments__user=user, content__isnull=False).values("content")
    content = ContentItem.objects.published().exclude(pk__in=done_content).exclude(pk__in=in_paths)
    candidates = sorted(content, key=lambda c: -content_popularity.get(c.pk, 0))[:200]
    for item in candidates:
        score, reasons = _audience_score(item, user, account, level_index, 0.0, [])
        popular = content_popularity.get(item.pk, 0)
        if popular:
            score += min(3, popular / 2)
            reasons.append(
                f"Completed by {popular} {'person' if popular == 1 else 'people'} at similar customers"
            )
        if item.published_at and item.published_at > timezone.now() - timedelta(days=30):
            score += 0.5
            reasons.append("New this month")
        if score > 1:
            results.append(Recommendation(item, score, reasons))
    results.sort(key=lambda r: (-r.score, r.obj.title))
    return results[:limit]


def _audience_score(obj, user, account, level_index, score, reasons):
    level = LEVEL_ORDER.index(obj.level) if obj.level in LEVEL_ORDER else 0
    if level == level_index:
        score += 2
        reasons.append(f"Matches your level ({obj.get_level_display().lower()})")
    elif level == level_index + 1:
        score += 1
        reasons.append("One level up from where you are")
    elif level > level_index + 1:
        score -= 2
    if account is not None and obj.vertical and obj.vertical == account.vertical:
        score += 2
        reasons.append(f"Made for {obj.get_vertical_display().lower()}")
    job_roles = getattr(obj, "job_roles", None)
    if job_roles and user.job_role in job_roles:
        score += 2
        reasons.append(f"Meant for {user.get_job_role_display().lower()}s")
    segments = getattr(obj, "segments", None)
    if segments and account is not None and account.segment in segments:
        score += 1
        reasons.append(f"Aimed at {account.get_segment_display()} customers")
    return score, reasons


# --- Digest ---------------------------------------------------------------------------------


def digest_items(*, user: User, since, limit: int = 5) -> list[ContentItem]:
    """New published content since `since` that suits the person (vertical and level)."""
    account = user.account
    items = ContentItem.objects.published().filter(published_at__gte=since)
    if account is not None:
        items = items.filter(Q(vertical="") | Q(vertical=account.vertical))
    done = ContentProgress.objects.filter(user=user, completed_at__isnull=False).values("content")
    items = list(items.exclude(pk__in=done).order_by("-published_at")[:50])
    level_index = LEVEL_ORDER.index(user.level) if user.level in LEVEL_ORDER else 0
    items.sort(key=lambda c: (abs(LEVEL_ORDER.index(c.level) - level_index), -c.published_at.timestamp()))
    return items[:limit]


def prefetch_path_steps() -> Prefetch:
    return Prefetch("steps", queryset=PathStep.objects.select_related("content", "live_session"))


def published_paths_with_step(*, kind: str, ref_id: int) -> list[str]:
    """Titles of the published paths that have a step of another app's type (an assessment) with
    this id; that app refuses to unpublish what a published path leads learners to."""
    return sorted(
        PathStep.objects.filter(kind=kind, ref_id=ref_id, path__status=Status.PUBLISHED)
        .values_list("path__title", flat=True)
        .distinct()
    )
