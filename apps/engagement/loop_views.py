"""Closing the loop with detractors: link a detractor's feedback to ideas from their task, and the
report of how many were told, asked again and won back. CS managers only."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.permissions import cs_manager_required
from apps.core.spreadsheet import csv_response
from apps.engagement import loop, task_selectors
from apps.engagement.models import FeedbackLink
from apps.engagement.services import EngagementError
from apps.engagement.task_forms import FeedbackIdeaForm
from apps.engagement.views import _detail, _task

LOOP_PAGE_SIZE = 50


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 10 else None


@require_POST
@cs_manager_required
def task_link_idea(request, pk):
    """One form, three actions: link an existing idea (`idea`), post a new idea from the
    feedback (`title`, `description`), or unlink (`unlink`)."""
    task = _task(pk)
    back = reverse("task_detail", args=[task.pk]) + "#loop"
    action = request.POST.get("action")
    try:
        if action == "link":
            idea_id = _int(request.POST.get("idea"))
            if idea_id is None:
                raise EngagementError("Choose an idea to link.")
            link = loop.feedback_link_create(task=task, idea_id=idea_id, by=request.user)
            messages.success(request, f"Linked {link.person}'s feedback to the idea.")
        elif action == "create":
            form = FeedbackIdeaForm(request.POST)
            if not form.is_valid():
                return _detail(request, task, idea_form=form, status=400)
            try:
                loop.feedback_idea_create(task=task, by=request.user, **form.cleaned_data)
            except EngagementError as exc:
                form.add_error(None, str(exc))
                return _detail(request, task, idea_form=form, status=400)
            messages.success(
                request, f"Posted the idea “{form.cleaned_data['title']}” and linked the feedback."
            )
        elif action == "unlink":
            link = FeedbackLink.objects.filter(task=task, pk=_int(request.POST.get("link")) or 0).first()
            if link is None:
                raise EngagementError("That link is already gone.")
            loop.feedback_link_delete(link=link, by=request.user)
            messages.success(request, "Unlinked.")
        else:
            raise EngagementError("Choose what to do.")
    except EngagementError as exc:
        messages.error(request, str(exc))
    return redirect(back)


@require_GET
@cs_manager_required
def loop_report(request):
    if request.GET.get("format") == "csv":
        return csv_response(task_selectors.loop_csv_rows(), f"closing-the-loop-{timezone.localdate()}.csv")
    page = Paginator(task_selectors.loop_links(), LOOP_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "summary": task_selectors.loop_summary(),
        "page": page,
        "links": task_selectors.with_ideas(page.object_list),
        "too_few": task_selectors.TOO_FEW,
    }
    return TemplateResponse(request, "engagement/loop_report.html", context)
