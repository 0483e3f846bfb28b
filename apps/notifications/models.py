"""In-app notifications and per-person e-mail preferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Category(models.TextChoices):
    """What an automated e-mail is about; people can turn each category off."""

    IDEAS = "ideas", "Ideas I voted for or follow"
    COMMUNITY = "community", "Answers and comments on my posts"
    PRODUCT_UPDATES = "product_updates", "Product updates and release notes"
    LEARNING = "learning", "Learning reminders and recommendations"
    CUSTOMER_ALERTS = "customer_alerts", "Alerts about my accounts (detractors, risks)"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One in-app notification. `dedup_key` makes "notify once" hold even if a task retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    category = models.CharField(max_length=20, choices=Category.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads (a path).")
    dedup_key = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "dedup_key"], name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.title} → {self.user}"


class EmailOptOut(models.Model):
    """A person does not want automated e-mails of one category (transactional ones still go)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_opt_outs"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "category"], name="opt_out_once")]

    def __str__(self):
        return f"{self.user} opted out of {self.category}"
