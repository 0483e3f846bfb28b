"""Writes of the notifications app: notify a person in-app and, unless they opted out, by e-mail;
and the contact budget every automated message to a person goes through."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import CharField, Count, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from apps.accounts.models import User
from apps.core.failures import refusal_logged
from apps.notifications import senders
from apps.notifications.models import (
    PRIORITY,
    Category,
    Contact,
    ContactKind,
    ContactStatus,
    EmailOptOut,
    Notification,
)

# A granted message not delivered after this long lost its task (the process died between the
# commit and queuing it, or its retries ran out): the hourly release queues it again, until it
# is CONTACT_HOLD_DAYS old; the delivery claim keeps that at most once.
REDELIVER_AFTER = timedelta(hours=1)
# The budget kind of a notification's e-mail: its own category, except messages of automated
# moments (the engagement app's customer_success category). customer_alerts has none: exempt.
NOTIFICATION_KIND = {"customer_success": ContactKind.MOMENT}


def notify(
    *,
    user: User,
    category: str,
    title: str,
    dedup_key: str,
    body: str = "",
    url: str = "",
    email: bool = True,
) -> Notification | None:
    """Notify a person once per `dedup_key`: a second call with the same key does nothing, so a
    retried task never notifies twice. The in-app notification is immediate; the e-mail, unless
    the person turned the category off, is requested after the commit through the contact budget
    (and may be held back). Alerts to the vendor's staff (customer_alerts) are work, not
    marketing: their e-mail is never budgeted. Returns the new notification, or None if it
    existed."""
    if category not in Category.values:
        raise ValueError(f"Unknown notification category {category!r}.")
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user,
                category=category,
                title=title[:200],
                body=body,
                url=url,
                dedup_key=dedup_key[:150],
            )
    except IntegrityError:
        return None
    if email and user.is_active and not EmailOptOut.objects.filter(user=user, category=category).exists():
        if category == Category.CUSTOMER_ALERTS:
            from apps.notifications.tasks import notification_email

            transaction.on_commit(partial(notification_email.delay, notification_id=notification.pk))
        else:
            # After the commit, in a transaction of its own: the budget's per-person lock is then
            # held for a moment, never for the rest of a caller's (possibly long) transaction.
            transaction.on_commit(
                partial(
                    contact_request,
                    user=user,
                    kind=NOTIFICATION_KIND.get(category, category),
                    subject=notification.title,
                    dedup_key=f"notification-{notification.pk}",
                    send="notifications.email",
                    kwargs={"notification_id": notification.pk},
                )
            )
    return notification


def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of a person's notifications read; returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def email_preferences_set(*, user: User, enabled: dict[str, bool]) -> None:
    """Turn e-mail categories on (True) or off (False) for a person."""
    with transaction.atomic():
        for category, on in enabled.items():
            if category not in Category.values:
                raise ValueError(f"Unknown category {category!r}.")
            if on:
                EmailOptOut.objects.filter(user=user, category=category).delete()
            else:
                EmailOptOut.objects.get_or_create(user=user, category=category)


# --- The contact budget -------------------------------------------------------------------------


def contact_sender_register(*, name: str, send: senders.Sender) -> None:
    """Register a function that sends one automated message (see apps/notifications/senders.py);
    feature apps call this when Django starts."""
    senders.register(name, send)


def contact_request(
    *,
    user: User,
    kind: str,
    subject: str,
    dedup_key: str,
    send: str,
    kwargs: dict,
    now: datetime | None = None,
) -> Contact:
    """Ask to send one automated message to a person, within their contact budget: at most
    CONTACT_BUDGET_PER_WEEK messages in any rolling 7 days. If the budget has room the message is
    sent (by the sender registered as `send`, called with `kwargs`, after the commit); otherwise
    it is held, and `release_held_contacts` sends it, most important first, once there is room,
    or drops it after CONTACT_HOLD_DAYS. Held messages more important than this one (or as
    important and older) get the room first.

    Once per (user, dedup_key): asking again returns the first Contact (and, if it was granted
    but never delivered, queues its delivery again).

    Only automated, marketing-like messages come here (survey invitations and reminders, the
    learning digest, course nudges, automated moments, idea, community and product-update
    e-mails). Transactional e-mails are exempt and never counted: password reset, invitations
    to join, session registration confirmations and reminders, certificates and certification
    reminders, and alerts to the vendor's staff (customer_alerts)."""
    if kind not in ContactKind.values:
        raise ValueError(f"Unknown contact kind {kind!r}.")
    from apps.notifications import tasks  # noqa: F401  (registers the notifications' own sender)

    senders.get(send)  # an unknown sender fails now, not when the message is released
    existing = Contact.objects.filter(user=user, dedup_key=dedup_key[:150]).first()
    if existing is not None:
        _redeliver_if_stuck(existing)
        return existing
    now = now or timezone.now()
    with transaction.atomic():
        _lock_person(user.pk)
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    user=user,
                    kind=kind,
                    subject=subject[:200],
                    dedup_key=dedup_key[:150],
                    status=ContactStatus.HELD,
                    priority=PRIORITY[kind],
                    payload={"send": send, "kwargs": kwargs},
                    created_at=now,
                )
        except IntegrityError:
            return Contact.objects.get(user=user, dedup_key=dedup_key[:150])
        if contact.pk in _budget_fill(user_id=user.pk, now=now):
            contact.status, contact.sent_at = ContactStatus.SENT, now
    return contact


def contact_deliver(*, contact_id: int) -> bool:
    """Send one granted message, at most once: the row is claimed (delivered_at) in the same
    transaction as the send, so a failed send releases the claim and a retry sends it. A sender
    with nothing to send any more drops the message, which then stops counting against the
    budget; so does a permanent refusal by the mail server (a 5xx code: sending it again would
    fail the same way), which is logged. Returns whether a message went out."""
    from apps.notifications import tasks  # noqa: F401  (registers the notifications' own sender)

    with transaction.atomic():
        claimed = Contact.objects.filter(
            pk=contact_id, status=ContactStatus.SENT, delivered_at__isnull=True
        ).update(delivered_at=timezone.now())
        if not claimed:
            return False
        contact = Contact.objects.get(pk=contact_id)
        send = senders.get(contact.payload["send"])
        with refusal_logged(f"Message {contact_id} ({contact.kind}) to user {contact.user_id}") as outcome:
            delivered = send(**contact.payload.get("kwargs", {}))
        if outcome.refused or delivered is False:
            Contact.objects.filter(pk=contact_id).update(status=ContactStatus.DROPPED, delivered_at=None)
            return False
    return True


def contact_release_held(*, now: datetime | None = None) -> dict[str, int]:
    """Drop held messages older than CONTACT_HOLD_DAYS, then send, per person, as many held ones
    as their budget now allows, most important and then oldest first. Idempotent: a second run
    finds the budgets it filled full. Returns how many were released, dropped and re-queued."""
    now = now or timezone.now()
    stale = now - timedelta(days=settings.CONTACT_HOLD_DAYS)
    dropped = Contact.objects.held().filter(created_at__lt=stale).update(status=ContactStatus.DROPPED)
    used = (
        Contact.objects.counted_at(now)
        .filter(user_id=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = (
        User.objects.filter(Exists(Contact.objects.held().filter(user_id=OuterRef("pk"))))
        .annotate(used=Coalesce(Subquery(used), Value(0)))
        .filter(used__lt=settings.CONTACT_BUDGET_PER_WEEK)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    released = 0
    for user_id in list(people):
        with transaction.atomic():
            _lock_person(user_id)
            released += len(_budget_fill(user_id=user_id, now=now))
    stuck = list(
        Contact.objects.filter(
            status=ContactStatus.SENT,
            delivered_at__isnull=True,
            sent_at__gte=stale,
            sent_at__lt=now - REDELIVER_AFTER,
        ).values_list("pk", flat=True)
    )
    if stuck:
        from apps.notifications.tasks import contact_send

        for pk in stuck:
            contact_send.delay(contact_id=pk)
    missing = _request_missing_notification_emails(now=now, since=stale)
    return {"released": released, "dropped": dropped, "requeued": len(stuck) + missing}


def _request_missing_notification_emails(*, now: datetime, since: datetime) -> int:
    """A notification whose e-mail request never ran (the worker died between the commit and the
    request) is requested now, so its e-mail is not lost. Idempotent: the request's dedup key is
    the notification's."""
    has_request = Contact.objects.filter(
        user_id=OuterRef("user_id"),
        dedup_key=Concat(Value("notification-"), Cast(OuterRef("pk"), CharField())),
    )
    opted_out = EmailOptOut.objects.filter(user_id=OuterRef("user_id"), category=OuterRef("category"))
    orphans = (
        Notification.objects.filter(
            created_at__gte=since, created_at__lt=now - REDELIVER_AFTER, emailed_at__isnull=True
        )
        .exclude(category=Category.CUSTOMER_ALERTS)
        .filter(user__is_active=True)
        .exclude(Exists(opted_out))
        .exclude(Exists(has_request))
        .select_related("user")
    )
    requested = 0
    for notification in orphans:
        contact_request(
            user=notification.user,
            kind=NOTIFICATION_KIND.get(notification.category, notification.category),
            subject=notification.title,
            dedup_key=f"notification-{notification.pk}",
            send="notifications.email",
            kwargs={"notification_id": notification.pk},
        )
        requested += 1
    return requested


def _lock_person(user_id: int) -> None:
    """Serialise budget decisions per person. FOR NO KEY UPDATE, so rows that merely refer to
    the person (interactions, notifications) can still be written meanwhile."""
    list(User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk", flat=True))


def _budget_fill(*, user_id: int, now: datetime) -> list[int]:
    """Grant a person's held messages, most important first, while their budget has room.
    The caller holds the person's lock. Returns the ids granted."""
    room = settings.CONTACT_BUDGET_PER_WEEK - (
        Contact.objects.filter(user_id=user_id).counted_at(now).count()
    )
    if room <= 0:
        return []
    fresh = now - timedelta(days=settings.CONTACT_HOLD_DAYS)
    granted = list(
        Contact.objects.held()
        .filter(user_id=user_id, created_at__gte=fresh)
        .queue_order()
        .values_list("pk", flat=True)[:room]
    )
    if granted:
        from apps.notifications.tasks import contact_send

        Contact.objects.filter(pk__in=granted).update(status=ContactStatus.SENT, sent_at=now)
        for pk in granted:
            transaction.on_commit(partial(contact_send.delay, contact_id=pk))
    return granted


def _redeliver_if_stuck(contact: Contact) -> None:
    if contact.status == ContactStatus.SENT and contact.delivered_at is None:
        from apps.notifications.tasks import contact_send

        transaction.on_commit(partial(contact_send.delay, contact_id=contact.pk))
