"""Celery tasks of the roadmap app."""

from __future__ import annotations

from celery import shared_task

from apps.roadmap import services
from apps.roadmap.models import RoadmapItem


@shared_task
def notify_item_shipped(*, item_id: int) -> int:
    """Tell everyone waiting for a shipped item; safe to retry (each person is notified once)."""
    item = RoadmapItem.objects.filter(pk=item_id).first()
    if item is None:
        return 0
    return services.roadmap_item_shipped_notify(item=item)
