"""Success plans (CS managers only): every account's plan with the portfolio's realisation, one
account's plan with its objectives, and the forms that change them."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from apps.accounts.models import Account
from apps.accounts.permissions import cs_manager_required
from apps.core.spreadsheet import csv_response
from apps.engagement import plan_selectors, services
from apps.engagement.models import Metric, Objective
from apps.engagement.plan_forms import ObjectiveForm, ObjectiveValueForm, SuccessPlanForm, plain_number

# The id of the element a pagination link swaps, and the partial that fills it.
LIST_PARTIALS = {"plan-rows": "plans", "accounts-without-plan": "without"}


def _partial(request) -> bool:
    # A history restore (back button after the cache expired) needs the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _query_without(request, name: str) -> str:
    query = request.GET.copy()
    query.pop(name, None)
    query.pop("export", None)
    return query.urlencode()


@cs_manager_required
def plan_list(request):
    today = timezone.localdate()
    rows = plan_selectors.success_plan_rows(today=today)
    if request.GET.get("export") == "csv":
        return csv_response(plan_selectors.success_plan_csv_rows(rows=rows), f"success-plans-{today}.csv")
    context = {
        "portfolio": plan_selectors.success_plan_portfolio(rows=rows),
        "plans": Paginator(rows, plan_selectors.PLANS_PER_PAGE).get_page(request.GET.get("page")),
        "without": Paginator(
            plan_selectors.accounts_without_plan(), plan_selectors.ACCOUNTS_WITHOUT_PLAN_PER_PAGE
        ).get_page(request.GET.get("without")),
        "plans_query": _query_without(request, "page"),
        "without_query": _query_without(request, "without"),
    }
    template = "engagement/plan_list.html"
    if _partial(request) and request.htmx.target in LIST_PARTIALS:
        template += "#" + LIST_PARTIALS[request.htmx.target]
    response = TemplateResponse(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _account(pk: int) -> Account:
    return get_object_or_404(Account.objects.select_related("cs_manager"), pk=pk)


def _plan_url(account_id: int, objective_id: int | None = None) -> str:
    url = reverse("plan_detail", args=[account_id])
    return f"{url}#objective-{objective_id}" if objective_id else url


def _detail(request, account: Account, *, plan_form=None, value_form=None, value_for=None, status=200):
    """The plan page; `value_form` (bound, with errors) replaces the blank one of objective
    `value_for`."""
    plan = plan_selectors.success_plan_progress(account=account)
    if plan is not None:
        for item in plan.objectives:
            if item.objective.metric != Metric.MANUAL:
                continue
            if value_for == item.objective.pk:
                item.value_form = value_form
            else:
                item.value_form = ObjectiveValueForm(
                    auto_id=f"id_value_{item.objective.pk}_%s",
                    initial={"value": plain_number(item.objective.manual_value)},
                )
    context = {
        "account": account,
        "plan": plan,
        "plan_form": plan_form or SuccessPlanForm(plan=plan.plan if plan else None),
        "today": timezone.localdate(),
    }
    return TemplateResponse(request, "engagement/plan_detail.html", context, status=status)


@cs_manager_required
def plan_detail(request, pk):
    """The account's plan; a POST creates it, or changes when it was agreed and its summary."""
    account = _account(pk)
    if request.method != "POST":
        return _detail(request, account)
    form = SuccessPlanForm(request.POST)
    if form.is_valid():
        try:
            services.success_plan_save(account=account, by=request.user, **form.cleaned_data)
        except services.EngagementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Success plan of {account.name} saved.")
            return redirect(_plan_url(account.pk))
    return _detail(request, account, plan_form=form, status=400)


def _objective_form(request, *, account: Account, plan, objective: Objective | None):
    form = ObjectiveForm(request.POST if request.method == "POST" else None, objective=objective)
    if form.is_bound and form.is_valid():
        data = dict(form.cleaned_data)
        manual_value = data.pop("manual_value")
        # Pass the value only when it changed: objective_save stamps its "as of" day when passed.
        before = objective.manual_value if objective else None
        if data["metric"] == Metric.MANUAL and manual_value != before:
            data["manual_value"] = manual_value
        try:
            objective = services.objective_save(plan=plan, by=request.user, objective=objective, **data)
        except services.EngagementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Objective “{objective.title}” saved.")
            return redirect(_plan_url(account.pk, objective.pk))
    return TemplateResponse(
        request,
        "engagement/objective_form.html",
        {"form": form, "account": account, "objective": objective},
        status=400 if form.errors else 200,
    )


@cs_manager_required
def objective_new(request, pk):
    account = _account(pk)
    plan = plan_selectors.success_plan_of(account=account)
    if plan is None:
        messages.error(request, "Record when the plan was agreed before adding objectives.")
        return redirect(_plan_url(account.pk))
    return _objective_form(request, account=account, plan=plan, objective=None)


def _objective(pk: int) -> Objective:
    return get_object_or_404(Objective.objects.select_related("plan__account__cs_manager"), pk=pk)


@cs_manager_required
def objective_edit(request, pk):
    """Change an objective; a POST with `value` alone (from the plan page) records the current
    value of an objective entered by hand."""
    objective = _objective(pk)
    account = objective.plan.account
    if request.method == "POST" and request.POST.get("action") == "value":
        return _objective_value(request, objective, account)
    return _objective_form(request, account=account, plan=objective.plan, objective=objective)


def _objective_value(request, objective: Objective, account: Account):
    if objective.metric != Metric.MANUAL:
        messages.error(request, "This objective is computed from Cairn's data; it takes no value by hand.")
        return _detail(request, account, status=400)
    form = ObjectiveValueForm(request.POST, auto_id=f"id_value_{objective.pk}_%s")
    if form.is_valid():
        try:
            services.objective_save(
                plan=objective.plan,
                by=request.user,
                objective=objective,
                manual_value=form.cleaned_data["value"],
            )
        except services.EngagementError as exc:
            form.add_error("value", str(exc))
        else:
            messages.success(request, f"Current value of “{objective.title}” recorded.")
            return redirect(_plan_url(account.pk, objective.pk))
    return _detail(request, account, value_form=form, value_for=objective.pk, status=400)


@require_POST
@cs_manager_required
def objective_delete(request, pk):
    objective = _objective(pk)
    account = objective.plan.account
    try:
        services.objective_delete(objective=objective, by=request.user)
    except services.EngagementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Objective “{objective.title}” deleted.")
    return redirect(_plan_url(account.pk))
