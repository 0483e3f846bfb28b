"""In-app notifications and per-person e-mail preferences."""

from __future__ import annotations

from datetime import datetime, timedelta

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
    CUSTOMER_SUCCESS = "customer_success", "Messages from our customer success team"


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


# --- The contact budget -------------------------------------------------------------------------


class ContactKind(models.TextChoices):
    """What an automated message is about. The notification categories are kinds too, so an
    e-mail of notify() is budgeted under its own category."""

    MOMENT = "moment", "Automated moment"
    SURVEY = "survey", "Survey invitation or reminder"
    IDEAS = "ideas", "Idea news"
    COMMUNITY = "community", "Community reply"
    PRODUCT_UPDATES = "product_updates", "Product update"
    LEARNING = "learning", "Learning reminder"
    DIGEST = "digest", "Weekly learning digest"
    NUDGE = "nudge", "Course nudge"


# Lower goes first when held messages are released. Staff alerts (customer_alerts) are not a
# kind: they are work for the vendor's own people, not marketing, so they are never budgeted.
PRIORITY = {
    ContactKind.MOMENT: 1,
    ContactKind.SURVEY: 2,
    ContactKind.IDEAS: 3,
    ContactKind.COMMUNITY: 3,
    ContactKind.PRODUCT_UPDATES: 4,
    ContactKind.LEARNING: 5,
    ContactKind.DIGEST: 5,
    ContactKind.NUDGE: 5,
}


class ContactStatus(models.TextChoices):
    SENT = "sent", "Sent"
    HELD = "held", "Held back"
    DROPPED = "dropped", "Dropped"


# The budget's rolling window is [now - 7 days, now]: a message sent exactly 7 days ago still
# counts, one sent a second earlier no longer does. There is no upper bound, so messages granted
# at the same instant all count.
BUDGET_WINDOW = timedelta(days=7)


class ContactQuerySet(models.QuerySet):
    def counted_since(self, start: datetime):
        """What uses the budget of a window that starts at `start` (inclusive)."""
        return self.filter(status=ContactStatus.SENT, sent_at__gte=start)

    def counted_at(self, now: datetime):
        """What uses the budget at `now`."""
        return self.counted_since(now - BUDGET_WINDOW)

    def held(self):
        return self.filter(status=ContactStatus.HELD)

    def queue_order(self):
        """Held messages in the order they are released: most important, then oldest, first."""
        return self.order_by("priority", "created_at", "pk")


class Contact(models.Model):
    """One automated message to one person, sent within the contact budget or held back.

    `sent_at` is when the budget let it go (what the budget counts), `delivered_at` when its
    sender actually ran; `payload` names the registered sender and its JSON arguments, so a
    held message can be sent later by any worker."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=20, choices=ContactKind.choices)
    subject = models.CharField(max_length=200)
    dedup_key = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=ContactStatus.choices, default=ContactStatus.HELD)
    priority = models.PositiveSmallIntegerField()
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "dedup_key"], name="contact_once")]
        indexes = [
            models.Index(fields=["user", "sent_at"], name="contact_user_sent"),
            # The release queue: small, because only held messages are in it.
            models.Index(
                fields=["user", "priority", "created_at"],
                condition=models.Q(status="held"),
                name="contact_held_queue",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.user} ({self.status})"

    @property
    def is_sent(self) -> bool:
        return self.status == ContactStatus.SENT
