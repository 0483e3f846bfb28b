"""The Studio: content admins' own pages to curate content, lessons, learning paths and live sessions.

Every view is for content admins only (403 for anyone else signed in). State changes go through
`apps.learning.services`; a refused change becomes a message on the page, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.permissions import content_admin_required
from apps.accounts.services import ServiceError
from apps.core.studio import count_of, posted, save_with_slug
from apps.learning import selectors, services
from apps.learning.models import (
    ContentItem,
    ContentKind,
    Enrolment,
    LearningPath,
    Lesson,
    LiveSession,
    PathStep,
    RegistrationStatus,
    Status,
    StepKind,
)
from apps.learning.studio_forms import (
    AttendanceForm,
    ContentItemForm,
    LearningPathForm,
    LessonForm,
    LiveSessionForm,
    PathStepForm,
)

PAGE_SIZE = 20
TABS = {"content": "Content", "paths": "Paths", "sessions": "Live sessions"}
PUBLISH_FILTERS = [("", "Any status"), (Status.DRAFT.value, "Draft"), (Status.PUBLISHED.value, "Published")]
STATUS_FILTERS = {
    "content": PUBLISH_FILTERS,
    "paths": PUBLISH_FILTERS,
    "sessions": [
        ("upcoming", "Upcoming"),
        ("past", "Started or past"),
        ("cancelled", "Cancelled"),
        ("all", "All"),
    ],
}


def _sessions_with_seats() -> QuerySet[LiveSession]:
    return LiveSession.objects.annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status=RegistrationStatus.REGISTERED)),
        waiting=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
    )


# --- Overview ---------------------------------------------------------------------------------


def _content_rows(status: str) -> QuerySet:
    items = ContentItem.objects.annotate(lesson_count=count_of(Lesson, "course")).order_by(
        "-updated_at", "pk"
    )
    return items.filter(status=status) if status else items


def _path_rows(status: str) -> QuerySet:
    paths = LearningPath.objects.annotate(
        step_count=count_of(PathStep, "path"), enrolment_count=count_of(Enrolment, "path")
    ).order_by("-updated_at", "pk")
    return paths.filter(status=status) if status else paths


def _session_rows(status: str) -> QuerySet:
    sessions = _sessions_with_seats()
    now = timezone.now()
    if status == "upcoming":
        return sessions.filter(starts_at__gte=now, cancelled_at__isnull=True).order_by("starts_at", "pk")
    if status == "past":
        return sessions.filter(starts_at__lt=now, cancelled_at__isnull=True).order_by("-starts_at", "pk")
    if status == "cancelled":
        return sessions.filter(cancelled_at__isnull=False).order_by("-starts_at", "pk")
    return sessions.order_by("-starts_at", "pk")


@content_admin_required
def studio_home(request):
    tab = request.GET.get("tab", "")
    tab = tab if tab in TABS else "content"
    filters = STATUS_FILTERS[tab]
    status = request.GET.get("status", filters[0][0])
    status = status if status in dict(filters) else filters[0][0]
    rows = {"content": _content_rows, "paths": _path_rows, "sessions": _session_rows}[tab](status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    now = timezone.now()
    totals = {
        "content": ContentItem.objects.count(),
        "paths": LearningPath.objects.count(),
        "sessions": LiveSession.objects.filter(starts_at__gte=now, cancelled_at__isnull=True).count(),
    }
    return TemplateResponse(
        request,
        "learning/studio/home.html",
        {
            "tab": tab,
            "tabs": [(key, label, totals[key]) for key, label in TABS.items()],
            "status": status,
            "status_choices": filters,
            "filtered": status != filters[0][0],
            "page": page,
            "query": query.urlencode(),
            "now": now,
        },
    )


# --- Content and lessons ----------------------------------------------------------------------


@content_admin_required
def content_edit(request, pk=None):
    content = get_object_or_404(ContentItem, pk=pk) if pk else None
    form = ContentItemForm(posted(request), instance=content)
    if request.method == "POST" and form.is_valid():
        extra = {} if content else {"created_by": request.user}
        try:
            saved = save_with_slug(form, ContentItem, **extra)
        except IntegrityError:
            form.add_error(None, "Another item was saved with the same title at the same moment; save again.")
        else:
            messages.success(request, f"“{saved.title}” was saved.")
            return redirect("studio_content_edit", saved.pk)
    return TemplateResponse(
        request,
        "learning/studio/content_edit.html",
        {"content": content, "form": form, "lessons": list(content.lessons.all()) if content else []},
        status=400 if form.errors else 200,
    )


@require_POST
@content_admin_required
def content_publish(request, pk):
    content = get_object_or_404(ContentItem, pk=pk)
    published = request.POST.get("published") == "1"
    try:
        services.publish(obj=content, by=request.user, published=published)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        state = "published: learners can find it" if published else "back in draft: learners no longer see it"
        messages.success(request, f"“{content.title}” is {state}.")
    return redirect("studio_content_edit", content.pk)


def _lesson_page(request, *, course: ContentItem, lesson: Lesson | None):
    form = LessonForm(posted(request), instance=lesson)
    if request.method == "POST" and form.is_valid():
        saved = services.lesson_save(lesson=form.save(commit=False), course=course, by=request.user)
        messages.success(request, f"Lesson “{saved.title}” was saved.")
        return redirect(reverse("studio_content_edit", args=[course.pk]) + "#lessons")
    return TemplateResponse(
        request,
        "learning/studio/lesson_edit.html",
        {"course": course, "lesson": lesson, "form": form},
        status=400 if form.errors else 200,
    )


@content_admin_required
def lesson_new(request, pk):
    course = get_object_or_404(ContentItem, pk=pk, kind=ContentKind.COURSE)
    return _lesson_page(request, course=course, lesson=None)


@content_admin_required
def lesson_edit(request, pk):
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk)
    return _lesson_page(request, course=lesson.course, lesson=lesson)


def _lesson_list_response(request, course: ContentItem, *, error: str = "", success: str = ""):
    if request.htmx:
        return TemplateResponse(
            request,
            "learning/studio/content_edit.html#lesson-list",
            {"content": course, "lessons": list(course.lessons.all()), "list_error": error},
        )
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect(reverse("studio_content_edit", args=[course.pk]) + "#lessons")


@require_POST
@content_admin_required
def lesson_move(request, pk):
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk)
    try:
        services.lesson_move(lesson=lesson, by=request.user, direction=request.POST.get("direction", ""))
    except ServiceError as exc:
        return _lesson_list_response(request, lesson.course, error=str(exc))
    return _lesson_list_response(request, lesson.course)


@require_POST
@content_admin_required
def lesson_delete(request, pk):
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=pk)
    try:
        services.lesson_delete(lesson=lesson, by=request.user)
    except ServiceError as exc:
        return _lesson_list_response(request, lesson.course, error=str(exc))
    return _lesson_list_response(request, lesson.course, success=f"Lesson “{lesson.title}” was deleted.")


# --- Paths and steps ---------------------------------------------------------------------------


@dataclass
class StepRow:
    step: PathStep
    title: str
    url: str
    kind_label: str
    warning: str = ""
    detail: str = ""


def _step_rows(path: LearningPath) -> list[StepRow]:
    """The path's steps in order, each with its title and a link to curate it, in a fixed number
    of queries: one for the steps, one per registered step type present."""
    steps = selectors.path_steps(path=path)
    described = selectors.registered_step_targets(steps)
    rows = []
    for step in steps:
        if step.kind == StepKind.CONTENT:
            content = step.content
            rows.append(
                StepRow(
                    step,
                    content.title,
                    reverse("studio_content_edit", args=[content.pk]),
                    content.get_kind_display(),
                    warning="" if content.is_published else "Draft",
                )
            )
        elif step.kind == StepKind.LIVE_SESSION:
            session = step.live_session
            rows.append(
                StepRow(
                    step,
                    session.title,
                    reverse("studio_session_edit", args=[session.pk]),
                    session.get_kind_display(),
                    warning="Cancelled" if session.cancelled_at else "",
                    detail=f"{timezone.localtime(session.starts_at):%d %b %Y, %H:%M}",
                )
            )
        else:
            target = described.get(step.kind, {}).get(step.ref_id)
            rows.append(
                StepRow(
                    step,
                    target.title if target else "Unavailable step",
                    target.url if target else "",
                    step.get_kind_display(),
                    warning="" if target else "Missing",
                )
            )
    return rows


def _path_page(request, *, path, form, step_form=None, status=200):
    context = {"path": path, "form": form}
    if path is not None:
        context.update(
            steps=_step_rows(path),
            step_form=step_form or PathStepForm(),
            enrolled=path.enrolments.count(),
        )
    return TemplateResponse(request, "learning/studio/path_edit.html", context, status=status)


@content_admin_required
def path_edit(request, pk=None):
    path = get_object_or_404(LearningPath, pk=pk) if pk else None
    form = LearningPathForm(posted(request), instance=path)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_with_slug(form, LearningPath)
        except IntegrityError:
            form.add_error(None, "Another path was saved with the same title at the same moment; save again.")
        else:
            hint = "" if path else " Now add its steps."
            messages.success(request, f"“{saved.title}” was saved.{hint}")
            return redirect("studio_path_edit", saved.pk)
    return _path_page(request, path=path, form=form, status=400 if form.errors else 200)


@require_POST
@content_admin_required
def path_publish(request, pk):
    path = get_object_or_404(LearningPath, pk=pk)
    published = request.POST.get("published") == "1"
    try:
        services.publish(obj=path, by=request.user, published=published)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        state = "published: learners can enrol" if published else "back in draft: learners no longer see it"
        messages.success(request, f"“{path.title}” is {state}.")
    return redirect("studio_path_edit", path.pk)


@require_POST
@content_admin_required
def step_add(request, pk):
    path = get_object_or_404(LearningPath, pk=pk)
    step_form = PathStepForm(request.POST)
    if step_form.is_valid():
        try:
            services.path_step_add(path=path, by=request.user, **step_form.step_kwargs())
        except ServiceError as exc:
            step_form.add_error(None, str(exc))
        else:
            messages.success(request, "The step was added at the end of the path.")
            return redirect(reverse("studio_path_edit", args=[path.pk]) + "#steps")
    return _path_page(
        request, path=path, form=LearningPathForm(instance=path), step_form=step_form, status=400
    )


def _step_list_response(request, path: LearningPath, *, error: str = "", success: str = ""):
    """The step list alone for htmx, else back to the path page (which works without JavaScript)."""
    if request.htmx:
        return TemplateResponse(
            request,
            "learning/studio/path_edit.html#step-list",
            {"path": path, "steps": _step_rows(path), "list_error": error},
        )
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect(reverse("studio_path_edit", args=[path.pk]) + "#steps")


@require_POST
@content_admin_required
def step_move(request, pk):
    step = get_object_or_404(PathStep.objects.select_related("path"), pk=pk)
    try:
        services.path_step_move(step=step, by=request.user, direction=request.POST.get("direction", ""))
    except ServiceError as exc:
        return _step_list_response(request, step.path, error=str(exc))
    return _step_list_response(request, step.path)


@require_POST
@content_admin_required
def step_remove(request, pk):
    step = get_object_or_404(PathStep.objects.select_related("path"), pk=pk)
    path = step.path
    try:
        services.path_step_remove(step=step, by=request.user)
    except ServiceError as exc:
        return _step_list_response(request, path, error=str(exc))
    return _step_list_response(request, path, success="The step was removed.")


# --- Live sessions ------------------------------------------------------------------------------


@content_admin_required
def session_edit(request, pk=None):
    session = get_object_or_404(_sessions_with_seats(), pk=pk) if pk else None
    form = LiveSessionForm(posted(request), instance=session)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = services.session_save(session=form.save(commit=False), by=request.user)
                form.save_m2m()
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{saved.title}” was saved.")
            return redirect("studio_session_edit", saved.pk)
    return TemplateResponse(
        request,
        "learning/studio/session_edit.html",
        {"session": session, "form": form, "now": timezone.now()},
        status=400 if form.errors else 200,
    )


@require_POST
@content_admin_required
def session_cancel(request, pk):
    session = get_object_or_404(LiveSession, pk=pk)
    if session.cancelled_at:
        messages.info(request, "This session was already cancelled.")
    else:
        try:
            services.session_cancel(session=session, by=request.user)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"“{session.title}” was cancelled; the people registered are told by e-mail."
            )
    return redirect("studio_session_edit", session.pk)


@content_admin_required
def session_attendance(request, pk):
    session = get_object_or_404(LiveSession, pk=pk)
    roster = list(selectors.session_roster(session=session))
    registered = [r for r in roster if r.status == RegistrationStatus.REGISTERED]
    waitlisted = [r for r in roster if r.status == RegistrationStatus.WAITLISTED]
    form = AttendanceForm(posted(request), registrations=registered)
    started = session.starts_at <= timezone.now()
    if request.method == "POST":
        if session.cancelled_at:
            messages.error(request, "This session was cancelled; there is no attendance to mark.")
        elif form.is_valid():
            try:
                services.session_mark_attendance(
                    session=session, attended_user_ids=form.cleaned_data["attended"], by=request.user
                )
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                attended = len(set(form.cleaned_data["attended"]))
                messages.success(
                    request, f"Attendance saved: {attended} of {len(registered)} people attended."
                )
        else:
            return TemplateResponse(
                request,
                "learning/studio/attendance.html",
                {
                    "session": session,
                    "form": form,
                    "registered": registered,
                    "waitlisted": waitlisted,
                    "started": started,
                },
                status=400,
            )
        return redirect("studio_session_attendance", session.pk)
    return TemplateResponse(
        request,
        "learning/studio/attendance.html",
        {
            "session": session,
            "form": form,
            "registered": registered,
            "waitlisted": waitlisted,
            "started": started,
        },
    )
