"""Portal-wide pages: the home page of each role, the health check and the server error page."""

from __future__ import annotations

import sys
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from apps.accounts import selectors as account_selectors
from apps.analytics import selectors as analytics_selectors
from apps.interactions import selectors as interaction_selectors
from apps.learning import selectors as learning_selectors


@login_required
def home(request):
    user = request.user
    if user.is_cs_manager:
        return _cs_manager_home(request)
    if user.is_content_admin:
        return _content_admin_home(request)
    return _customer_home(request)


def _customer_home(request):
    user = request.user
    account = user.account
    context = {
        "account": account,
        "activity": interaction_selectors.recent_activity(user=user, limit=8),
        "in_progress": learning_selectors.enrolments_in_progress(user=user)[:3],
        "recommendations": learning_selectors.recommendations(user=user, limit=3),
        "my_sessions": learning_selectors.session_list(user=user).filter(is_mine=True)[:3],
    }
    if user.is_customer_admin or user.is_executive_sponsor:
        members = list(account_selectors.account_team(account=account))
        active = interaction_selectors.active_users_by_account(
            since=interaction_selectors.last_30_days(), account_ids=[account.pk]
        ).get(account.pk, 0)
        context.update(
            {
                "team_size": len(members),
                "active_30d": active,
                "utilisation": round(100 * active / account.licensed_seats)
                if account.licensed_seats
                else None,
                "pending_invitations": account_selectors.account_pending_invitations(account=account).count(),
                "team_activity": interaction_selectors.recent_activity(account=account, limit=8),
            }
        )
    template = (
        "home/sponsor.html"
        if user.is_executive_sponsor and not user.is_customer_admin
        else ("home/customer_admin.html" if user.is_customer_admin else "home/learner.html")
    )
    return TemplateResponse(request, template, context)


def _cs_manager_home(request):
    user = request.user
    mine = account_selectors.account_list(user=user).filter(cs_manager=user).order_by("renewal_date")
    accounts = list(mine[:50])
    active = interaction_selectors.active_users_by_account(
        since=interaction_selectors.last_30_days(), account_ids=[a.pk for a in accounts]
    )
    for account in accounts:
        account.active_30d = active.get(account.pk, 0)
    latest, earlier = analytics_selectors.portfolio_dates()
    at_risk = []
    if latest is not None:
        mine_by_health = analytics_selectors.portfolio_list(
            latest=latest,
            earlier=earlier,
            user=user,
            filters=analytics_selectors.PortfolioFilters(owner="mine", sort="score"),
        )
        at_risk = analytics_selectors.portfolio_with_trends(mine_by_health[:5], since=earlier)
    return TemplateResponse(
        request,
        "home/cs_manager.html",
        {
            "at_risk": at_risk,
            "health_date": latest,
            "accounts": accounts,
            "totals": account_selectors.portfolio_totals(accounts=mine.order_by()),
            "renewals_due": account_selectors.renewals_due(user=user, within_days=90)[:10],
        },
    )


def _content_admin_home(request):
    since = timezone.now() - timedelta(days=7)
    return TemplateResponse(
        request,
        "home/content_admin.html",
        {
            "kind_counts": interaction_selectors.kind_counts(since=since),
            "activity": interaction_selectors.recent_activity(limit=10),
        },
    )


@never_cache
def healthz(request):
    """200 when the database (and the broker, if one is configured) answers; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "down"
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.CELERY_BROKER_URL:
        checks["broker"] = _broker_status()
    else:
        checks["broker"] = "not configured (tasks run eagerly)"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


def _broker_status() -> str:
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as exc:  # kombu raises many kinds; all mean "unreachable"
        return f"error: {exc.__class__.__name__}"


UNAVAILABLE = "Cairn could not complete this request just now. Please try again in a minute."
RETRY_AFTER_SECONDS = 30


BAD_REQUEST = "The request could not be read: it is too large or malformed. Nothing was saved."


def bad_request(request, exception):
    """handler400: a request Django refused before any view saw it (a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a forged host). JSON on the API, a page
    elsewhere; nothing was written."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": BAD_REQUEST}, status=400)
    return HttpResponse(loader.render_to_string("400.html"), status=400)


def server_error(request):
    """Django's last resort for an uncaught exception (handler500; Django has logged it already).

    When the database is what failed, Cairn is unavailable for the moment rather than broken:
    503 with Retry-After, so people, browsers and load balancers come back. That covers a
    database that is down or unreachable, a dropped connection, and a transaction the database
    gave up on (a deadlock, a statement timeout, a serialization failure), so the wording says
    only that the request could not be completed. The API answers in JSON, pages with a plain
    template that needs no database."""
    unavailable = isinstance(sys.exc_info()[1], OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        detail = UNAVAILABLE if unavailable else "Something went wrong on our side. Please try again."
        response = JsonResponse({"detail": detail}, status=status)
    else:
        page = loader.render_to_string("503.html" if unavailable else "500.html")
        response = HttpResponse(page, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
