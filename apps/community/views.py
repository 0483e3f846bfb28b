"""The ideas board: list, post (with similar ideas while typing), detail, vote, follow, comment,
and the staff's status, merge, hide and demand-by-revenue pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import content_admin_required, staff_required
from apps.community import selectors, services
from apps.community.forms import CommentForm, DemandSortForm, IdeaFilterForm, IdeaForm, MergeForm, StatusForm
from apps.community.models import Idea, IdeaStatus
from apps.core.redirects import next_or
from apps.core.spreadsheet import csv_response


def _page_query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _idea(request, pk) -> Idea:
    try:
        return selectors.idea_detail(user=request.user, pk=pk)
    except Idea.DoesNotExist as exc:
        raise Http404("No such idea.") from exc


@login_required
def idea_list(request):
    form = IdeaFilterForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    ideas = selectors.idea_list(user=request.user, **filters)
    page = Paginator(ideas, 20).get_page(request.GET.get("page"))
    page.object_list = selectors.with_excerpts(page.object_list)
    context = {
        "form": form,
        "page": page,
        "query": _page_query(request),
        "sort": filters.get("sort", "top"),
        "sort_label": selectors.SORTS.get(filters.get("sort", "top"), "Top"),
        "filtering": bool(filters.keys() - {"sort"}),
    }
    template = "community/idea_list.html#results" if request.htmx else "community/idea_list.html"
    return TemplateResponse(request, template, context)


@login_required
def idea_new(request):
    form = IdeaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            idea = services.idea_create(author=request.user, **form.cleaned_data)
        except services.CommunityError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Thanks! Your idea is posted. Share it with your colleagues so they can vote."
            )
            return redirect(idea)
    title = form["title"].value() or ""
    similar = selectors.similar_ideas(user=request.user, title=title) if title else []
    return TemplateResponse(
        request, "community/idea_form.html", {"form": form, "similar": similar, "title": title}
    )


@login_required
def idea_similar(request):
    title = request.GET.get("title", "")[:160]
    similar = selectors.similar_ideas(user=request.user, title=title)
    return TemplateResponse(request, "community/idea_form.html#similar", {"similar": similar, "title": title})


@login_required
def idea_detail(request, pk):
    idea = _idea(request, pk)
    if idea.status == IdeaStatus.MERGED:
        messages.info(
            request, f"“{idea.title}” was merged into this idea; its votes and followers are here now."
        )
        return HttpResponsePermanentRedirect(idea.merged_into.get_absolute_url())
    services.idea_view(user=request.user, idea=idea)
    context = {
        "idea": idea,
        "comments": selectors.idea_comments(user=request.user, idea=idea),
        "comment_form": CommentForm(),
        "can_edit": services.can_edit(idea=idea, user=request.user),
        "merged": list(idea.merged.values_list("title", flat=True)),
    }
    if request.user.is_vendor_staff:
        context["demand"] = selectors.idea_demand(idea_ids=[idea.pk])[idea.pk]
        context["status_form"] = StatusForm(initial={"status": idea.status})
    template = "community/idea_detail.html#comments" if request.htmx else "community/idea_detail.html"
    return TemplateResponse(request, template, context)


def _widget(request, idea: Idea, name: str, status: int = 200):
    idea = selectors.idea_detail(user=request.user, pk=idea.pk)
    return TemplateResponse(request, f"community/idea_detail.html#{name}", {"idea": idea}, status=status)


@require_POST
@login_required
def idea_vote(request, pk):
    """Toggle the person's vote."""
    idea = _idea(request, pk)
    try:
        if idea.has_voted:
            services.idea_unvote(idea=idea, user=request.user)
        else:
            services.idea_vote(idea=idea, user=request.user)
    except services.CommunityError as exc:
        if request.htmx:
            return _widget(request, idea, "vote-widget", status=400)
        messages.error(request, str(exc))
    if request.htmx:
        return _widget(request, idea, "vote-widget")
    return redirect(next_or(request, idea.get_absolute_url()))


@require_POST
@login_required
def idea_follow(request, pk):
    """Toggle following."""
    idea = _idea(request, pk)
    if idea.is_following:
        services.idea_unfollow(idea=idea, user=request.user)
    else:
        services.idea_follow(idea=idea, user=request.user)
    if request.htmx:
        return _widget(request, idea, "follow-widget")
    return redirect(idea)


@require_POST
@login_required
def idea_comment(request, pk):
    idea = _idea(request, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_create(idea=idea, author=request.user, body=form.cleaned_data["body"])
        except services.CommunityError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Your comment is posted.")
    else:
        messages.error(request, "Write a comment first (at most 5,000 characters).")
    return redirect(f"{idea.get_absolute_url()}#comments")


@login_required
def idea_edit(request, pk):
    idea = _idea(request, pk)
    if idea.status == IdeaStatus.MERGED or not services.can_edit(idea=idea, user=request.user):
        raise Http404("You cannot edit this idea.")
    initial = {"title": idea.title, "description": idea.description, "areas": list(idea.areas.all())}
    form = IdeaForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.idea_update(idea=idea, by=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your changes are saved.")
            return redirect(idea)
    return TemplateResponse(request, "community/idea_form.html", {"form": form, "idea": idea, "similar": []})


@require_POST
@staff_required
def idea_status(request, pk):
    idea = _idea(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return redirect(idea)
    try:
        services.idea_set_status(idea=idea, status=form.cleaned_data["status"], by=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The idea is now {idea.get_status_display().lower()}.")
    return redirect(idea)


@content_admin_required
def idea_merge(request, pk):
    idea = _idea(request, pk)
    if idea.status == IdeaStatus.MERGED:
        return redirect(idea.merged_into)
    form = MergeForm(request.POST or None, source=idea)
    if request.method == "POST" and form.is_valid():
        try:
            target = services.idea_merge(source=idea, target=form.cleaned_data["target"], by=request.user)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{idea.title}” is merged into this idea.")
            return redirect(target)
    return TemplateResponse(request, "community/idea_merge.html", {"idea": idea, "form": form})


@require_POST
@content_admin_required
def idea_hide(request, pk):
    """Toggle hidden."""
    idea = get_object_or_404(Idea, pk=pk)
    if idea.hidden:
        services.idea_unhide(idea=idea, by=request.user)
        messages.success(request, "The idea is visible again.")
    else:
        services.idea_hide(idea=idea, by=request.user)
        messages.success(request, "The idea is hidden from customers.")
    return redirect(idea)


@staff_required
def ideas_demand(request):
    form = DemandSortForm(request.GET or None)
    filters = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    ideas = selectors.ideas_by_demand(**filters)
    if request.GET.get("format") == "csv":
        return csv_response(selectors.demand_csv_rows(ideas=ideas), "ideas-by-demand.csv")
    page = Paginator(ideas, 25).get_page(request.GET.get("page"))
    for idea in page.object_list:
        idea.demand = selectors.Demand.of(idea)
    context = {
        "form": form,
        "page": page,
        "query": _page_query(request),
        "sort": filters.get("sort", "arr"),
        "export_query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "community/ideas_demand.html", context)
