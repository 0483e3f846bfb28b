"""The roadmap studio: content admins edit roadmap items and product updates, ship items and
publish updates. Every view is for content admins only (403 for anyone else signed in)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.models import Segment
from apps.accounts.permissions import content_admin_required
from apps.community.models import IdeaFollow, Vote
from apps.roadmap import services
from apps.roadmap.forms import ProductUpdateForm, RoadmapItemForm
from apps.roadmap.models import Horizon, ProductUpdate, RoadmapItem


def _audience_counts(items) -> dict[int, int]:
    """Item id -> how many distinct people shipping it would notify (two queries in all)."""
    links = RoadmapItem.ideas.through.objects.filter(roadmapitem__in=items).values_list(
        "roadmapitem_id", "idea_id"
    )
    ideas_of: dict[int, set[int]] = {}
    for item_id, idea_id in links:
        ideas_of.setdefault(item_id, set()).add(idea_id)
    all_ideas = set().union(*ideas_of.values()) if ideas_of else set()
    people_of: dict[int, set[int]] = {}
    for model in (Vote, IdeaFollow):
        rows = model.objects.filter(idea__in=all_ideas, user__is_active=True).values_list(
            "idea_id", "user_id"
        )
        for idea_id, user_id in rows:
            people_of.setdefault(idea_id, set()).add(user_id)
    return {
        item_id: len(set().union(*(people_of.get(i, set()) for i in idea_ids)))
        for item_id, idea_ids in ideas_of.items()
    }


@content_admin_required
def studio_roadmap(request):
    items = list(RoadmapItem.objects.annotate(idea_count=Count("ideas")).order_by("position", "pk"))
    audience = _audience_counts(items)
    columns = {value: {"label": label, "items": []} for value, label in Horizon.choices}
    for item in items:
        item.audience = audience.get(item.pk, 0)
        columns[item.horizon]["items"].append(item)
    updates = list(ProductUpdate.objects.annotate(read_count=Count("reads")).order_by("-created_at", "-pk"))
    for update in updates:
        update.audience_label = ", ".join(Segment(s).label for s in update.segments if s in Segment.values)
    return TemplateResponse(
        request,
        "roadmap/studio/home.html",
        {"columns": list(columns.values()), "updates": updates, "now": timezone.now()},
    )


@content_admin_required
def studio_roadmap_item_edit(request, pk=None):
    item = get_object_or_404(RoadmapItem, pk=pk) if pk else RoadmapItem()
    form = RoadmapItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        try:
            services.roadmap_item_save(
                by=request.user, item=form.save(commit=False), ideas=form.cleaned_data["ideas"]
            )
        except services.RoadmapError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"“{item.title}” is saved.")
            return redirect("studio_roadmap")
    return TemplateResponse(
        request, "roadmap/studio/item_edit.html", {"form": form, "item": item if pk else None}
    )


@require_POST
@content_admin_required
def studio_roadmap_item_ship(request, pk):
    item = get_object_or_404(RoadmapItem, pk=pk)
    try:
        services.roadmap_item_ship(item=item, by=request.user)
    except services.RoadmapError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{item.title}” shipped. Everyone waiting for it is being notified.")
    return redirect("studio_roadmap")


@content_admin_required
def studio_update_edit(request, pk=None):
    update = get_object_or_404(ProductUpdate, pk=pk) if pk else ProductUpdate()
    form = ProductUpdateForm(request.POST or None, instance=update)
    if request.method == "POST" and form.is_valid():
        services.update_save(
            by=request.user,
            update=form.save(commit=False),
            ideas=form.cleaned_data["ideas"],
            roadmap_items=form.cleaned_data["roadmap_items"],
        )
        messages.success(request, f"“{update.title}” is saved.")
        return redirect("studio_roadmap")
    return TemplateResponse(
        request, "roadmap/studio/update_edit.html", {"form": form, "update": update if pk else None}
    )


@require_POST
@content_admin_required
def studio_update_publish(request, pk):
    update = get_object_or_404(ProductUpdate, pk=pk)
    try:
        services.update_publish(by=request.user, update=update)
    except services.RoadmapError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{update.title}” is published.")
    return redirect("studio_roadmap")
