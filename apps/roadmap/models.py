"""The public roadmap and product updates (release notes), with read tracking."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.community.models import Idea


class Horizon(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


class ItemStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"


class RoadmapItem(models.Model):
    title = models.CharField(max_length=160)
    description = models.TextField(blank=True, help_text="Markdown.")
    horizon = models.CharField(max_length=6, choices=Horizon.choices, default=Horizon.NEXT)
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    ideas = models.ManyToManyField(Idea, blank=True, related_name="roadmap_items")
    position = models.PositiveIntegerField(default=0)
    shipped_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["horizon", "position", "pk"]

    def __str__(self):
        return self.title


class UpdateQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())


class ProductUpdate(models.Model):
    title = models.CharField(max_length=160)
    body = models.TextField(help_text="Markdown release notes.")
    segments = models.JSONField(
        default=list, blank=True, help_text="Customer segments it is for; empty = all."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty = draft; a future date schedules it."
    )
    ideas = models.ManyToManyField(Idea, blank=True, related_name="updates")
    roadmap_items = models.ManyToManyField(RoadmapItem, blank=True, related_name="updates")
    created_at = models.DateTimeField(default=timezone.now)

    objects = UpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("update_detail", kwargs={"pk": self.pk})


class UpdateRead(models.Model):
    update = models.ForeignKey(ProductUpdate, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="update_reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["update", "user"], name="update_read_once")]

    def __str__(self):
        return f"{self.user} read {self.update_id}"
