"""The portfolio of account health and the account 360 page (CS managers only)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from apps.accounts.models import Account
from apps.accounts.permissions import cs_manager_required
from apps.accounts.selectors import account_renewals
from apps.analytics import charts, selectors
from apps.analytics.forms import PortfolioFilterForm
from apps.core.spreadsheet import csv_response

# Columns whose header sorts, with the direction a first click sorts in.
SORT_COLUMNS = {"account": "account", "score": "score", "band": "band", "arr": "-arr", "renewal": "renewal"}


def _partial(request) -> bool:
    # A history restore (back button after the cache expired) needs the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _sort_links(filters: selectors.PortfolioFilters) -> dict:
    """Per sortable column: the query string its header links to and its aria-sort value."""
    links = {}
    for column, first in SORT_COLUMNS.items():
        current = filters.sort.lstrip("-") == column
        descending = filters.sort.startswith("-")
        target = (column if descending else f"-{column}") if current else first
        links[column] = {
            "query": filters.querystring(sort=target, page=None),
            "aria": ("descending" if descending else "ascending") if current else "",
        }
    return links


@cs_manager_required
def portfolio(request):
    form = PortfolioFilterForm(request.GET)
    filters = form.filters()
    latest, earlier = selectors.portfolio_dates()
    context = {"form": form, "filters": filters, "latest": latest, "earlier": earlier}
    if latest is not None:
        accounts = selectors.portfolio_list(
            latest=latest, earlier=earlier, user=request.user, filters=filters
        )
        # The band strip counts every band of what the other filters select, so each is a link.
        every_band = selectors.portfolio_list(
            latest=latest,
            earlier=earlier,
            user=request.user,
            filters=selectors.PortfolioFilters(
                q=filters.q, segment=filters.segment, owner=filters.owner, renewal=filters.renewal
            ),
        )
        summary = selectors.portfolio_summary(accounts=every_band)
        paginator = Paginator(accounts, selectors.PORTFOLIO_PAGE_SIZE)
        # The summary already counted the accounts listed: no second COUNT over the portfolio.
        paginator.count = selectors.portfolio_count(summary=summary, band=filters.band)
        page = paginator.get_page(request.GET.get("page"))
        context.update(
            page=page,
            rows=selectors.portfolio_with_trends(page.object_list, since=earlier),
            summary=summary,
            query=filters.querystring(),
            band_query=filters.querystring(band=None),
            sort_links=_sort_links(filters),
            filtered=filters != selectors.PortfolioFilters(sort=filters.sort),
        )
    template = "analytics/portfolio.html#results" if _partial(request) else "analytics/portfolio.html"
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@cs_manager_required
def portfolio_export(request):
    filters = PortfolioFilterForm(request.GET).filters()
    latest, earlier = selectors.portfolio_dates()
    if latest is None:
        rows = iter([selectors.CSV_HEADER])
    else:
        accounts = selectors.portfolio_list(
            latest=latest, earlier=earlier, user=request.user, filters=filters
        )
        rows = selectors.portfolio_csv_rows(accounts=accounts, earlier=earlier)
    return csv_response(rows, f"health-portfolio-{latest or timezone.localdate()}.csv")


def _account(pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("cs_manager"), pk=pk)


@cs_manager_required
def account_360(request, pk):
    account = _account(pk)
    today = timezone.localdate()
    snapshot = selectors.account_health_latest(account=account)
    coverage = selectors.account_learning_coverage(
        account=account, expected_people=snapshot.figures.get("users") if snapshot else None
    )
    context = {
        "account": account,
        "snapshot": snapshot,
        "timeline": selectors.account_timeline_page(account=account, before=request.GET.get("before")),
        "coverage": coverage,
        "nps_answers": selectors.account_nps_answers(account=account),
        "ideas": selectors.account_idea_activity(account=account, user=request.user),
        "renewals": list(account_renewals(account=account)),
    }
    if snapshot is not None:
        config = snapshot.config
        history = selectors.account_health_history(account=account, end=max(today, snapshot.date))
        points = history["points"]
        context.update(
            explanation=selectors.account_health_explanation(snapshot=snapshot),
            figures=selectors.account_figures(snapshot=snapshot),
            history=history,
            chart=charts.line_chart(
                labels=[f"{point['date'].day} {point['date']:%b}" for point in points],
                series=[{"label": "Health score", "values": [point["score"] for point in points]}],
                title=f"Health score of {account.name}, last 12 months",
                bands=[
                    (0, config.red_below, "red"),
                    (config.red_below, config.green_from, "amber"),
                    (config.green_from, 100, "green"),
                ],
            )
            if points
            else None,
        )
    return TemplateResponse(request, "analytics/account_360.html", context)


@cs_manager_required
def account_timeline(request, pk):
    """The next page of the account's timeline (after the ?before= cursor) for htmx "Load more";
    without htmx, the account page showing that page."""
    account = _account(pk)
    before = selectors.parse_timeline_cursor(request.GET.get("before")) and request.GET["before"]
    if not _partial(request):
        query = f"?before={before}" if before else ""
        return redirect(f"{reverse('account_360', args=[account.pk])}{query}#timeline")
    timeline = selectors.account_timeline_page(account=account, before=before)
    response = TemplateResponse(
        request, "analytics/account_360.html#timeline-items", {"account": account, "timeline": timeline}
    )
    patch_vary_headers(response, ("HX-Request",))
    return response
