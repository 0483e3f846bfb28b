"""The CS manager's work: the task inbox, one task with what triggered it, and completing it by
logging the one-to-one interaction (call, meeting, QBR, e-mail). CS managers only; every CS
manager sees every task (the team covers for each other), and whoever completes one is recorded."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.permissions import cs_manager_required
from apps.engagement import services, task_selectors
from apps.engagement.models import Task, TaskStatus
from apps.engagement.task_forms import (
    FeedbackIdeaForm,
    IdeaSearchForm,
    InboxFilterForm,
    TaskCompleteForm,
    TaskForm,
)


def _partial(request) -> bool:
    # A history restore (back button after the cache expired) needs the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _task(pk: int) -> Task:
    try:
        return task_selectors.task_detail(pk=pk)
    except Task.DoesNotExist as exc:
        raise Http404("No such task.") from exc


def _with_due(tasks, today):
    rows = list(tasks)
    for task in rows:
        task.due_text, task.late = task_selectors.due_words(task.due_on, today)
        if task.status != TaskStatus.OPEN:
            task.late = False
    return rows


@require_GET
@cs_manager_required
def task_inbox(request):
    form = InboxFilterForm(request.GET)
    filters = form.filters()
    today = timezone.localdate()
    tasks = task_selectors.task_inbox(user=request.user, filters=filters, today=today)
    page = Paginator(tasks, task_selectors.INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = task_selectors.task_counts(user=request.user, filters=filters, today=today)
    buckets = [
        {
            "key": key,
            "label": label,
            "n": counts[key],
            "query": filters.querystring(due=key, status=TaskStatus.OPEN),
            "current": filters.status == TaskStatus.OPEN and filters.due == key,
        }
        for key, label in task_selectors.BUCKETS.items()
    ]
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "tasks": _with_due(page.object_list, today),
        "buckets": buckets,
        "query": filters.querystring(),
        "all_due_query": filters.querystring(due=""),
        "filtered": filters != task_selectors.InboxFilters(),
        "today": today,
    }
    template = "engagement/task_inbox.html#results" if _partial(request) else "engagement/task_inbox.html"
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@cs_manager_required
def task_new(request):
    initial = {}
    if request.method == "GET" and request.GET.get("account", "").isdigit():
        initial["account"] = int(request.GET["account"])
    form = TaskForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                task = services.task_create(by=request.user, **form.cleaned_data)
            except services.EngagementError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Task “{task.title}” added to your inbox.")
                return redirect("task_detail", pk=task.pk)
        status = 400
    return TemplateResponse(request, "engagement/task_new.html", {"form": form}, status=status)


def _detail(request, task: Task, *, complete_form=None, idea_form=None, status=200):
    """The task page: the task, its trigger, the account's recent 1:1s, the completion form and,
    for a detractor's task, their answer and the ideas it is linked to."""
    today = timezone.localdate()
    task.due_text, task.late = task_selectors.due_words(task.due_on, today)
    answer = task_selectors.detractor_answer(task=task)
    search = IdeaSearchForm(request.GET)
    q = search.cleaned_data.get("q", "") if search.is_valid() else ""
    context = {
        "task": task,
        "is_open": task.status == TaskStatus.OPEN,
        "answer": answer,
        "history": task_selectors.account_one_to_ones(account_id=task.account_id, exclude_pk=task.pk),
        "complete_form": complete_form or TaskCompleteForm(),
        "can_link": answer is not None and answer.person is not None,
    }
    if context["can_link"]:
        links = task_selectors.task_feedback_links(task=task)
        linked = {link.idea_id for link in links}
        results = task_selectors.idea_search(user=request.user, q=q) if q else []
        context.update(
            links=links,
            search_form=search,
            q=q,
            results=[(idea, idea.pk in linked) for idea in results],
            idea_form=idea_form or FeedbackIdeaForm(initial={"title": "", "description": answer.comment}),
        )
    if _partial(request) and request.method == "GET" and "q" in request.GET:
        template = "engagement/task_detail.html#idea-results"
    else:
        template = "engagement/task_detail.html"
    response = TemplateResponse(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
@cs_manager_required
def task_detail(request, pk):
    return _detail(request, _task(pk))


@require_POST
@cs_manager_required
def task_complete(request, pk):
    task = _task(pk)
    if task.status != TaskStatus.OPEN:
        messages.error(request, "This task is already closed.")
        return redirect("task_detail", pk=task.pk)
    form = TaskCompleteForm(request.POST)
    if form.is_valid():
        try:
            services.task_complete(task=task, by=request.user, **form.cleaned_data)
        except services.EngagementError as exc:
            form.add_error(None, str(exc))
        else:
            channel = dict(form.fields["channel"].choices)[form.cleaned_data["channel"]]
            messages.success(request, f"Done: “{task.title}”. Your {channel.lower()} is logged.")
            return redirect("task_inbox")
    return _detail(request, task, complete_form=form, status=400)


@require_POST
@cs_manager_required
def task_cancel(request, pk):
    task = _task(pk)
    try:
        services.task_cancel(task=task, by=request.user)
    except services.EngagementError as exc:
        messages.error(request, str(exc))
        return redirect("task_detail", pk=task.pk)
    messages.success(request, f"Cancelled: “{task.title}”.")
    return redirect("task_inbox")


@require_GET
@cs_manager_required
def detractor_task_redirect(request, interaction_id):
    task = task_selectors.task_for_interaction(interaction_id=interaction_id)
    if task is None:
        raise Http404("No task was created for this answer.")
    return redirect(reverse("task_detail", args=[task.pk]))
