"""The notification centre, its navigation badge, e-mail preferences and one-click unsubscribe;
and what the contact budget sent to and held back from a person."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import User
from apps.accounts.permissions import cs_manager_required
from apps.notifications import selectors, services
from apps.notifications.forms import EmailPreferencesForm
from apps.notifications.models import BUDGET_WINDOW, Category, Contact, ContactStatus, Notification
from apps.notifications.tasks import UNSUBSCRIBE_SALT

PAGE_SIZE = 20
CONTACTS_PAGE_SIZE = 50
OWN_CONTACTS_DAYS = 30
OWN_CONTACTS_SHOWN = 10


@login_required
def notification_list(request):
    page = Paginator(selectors.notification_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    unread = selectors.unread_notification_count(user=request.user)
    return TemplateResponse(request, "notifications/notification_list.html", {"page": page, "unread": unread})


@require_POST
@login_required
def notification_read(request, pk):
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
    if request.htmx:
        notification.refresh_from_db(fields=["read_at"])
        return TemplateResponse(
            request, "notifications/notification_list.html#notification", {"notification": notification}
        )
    return redirect("notification_list")


@require_POST
@login_required
def notification_read_all(request):
    changed = services.notification_mark_read(user=request.user)
    messages.success(request, f"{changed} notification{'s' if changed != 1 else ''} marked as read.")
    return redirect("notification_list")


@login_required
def notification_badge(request):
    """Only the unread count pill (or nothing), loaded by htmx after the page, so rendering a
    page never costs a query for it."""
    count = selectors.unread_notification_count(user=request.user)
    return TemplateResponse(
        request, "notifications/_badge.html", {"count": count, "what": "unread notifications"}
    )


@login_required
def email_preferences(request):
    current = selectors.email_preferences(user=request.user)
    form = EmailPreferencesForm(request.POST or None, initial=current, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.email_preferences_set(user=request.user, enabled=form.cleaned_data)
        messages.success(request, "Your e-mail preferences are saved.")
        return redirect("email_preferences")
    return TemplateResponse(
        request, "notifications/email_preferences.html", {"form": form, **_own_contacts(request.user)}
    )


def _own_contacts(user) -> dict:
    """The person's own view of the contact budget: what we sent them in the last 30 days and
    what we held back (waiting, or never sent), with the latest few."""
    since = timezone.now() - timedelta(days=OWN_CONTACTS_DAYS)
    sent = Q(status=ContactStatus.SENT, sent_at__gte=since)
    held_back = ~Q(status=ContactStatus.SENT) & Q(created_at__gte=since)
    recent = Contact.objects.filter(Q(user=user) & (sent | held_back))
    counts = recent.aggregate(sent=Count("pk", filter=sent), held_back=Count("pk", filter=held_back))
    return {
        "contacts_days": OWN_CONTACTS_DAYS,
        "contacts_sent": counts["sent"],
        "contacts_held_back": counts["held_back"],
        "recent_contacts": recent.order_by("-created_at", "-pk")[:OWN_CONTACTS_SHOWN],
    }


@cs_manager_required
def person_contacts(request, user_id):
    """What the contact budget sent to one customer's person and what it held back (CS managers)."""
    person = get_object_or_404(User.objects.customers().select_related("account"), pk=user_id)
    contacts = Contact.objects.filter(user=person)
    counts = contacts.aggregate(
        used=Count("pk", filter=Q(status=ContactStatus.SENT, sent_at__gte=timezone.now() - BUDGET_WINDOW)),
        held=Count("pk", filter=Q(status=ContactStatus.HELD)),
    )
    page = Paginator(contacts.order_by("-created_at", "-pk"), CONTACTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "notifications/person_contacts.html",
        {
            "person": person,
            "page": page,
            "budget": settings.CONTACT_BUDGET_PER_WEEK,
            "hold_days": settings.CONTACT_HOLD_DAYS,
            **counts,
        },
    )


# The signed token is the authorisation here, not a session: mail clients send RFC 8058
# one-click unsubscribes (List-Unsubscribe=One-Click) as a cookie-less POST straight to this URL,
# which could never carry a CSRF token. A forged POST can only do what the token already allows,
# turning off one category of e-mail for the one person it was signed for.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request, token):
    """One-click unsubscribe from one e-mail category, without signing in."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        data = None
    person = None
    category = data.get("c") if isinstance(data, dict) else None
    if category in Category.values:
        person = User.objects.filter(pk=data.get("u")).first()
    if person is None:
        return TemplateResponse(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    label = Category(category).label
    if request.method == "POST":
        services.email_preferences_set(user=person, enabled={category: False})
        return TemplateResponse(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    return TemplateResponse(request, "notifications/unsubscribe.html", {"person": person, "label": label})
