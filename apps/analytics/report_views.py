"""The CS managers' Engagement, Training impact and Retention reports, and the customer admin's
own team training page. Each report table has a CSV twin: the same URL with ?format=csv.

Views parse the filters, call `apps.analytics.reports`, and render the whole page, or only the
`report` partial for htmx; a bad filter value shows its message (400), never a 500.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils import timezone

from apps.accounts.models import Segment
from apps.accounts.permissions import cs_manager_required, customer_admin_required
from apps.analytics import reports
from apps.analytics.report_forms import EngagementFilterForm, RetentionFilterForm, TrainingFilterForm
from apps.core.spreadsheet import csv_response


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _query(request, *drop: str) -> str:
    """The current filters as a query string, without the given keys (for export and page links)."""
    query = request.GET.copy()
    for key in ("format", "table", "page", *drop):
        query.pop(key, None)
    return query.urlencode()


def _render(request, template: str, context: dict, *, status: int = 200) -> TemplateResponse:
    name = f"{template}#report" if request.htmx else template
    return TemplateResponse(request, name, context, status=status)


@cs_manager_required
def engagement_report(request):
    data = request.GET.copy()
    data.setdefault("months", "12")
    form = EngagementFilterForm(data)
    context = {"form": form, "query": _query(request)}
    if not form.is_valid():
        return _render(request, "analytics/engagement.html", context, status=400)
    months = form.cleaned_data["months"]
    latest = reports.engagement_latest()
    if _wants_csv(request):
        if request.GET.get("table") == "drops":
            return csv_response(
                reports.engagement_drops_csv_rows(latest["drops"]), f"engagement-drops-{latest['date']}.csv"
            )
        report = reports.engagement_report(months=months)
        return csv_response(reports.engagement_csv_rows(report), f"engagement-{months}-months.csv")
    page = Paginator(latest["drops"], 25).get_page(request.GET.get("page"))
    context.update(
        months=months,
        report=reports.engagement_report(months=months),
        latest=latest,
        page=page,
        drops=reports.engagement_drop_rows(page.object_list),
    )
    return _render(request, "analytics/engagement.html", context)


@cs_manager_required
def training_report(request):
    today = timezone.localdate()
    form = TrainingFilterForm(request.GET, today=today)
    context = {"form": form, "query": _query(request)}
    if not form.is_valid():
        context["choices"] = form.choices
        return _render(request, "analytics/training.html", context, status=400)
    period = form.cleaned_data["period"] or reports.training_period_default(today=today)
    by_segment = form.cleaned_data["by_segment"]
    report = reports.training_report(period=period, by_segment=by_segment)
    if _wants_csv(request):
        return csv_response(reports.training_csv_rows(report), f"training-impact-{period.label}.csv")
    value = reports.LAST_FOUR_QUARTERS if period.label.startswith("Last") else period.label
    choices = form.choices if any(v == value for v, _ in form.choices) else [*form.choices, (value, value)]
    context.update(report=report, period=period, selected=value, choices=choices, by_segment=by_segment)
    return _render(request, "analytics/training.html", context)


@cs_manager_required
def retention_report(request):
    form = RetentionFilterForm(request.GET)
    context = {"form": form, "query": _query(request)}
    if not form.is_valid():
        return _render(request, "analytics/retention.html", context, status=400)
    segment = form.cleaned_data["segment"]
    report = reports.retention_report(segment=segment)
    if _wants_csv(request):
        if request.GET.get("table") == "backtest":
            return csv_response(reports.backtest_csv_rows(report), "score-backtest.csv")
        return csv_response(
            reports.retention_csv_rows(report, segment=segment), f"retention-{segment or 'all'}.csv"
        )
    context.update(report=report, segment=segment, segment_label=dict(Segment.choices).get(segment, ""))
    return _render(request, "analytics/retention.html", context)


@customer_admin_required
def team_training(request):
    account = request.user.account
    if account is None:
        raise PermissionDenied("Your sign-in is not linked to a customer account.")
    people = reports.training_team_people(account=account)
    if _wants_csv(request):
        table = request.GET.get("table")
        if table == "months":
            rows = reports.training_team_months_csv_rows(reports.training_team(account=account))
            return csv_response(rows, "team-training-by-month.csv")
        if table == "proficiency":
            rows = reports.training_team_proficiency_csv_rows(
                reports.training_team_proficiency(account=account)
            )
            return csv_response(rows, "team-proficiency.csv")
        return csv_response(reports.training_team_csv_rows(people), "team-training.csv")
    page = Paginator(people, 25).get_page(request.GET.get("page"))
    team = reports.training_team(account=account)
    return TemplateResponse(
        request,
        "analytics/team_training.html",
        {
            "account": account,
            "team": team,
            "chart": reports.training_team_chart(team),
            "proficiency": reports.training_team_proficiency(account=account),
            "page": page,
            "query": _query(request),
        },
    )
