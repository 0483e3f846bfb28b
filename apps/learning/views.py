"""The learner's pages: library, content and courses, paths, live sessions, recommendations,
and the customer admin's team learning page."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import customer_admin_required
from apps.core.redirects import next_or
from apps.learning import selectors, services
from apps.learning.forms import HeartbeatForm, LearningPreferenceForm, LibraryFilterForm
from apps.learning.models import (
    ContentItem,
    LearningPath,
    LearningPreference,
    Lesson,
    LiveSession,
    PathStep,
    RegistrationStatus,
)
from apps.learning.tasks import DIGEST_SALT


def _page_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def library(request):
    form = LibraryFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = selectors.content_library(user=request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(items, 12).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": _page_query(request), "searching": bool(filters.get("q"))}
    template = "learning/library.html#results" if request.htmx else "learning/library.html"
    return TemplateResponse(request, template, context)


def _visible_content(request, slug) -> ContentItem:
    try:
        return selectors.content_detail(user=request.user, slug=slug)
    except ContentItem.DoesNotExist as exc:
        raise Http404("No such content.") from exc


@login_required
def content_detail(request, slug):
    content = _visible_content(request, slug)
    if content.is_published:
        services.content_view(user=request.user, content=content)
    context = {
        "content": content,
        "progress": selectors.content_progress_for(user=request.user, content=content),
        "course": selectors.course_progress(user=request.user, course=content) if content.is_course else None,
    }
    return TemplateResponse(request, "learning/content_detail.html", context)


@require_POST
@login_required
def content_complete(request, slug):
    content = _visible_content(request, slug)
    try:
        services.content_complete(user=request.user, content=content)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{content.title}” is marked as done.")
    return redirect(next_or(request, content.get_absolute_url()))


@login_required
def lesson_detail(request, slug, pk):
    content = _visible_content(request, slug)
    lesson = get_object_or_404(Lesson, pk=pk, course=content)
    if content.is_published:
        services.content_view(user=request.user, content=content, lesson=lesson)
    course = selectors.course_progress(user=request.user, course=content)
    lessons = course["lessons"]
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    return TemplateResponse(
        request,
        "learning/lesson_detail.html",
        {
            "content": content,
            "lesson": lesson,
            "course": course,
            "number": index + 1,
            "previous": lessons[index - 1] if index else None,
            "next": lessons[index + 1] if index + 1 < len(lessons) else None,
        },
    )


@require_POST
@login_required
def lesson_complete(request, slug, pk):
    content = _visible_content(request, slug)
    lesson = get_object_or_404(Lesson, pk=pk, course=content)
    if not content.is_published:
        messages.error(request, "This course is not published yet.")
        return redirect(lesson.get_absolute_url())
    services.lesson_complete(user=request.user, lesson=lesson)
    course = selectors.course_progress(user=request.user, course=content)
    if course["next"] is None:
        messages.success(request, f"You completed the course “{content.title}”. Well done!")
        return redirect(content.get_absolute_url())
    return redirect(course["next"].get_absolute_url())


@login_required
def path_list(request):
    paths = selectors.path_list(user=request.user)
    return TemplateResponse(
        request,
        "learning/path_list.html",
        {
            "in_progress": [p for p in paths if p.enrolment and not p.enrolment.completed_at],
            "for_me": [p for p in paths if p.meant_for_me and not p.enrolment],
            "completed": [p for p in paths if p.enrolment and p.enrolment.completed_at],
            "others": [p for p in paths if not p.meant_for_me and not p.enrolment],
        },
    )


def _visible_path(request, slug) -> LearningPath:
    return get_object_or_404(
        LearningPath.objects.visible_to(request.user).prefetch_related("skills"), slug=slug
    )


@login_required
def path_detail(request, slug):
    path = _visible_path(request, slug)
    progress = selectors.path_progress(user=request.user, path=path)
    template = "learning/path_detail.html#step-list" if request.htmx else "learning/path_detail.html"
    return TemplateResponse(request, template, {"path": path, "progress": progress})


@require_POST
@login_required
def path_enrol(request, slug):
    path = _visible_path(request, slug)
    try:
        services.path_enrol(user=request.user, path=path)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You are enrolled in “{path.title}”. Start with the first step below.")
    return redirect(path.get_absolute_url())


@require_POST
@login_required
def step_complete(request, slug, pk):
    path = _visible_path(request, slug)
    step = get_object_or_404(PathStep.objects.select_related("content", "path"), pk=pk, path=path)
    try:
        services.step_complete(user=request.user, step=step)
    except services.LearningError as exc:
        messages.error(request, str(exc))
        if request.htmx:
            return TemplateResponse(
                request,
                "learning/path_detail.html#step-list",
                {"path": path, "progress": selectors.path_progress(user=request.user, path=path)},
                status=400,
            )
    if request.htmx:
        return TemplateResponse(
            request,
            "learning/path_detail.html#step-list",
            {"path": path, "progress": selectors.path_progress(user=request.user, path=path)},
        )
    return redirect(path.get_absolute_url())


@login_required
def session_list(request):
    show = "past" if request.GET.get("show") == "past" else "upcoming"
    sessions = selectors.session_list(user=request.user, past=show == "past")
    page = Paginator(sessions, 12).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "learning/session_list.html",
        {
            "page": page,
            "show": show,
            "query": _page_query(request),
        },
    )


def _session(request, pk):
    try:
        return selectors.session_detail(user=request.user, pk=pk)
    except LiveSession.DoesNotExist as exc:
        raise Http404("No such session.") from exc


@login_required
def session_detail(request, pk):
    session, registration = _session(request, pk)
    return TemplateResponse(
        request,
        "learning/session_detail.html",
        {
            "session": session,
            "registration": registration,
            "position": selectors.waitlist_position(registration=registration) if registration else None,
        },
    )


@require_POST
@login_required
def session_register(request, pk):
    session, _ = _session(request, pk)
    try:
        registration = services.session_register(user=request.user, session=session)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        if registration.status == "registered":
            messages.success(
                request, "You have a seat. A confirmation with a calendar invitation is on its way."
            )
        else:
            messages.info(
                request,
                "The session is full: you are on the waiting list and will get an e-mail if a seat opens up.",
            )
    return redirect(session.get_absolute_url())


@require_POST
@login_required
def session_cancel(request, pk):
    session, _ = _session(request, pk)
    try:
        services.session_cancel_registration(user=request.user, session=session)
    except services.LearningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Your registration is cancelled.")
    return redirect(session.get_absolute_url())


@login_required
def session_calendar(request, pk):
    from apps.learning.calendar import session_ics

    session, registration = _session(request, pk)
    has_seat = registration is not None and registration.status == RegistrationStatus.REGISTERED
    ics = session_ics(session, with_join_url=has_seat or request.user.is_content_admin)
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cairn-session-{session.pk}.ics"'
    return response


@login_required
def next_up(request):
    return TemplateResponse(
        request,
        "learning/next.html",
        {
            "recommendations": selectors.recommendations(user=request.user, limit=12),
            "in_progress": selectors.enrolments_in_progress(user=request.user),
        },
    )


@require_POST
@login_required
def heartbeat(request):
    """Active time from a learning page: the page sends a beat only while visible and in use."""
    form = HeartbeatForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    # A person cannot claim more active seconds than wall-clock time has passed since their
    # previous beat, whatever a (forged) client sends or however often it sends it.
    key = f"learning:heartbeat:{request.user.pk}"
    now = time.monotonic()
    previous = cache.get(key)
    cache.set(key, now, timeout=3600)
    seconds = (
        form.cleaned_data["seconds"]
        if previous is None
        else min(form.cleaned_data["seconds"], int(now - previous))
    )
    content = None
    if form.cleaned_data["content"]:
        content = ContentItem.objects.visible_to(request.user).filter(pk=form.cleaned_data["content"]).first()
    services.active_time_record(user=request.user, seconds=seconds, content=content)
    return HttpResponse(status=204)


@login_required
def preferences(request):
    preference = LearningPreference.objects.filter(user=request.user).first()
    form = LearningPreferenceForm(
        request.POST or None, initial={"weekly_digest": bool(preference and preference.weekly_digest)}
    )
    if request.method == "POST" and form.is_valid():
        services.learning_preference_set(user=request.user, weekly_digest=form.cleaned_data["weekly_digest"])
        messages.success(request, "Your learning e-mail preference is saved.")
        return redirect("learning_preferences")
    return TemplateResponse(request, "learning/preferences.html", {"form": form})


def digest_unsubscribe(request, token):
    """One-click unsubscribe from the weekly digest, without signing in (the link is signed)."""
    try:
        data = signing.loads(token, salt=DIGEST_SALT, max_age=60 * 60 * 24 * 90)
    except signing.BadSignature:
        return TemplateResponse(request, "learning/digest_unsubscribe.html", {"invalid": True}, status=400)
    preference = LearningPreference.objects.filter(user_id=data.get("u")).select_related("user").first()
    if preference is None:
        return TemplateResponse(request, "learning/digest_unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.learning_preference_set(user=preference.user, weekly_digest=False)
        return TemplateResponse(request, "learning/digest_unsubscribe.html", {"done": True})
    return TemplateResponse(request, "learning/digest_unsubscribe.html", {"preference": preference})


@customer_admin_required
def team_learning(request):
    account = request.user.account
    return TemplateResponse(
        request,
        "learning/team_learning.html",
        {
            "account": account,
            "members": selectors.team_learning(account=account),
            "enrolments": selectors.team_path_progress(account=account),
        },
    )
