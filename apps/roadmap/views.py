"""The roadmap and product updates, for everyone signed in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse

from apps.roadmap import selectors, services
from apps.roadmap.models import ProductUpdate

PAGE_SIZE = 10


@login_required
def roadmap(request):
    services.roadmap_view(user=request.user)
    return TemplateResponse(
        request, "roadmap/roadmap.html", {"columns": selectors.roadmap_board(user=request.user)}
    )


@login_required
def update_list(request):
    page = Paginator(selectors.updates_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "roadmap/update_list.html#updates" if request.htmx else "roadmap/update_list.html"
    return TemplateResponse(request, template, {"page": page})


@login_required
def update_detail(request, pk):
    try:
        update = selectors.update_detail(user=request.user, pk=pk)
    except ProductUpdate.DoesNotExist as exc:
        raise Http404("No such update.") from exc
    if update.is_live:
        services.update_mark_read(user=request.user, update=update)
    return TemplateResponse(request, "roadmap/update_detail.html", {"update": update})


@login_required
def updates_badge(request):
    """Only the count pill of unread updates (or nothing), loaded by htmx for the navigation."""
    count = selectors.unread_update_count(user=request.user)
    return TemplateResponse(request, "notifications/_badge.html", {"count": count, "what": "unread updates"})
