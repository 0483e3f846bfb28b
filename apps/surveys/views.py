"""NPS pages: the CS manager's campaigns and results, the respondent's signed-link pages (no
login), and the in-app prompt fragment for signed-in customers."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts.models import Segment, TouchModel
from apps.accounts.permissions import cs_manager_required
from apps.accounts.services import PermissionDenied
from apps.surveys import selectors, services, stats, tokens
from apps.surveys.forms import AUDIENCE_ROLES, CampaignForm, PromptAnswerForm, ResponseForm
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response

COMMENTS_PER_PAGE = 25


# --- CS manager -----------------------------------------------------------------------------------


def audience_summary(campaign: Campaign) -> str:
    """The campaign's filters in words: "Enterprise · Learners · 3 accounts", or "All customers"."""
    labels = {**dict(Segment.choices), **dict(TouchModel.choices), **dict(AUDIENCE_ROLES)}
    parts = [
        ", ".join(labels.get(value, value) for value in values)
        for values in (campaign.segments, campaign.touch_models, campaign.roles)
        if values
    ]
    accounts = len(campaign.accounts.all())
    if accounts:
        parts.append(f"{accounts} account{pluralize(accounts)}")
    return " · ".join(parts) or "All customers"


@cs_manager_required
def campaign_list(request):
    campaigns = list(selectors.campaign_list(user=request.user).prefetch_related("accounts"))
    scores = selectors.nps_by_campaign(campaigns=campaigns)
    for campaign in campaigns:
        campaign.audience_summary = audience_summary(campaign)
        campaign.nps = scores.get(campaign.pk)
    return TemplateResponse(request, "surveys/campaign_list.html", {"campaigns": campaigns})


def _campaign_form(request, campaign: Campaign, template_context: dict):
    form = CampaignForm(request.POST or None, instance=campaign)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                campaign = services.campaign_save(
                    campaign=form.save(commit=False), by=request.user, accounts=form.cleaned_data["accounts"]
                )
            except (services.SurveyError, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Campaign “{campaign.name}” saved.")
                return redirect(campaign.get_absolute_url())
        status = 400
    return TemplateResponse(
        request, "surveys/campaign_form.html", {"form": form, **template_context}, status=status
    )


@cs_manager_required
def campaign_new(request):
    return _campaign_form(request, Campaign(), {"campaign": None})


@cs_manager_required
def campaign_edit(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    if campaign.status == CampaignStatus.CLOSED:
        messages.info(request, "A closed campaign can no longer be changed; its results stay as they were.")
        return redirect(campaign.get_absolute_url())
    return _campaign_form(request, campaign, {"campaign": campaign})


def _campaign_change(request, pk, change) -> HttpResponse:
    """Run `change(campaign)` (a service call returning the success message) and go back to the campaign."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        messages.success(request, change(campaign))
    except (services.SurveyError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect(campaign.get_absolute_url())


@require_POST
@cs_manager_required
def campaign_activate(request, pk):
    def activate(campaign):
        services.campaign_activate(campaign=campaign, by=request.user)
        return "The campaign is active."

    return _campaign_change(request, pk, activate)


@require_POST
@cs_manager_required
def campaign_send(request, pk):
    def send(campaign):
        sent = services.campaign_send_wave(campaign=campaign)
        return f"Sent {sent} invitation{pluralize(sent)}."

    return _campaign_change(request, pk, send)


@require_POST
@cs_manager_required
def campaign_close(request, pk):
    def close(campaign):
        services.campaign_close(campaign=campaign, by=request.user)
        return "The campaign is closed. Nobody can answer it any more."

    return _campaign_change(request, pk, close)


@cs_manager_required
def campaign_results(request, pk):
    campaign = get_object_or_404(Campaign.objects.prefetch_related("accounts"), pk=pk)
    results = selectors.campaign_results(campaign=campaign)
    comments = Paginator(results["comments"], COMMENTS_PER_PAGE).get_page(request.GET.get("page"))
    audience_size = (
        services.campaign_audience(campaign=campaign).count() if campaign.status == "active" else None
    )
    return TemplateResponse(
        request,
        "surveys/campaign_results.html",
        {
            "campaign": campaign,
            "audience": audience_summary(campaign),
            "results": results,
            "split": _split(results["nps"]),
            "trained_rows": [
                ("Trained", results["trained"]["trained"]),
                ("Untrained", results["trained"]["untrained"]),
            ],
            "comments": comments,
            "audience_size": audience_size,
        },
    )


def _split(nps: stats.NpsResult) -> list[dict]:
    """Detractors, passives and promoters as adjacent bar segments (x and width in percent)."""
    if not nps.n:
        return []
    rows, x = [], 0.0
    for label, count, colour in [
        ("Detractors (0\u20136)", nps.detractors, "#c0392b"),
        ("Passives (7\u20138)", nps.passives, "#b7b7b7"),
        ("Promoters (9\u201310)", nps.promoters, "#1e8449"),
    ]:
        width = 100 * count / nps.n
        rows.append({"label": label, "count": count, "x": x, "width": width, "colour": colour})
        x += width
    return rows


@cs_manager_required
def campaign_export(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="nps-campaign-{campaign.pk}.csv"'
    writer = csv.writer(response)
    for row in selectors.results_csv_rows(campaign=campaign):
        writer.writerow(row)
    return response


# --- Respondents (signed links, no login) ---------------------------------------------------------


def _invalid_link(request, exc: tokens.TokenError):
    # A closed or expired survey is gone (410); a damaged or unknown link is a bad request (400).
    gone = "closed" in str(exc)
    return TemplateResponse(
        request, "surveys/link_invalid.html", {"reason": str(exc), "gone": gone}, status=410 if gone else 400
    )


def _latest_response(invitation: Invitation) -> Response | None:
    return Response.objects.filter(invitation=invitation).first()


def _valid_score(raw) -> int | None:
    try:
        score = int(raw)
    except (TypeError, ValueError):
        return None
    return score if 0 <= score <= 10 else None


def survey_respond(request, token):
    """The survey page of one invitation. The signed token in the link is the only authority."""
    try:
        invitation = tokens.invitation_from_token(token)
    except tokens.TokenError as exc:
        return _invalid_link(request, exc)
    campaign = invitation.campaign
    answer = _latest_response(invitation)
    context = {
        "invitation": invitation,
        "campaign": campaign,
        "token": token,
        "answer": answer,
        "unsubscribe_token": tokens.unsubscribe_token(invitation.user),
    }

    if request.method == "POST":
        form = ResponseForm(request.POST, campaign=campaign)
        if form.is_valid():
            try:
                answer = services.response_submit(
                    invitation=invitation,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    reference_willing=form.cleaned_data.get("reference_willing"),
                )
            except services.SurveyError as exc:
                form.add_error(None, str(exc))
            else:
                return TemplateResponse(
                    request,
                    "surveys/respond.html",
                    {**context, "answer": answer, "thanks": True, "form": _prefilled(answer, campaign)},
                )
        return TemplateResponse(request, "surveys/respond.html", {**context, "form": form}, status=400)

    services.invitation_open(invitation=invitation)
    form = _prefilled(answer, campaign)
    score = _valid_score(request.GET.get("score"))
    if score is not None:
        form.initial["score"] = score
    return TemplateResponse(request, "surveys/respond.html", {**context, "form": form})


def _prefilled(answer: Response | None, campaign: Campaign) -> ResponseForm:
    initial = {}
    if answer is not None:
        initial = {"score": answer.score, "comment": answer.comment}
        if answer.reference_willing is not None:
            initial["reference_willing"] = "yes" if answer.reference_willing else "no"
    return ResponseForm(initial=initial, campaign=campaign)


def survey_unsubscribe(request, token):
    """Stop NPS e-mails for good, from the link in any survey e-mail (no login)."""
    try:
        person = tokens.user_from_unsubscribe_token(token)
    except tokens.TokenError:
        return TemplateResponse(request, "surveys/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        services.survey_opt_out(user=person)
        return TemplateResponse(request, "surveys/unsubscribe.html", {"done": True})
    return TemplateResponse(request, "surveys/unsubscribe.html", {"person": person})


# --- In-app prompt (htmx fragment) ----------------------------------------------------------------


@login_required
def survey_prompt(request):
    invitation = selectors.pending_prompt(user=request.user) if request.user.is_customer else None
    if invitation is None:
        return HttpResponse("")  # an empty answer replaces the placeholder with nothing
    return TemplateResponse(
        request, "surveys/_prompt.html", {"invitation": invitation, "form": PromptAnswerForm()}
    )


def _own_invitation(request, invitation_id) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("campaign"), pk=invitation_id, user=request.user
    )


@require_POST
@login_required
def survey_prompt_answer(request, invitation_id):
    invitation = _own_invitation(request, invitation_id)
    form = PromptAnswerForm(request.POST)
    error = None
    if form.is_valid():
        try:
            services.response_submit(
                invitation=invitation, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except services.SurveyError as exc:
            error = str(exc)
    else:
        error = form.errors["score"][0] if "score" in form.errors else "Please check your answer."
    if request.htmx:
        context = {
            "invitation": invitation,
            "form": form,
            "error": error,
            "thanks": error is None,
            "respond_url": reverse("survey_respond", args=[tokens.invitation_token(invitation)]),
        }
        # 200 even for an error: htmx 2 does not swap 4xx answers, and the banner must show the message.
        return TemplateResponse(request, "surveys/_prompt.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Thank you for your answer.")
    return redirect("home")


@require_POST
@login_required
def survey_prompt_dismiss(request, invitation_id):
    invitation = _own_invitation(request, invitation_id)
    services.prompt_dismiss(invitation=invitation)
    if request.htmx:
        return HttpResponse("")
    return redirect("home")
