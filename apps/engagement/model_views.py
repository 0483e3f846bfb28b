"""Engagement models and their moments, one account's engagement, and the onboarding momentum
report (CS managers only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts.models import Account, Segment
from apps.accounts.permissions import cs_manager_required
from apps.core.spreadsheet import csv_response, safe_cell
from apps.engagement import model_selectors, model_services, onboarding
from apps.engagement.model_forms import EngagementModelForm, ModelChangeForm, MomentForm
from apps.engagement.models import EngagementModel, Milestone, Moment
from apps.engagement.services import EngagementError

ONBOARDING_PAGE_SIZE = 25


def _partial(request) -> bool:
    # A history restore (back button after the cache expired) needs the whole page, not a fragment.
    return bool(request.htmx) and not request.htmx.history_restore_request


# --- models ---------------------------------------------------------------------------------------


@cs_manager_required
def model_list(request):
    """The models; a POST assigns every account without a model to the one that fits it."""
    if request.method == "POST":
        try:
            assigned = model_services.models_assign_now(by=request.user)
        except EngagementError as exc:
            messages.error(request, str(exc))
        else:
            if assigned:
                messages.success(request, f"{assigned} account{pluralize(assigned)} assigned to a model.")
            else:
                messages.info(request, "No account was waiting for a model that fits it.")
        return redirect("model_list")
    return TemplateResponse(
        request,
        "engagement/model_list.html",
        {
            "models": model_selectors.model_list(),
            "unassigned": model_selectors.accounts_without_model(),
            "touches": model_selectors.touches_by_touch_model(),
            "touch_days": model_selectors.TOUCH_WINDOW_DAYS,
        },
    )


def _model_form(request, model: EngagementModel):
    form = EngagementModelForm(request.POST or None, instance=model)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                model = model_services.model_save(model=form.save(commit=False), by=request.user)
            except EngagementError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Model “{model.name}” saved.")
                return redirect("model_detail", pk=model.pk)
        status = 400
    return TemplateResponse(
        request,
        "engagement/model_form.html",
        {"form": form, "model": model if model.pk else None},
        status=status,
    )


@cs_manager_required
def model_new(request):
    return _model_form(request, EngagementModel())


@cs_manager_required
def model_edit(request, pk):
    return _model_form(request, get_object_or_404(EngagementModel, pk=pk))


@cs_manager_required
def model_detail(request, pk):
    model = get_object_or_404(EngagementModel, pk=pk)
    model.filters_text = model_selectors.filters_in_words(model)
    following = model_selectors.model_accounts(model=model)
    return TemplateResponse(
        request,
        "engagement/model_detail.html",
        {
            "model": model,
            "phases": model_selectors.model_moments(model=model),
            "following": list(following[:20]),
            "following_count": following.count(),
        },
    )


# --- moments --------------------------------------------------------------------------------------


def _moment_form(request, moment: Moment):
    form = MomentForm(request.POST or None, instance=moment)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                moment = model_services.moment_save(moment=form.save(commit=False), by=request.user)
            except EngagementError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Moment “{moment.name}” saved.")
                return redirect("model_detail", pk=moment.model_id)
        status = 400
    return TemplateResponse(
        request,
        "engagement/moment_form.html",
        {"form": form, "moment": moment if moment.pk else None, "model": moment.model},
        status=status,
    )


@cs_manager_required
def moment_new(request, pk):
    model = get_object_or_404(EngagementModel, pk=pk)
    return _moment_form(
        request, Moment(model=model, position=model_services.moment_next_position(model=model))
    )


@cs_manager_required
def moment_edit(request, pk):
    return _moment_form(request, get_object_or_404(Moment.objects.select_related("model"), pk=pk))


@require_POST
@cs_manager_required
def moment_delete(request, pk):
    moment = get_object_or_404(Moment, pk=pk)
    try:
        model_services.moment_delete(moment=moment, by=request.user)
    except EngagementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Moment “{moment.name}” deleted.")
    return redirect("model_detail", pk=moment.model_id)


# --- one account ----------------------------------------------------------------------------------


def _account_page(request, account: Account, *, change_form: ModelChangeForm | None = None, status=200):
    assignments = model_selectors.account_assignments(account=account)
    current = next((a for a in assignments if a.ended_at is None), None)
    if change_form is None:
        change_form = ModelChangeForm(initial={"model": current.model_id if current else None})
    (momentum,) = onboarding.onboarding_momentum(accounts=[account])
    return TemplateResponse(
        request,
        "engagement/account_engagement.html",
        {
            "account": account,
            "current": current,
            "assignments": assignments,
            "change_form": change_form,
            "momentum": momentum,
            "timeline": model_selectors.account_timeline(account=account),
            "tasks": list(model_selectors.account_open_tasks(account=account)),
            "today": timezone.localdate(),
        },
        status=status,
    )


@cs_manager_required
def account_engagement(request, pk):
    account = get_object_or_404(Account.objects.select_related("cs_manager"), pk=pk)
    return _account_page(request, account)


@require_POST
@cs_manager_required
def account_model_change(request, pk):
    account = get_object_or_404(Account.objects.select_related("cs_manager"), pk=pk)
    form = ModelChangeForm(request.POST)
    if form.is_valid():
        try:
            assignment = model_services.account_model_change(
                account=account, model=form.cleaned_data["model"], by=request.user
            )
        except EngagementError as exc:
            form.add_error("model", str(exc))
        else:
            messages.success(request, f"{account.name} now follows “{assignment.model.name}”.")
            return redirect("account_engagement", pk=account.pk)
    return _account_page(request, account, change_form=form, status=400)


# --- onboarding momentum --------------------------------------------------------------------------


def _report_filters(request) -> tuple[str, bool]:
    segment = request.GET.get("segment", "")
    return (segment if segment in Segment.values else ""), request.GET.get("overdue") == "1"


def _days(value) -> str:
    return "" if value is None else f"{value:g}"


def _medians_csv(medians):
    yield ["Segment", "Step", "Median days", "Accounts", "Note"]
    for group in medians:
        for step in group.steps:
            yield [
                safe_cell(group.label),
                safe_cell(step.label),
                _days(step.median),
                step.n,
                "too few to tell" if step.too_few else "",
            ]


def _accounts_csv(accounts):
    labels = [label for _, label in Milestone.choices]
    yield [
        "Account",
        "Segment",
        "Contract start",
        *[column for label in labels for column in (f"{label} reached", f"{label}: days since previous")],
        "Overdue",
        "Escalations",
    ]
    # A bounded number of queries per chunk of accounts, however many there are.
    accounts = list(accounts)
    for start in range(0, len(accounts), 500):
        for row in onboarding.onboarding_momentum(accounts=accounts[start : start + 500]):
            cells = []
            for milestone in row.milestones:
                reached = timezone.localdate(milestone.reached_at).isoformat() if milestone.reached_at else ""
                cells += [reached, _days(milestone.days_since_previous)]
            yield [
                safe_cell(row.account.name),
                row.account.get_segment_display(),
                row.account.contract_start.isoformat() if row.account.contract_start else "",
                *cells,
                safe_cell(", ".join(m.label for m in row.overdue)),
                len(row.escalations),
            ]


@cs_manager_required
def onboarding_report(request):
    segment, overdue_only = _report_filters(request)
    accounts = onboarding.onboarding_accounts(segment=segment, overdue_only=overdue_only)
    if request.GET.get("format") == "csv":
        if request.GET.get("table") == "accounts":
            return csv_response(_accounts_csv(accounts), "onboarding-accounts.csv")
        return csv_response(
            _medians_csv(onboarding.onboarding_medians(segment=segment)), "onboarding-medians.csv"
        )
    page = Paginator(accounts, ONBOARDING_PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(
        part
        for part in [f"segment={segment}" if segment else "", "overdue=1" if overdue_only else ""]
        if part
    )
    context = {
        "segments": Segment.choices,
        "segment": segment,
        "overdue_only": overdue_only,
        "query": query,
        "page": page,
        "rows": onboarding.onboarding_momentum(accounts=page.object_list),
        "steps": [onboarding.step_label(step) for step in onboarding.STEPS],
        "milestone_labels": [label for _, label in Milestone.choices],
        "too_few": onboarding.TOO_FEW,
        "medians": onboarding.onboarding_medians(segment=segment),
    }
    template = "engagement/onboarding.html#results" if _partial(request) else "engagement/onboarding.html"
    return TemplateResponse(request, template, context)
