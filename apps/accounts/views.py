"""HTML pages for people and accounts: team management, invitations, customer lists for staff,
and the password pages Cairn changes from Django's."""

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.accounts import crm_import, selectors, services
from apps.accounts.forms import (
    AccountFilterForm,
    CrmImportForm,
    InvitationAcceptForm,
    InvitationForm,
    PasswordChangeForm,
)
from apps.accounts.models import ImportJob, ImportKind, Invitation
from apps.accounts.permissions import cs_manager_required, customer_admin_required, staff_required
from apps.accounts.throttles import Limit, client_ip, client_network

logger = logging.getLogger(__name__)


@customer_admin_required
def team(request):
    account = request.user.account
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _ = services.invitation_create(invited_by=request.user, **form.cleaned_data)
        except services.ServiceError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link is valid for 7 days.")
            return redirect("team")
    members = selectors.account_team(account=account)
    return TemplateResponse(
        request,
        "accounts/team.html",
        {
            "account": account,
            "members": members,
            "invitations": selectors.account_pending_invitations(account=account),
            "form": form,
            "seats_used": len(members),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@customer_admin_required
def invitation_revoke(request, pk):
    invitation = get_object_or_404(Invitation.objects.filter(account=request.user.account), pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except services.ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
    return redirect("team")


def invitation_accept(request, token):
    invitation = selectors.invitation_by_token(token=token)
    if invitation is None or invitation.status != "pending":
        return TemplateResponse(
            request,
            "accounts/invitation_invalid.html",
            {"invitation": invitation},
            status=410 if invitation else 404,
        )
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
        except services.ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {invitation.account}, {user.get_short_name()}!")
            return redirect("home")
    return TemplateResponse(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


@staff_required
def customer_list(request):
    form = AccountFilterForm(request.GET or None)
    accounts = selectors.account_list(user=request.user)
    sort = "name"
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            accounts = accounts.filter(Q(name__icontains=data["q"]) | Q(external_id__iexact=data["q"]))
        if data["segment"]:
            accounts = accounts.filter(segment=data["segment"])
        if data["mine"]:
            accounts = accounts.filter(cs_manager=request.user)
        sort = data["sort"] or "name"
    accounts = accounts.order_by(AccountFilterForm.SORTS[sort], "pk")
    page = Paginator(accounts, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "accounts/customer_list.html",
        {
            "form": form,
            "page": page,
            "sort": sort,
            "query": query.urlencode(),
            "totals": selectors.portfolio_totals(accounts=accounts.order_by()),
        },
    )


@staff_required
def customer_detail(request, pk):
    account = get_object_or_404(selectors.account_list(user=request.user), pk=pk)
    return TemplateResponse(
        request,
        "accounts/customer_detail.html",
        {
            "account": account,
            "members": selectors.account_team(account=account),
            "renewals": selectors.account_renewals(account=account),
        },
    )


@cs_manager_required
def crm_import_upload(request):
    form = CrmImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = crm_import.import_job_create(
                created_by=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except crm_import.ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("crm_import_job", pk=job.pk)
    return TemplateResponse(
        request,
        "accounts/crm_import.html",
        {
            "form": form,
            "jobs": crm_import.import_job_list(),
            "guides": [(kind, label, crm_import.COLUMNS[kind]) for kind, label in ImportKind.choices],
            "max_mb": crm_import.MAX_FILE_BYTES // 1024 // 1024,
        },
        status=400 if form.errors else 200,
    )


@cs_manager_required
def crm_import_job(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("created_by").defer("content"), pk=pk)
    template = "accounts/crm_import_job.html#job-status" if request.htmx else "accounts/crm_import_job.html"
    return TemplateResponse(request, template, {"job": job})


@cs_manager_required
def crm_import_template(request, kind):
    if kind not in ImportKind.values:
        raise Http404("No such import.")
    response = HttpResponse(crm_import.template_csv(kind=kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="cairn-{kind}-import.csv"'
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per client network and per address (ABUSE_LIMITS
    "reset-network", "reset-address"), so nobody can have Cairn mail an inbox without end. Over a
    limit the same "check your inbox" page follows and no e-mail goes out, so the answer still says
    nothing about which addresses have an account."""

    def form_valid(self, form):
        network, per_network = client_network(client_ip(self.request)), Limit("reset-network")
        if network and per_network.hit(network) > per_network.limit:
            logger.warning("Password reset refused: too many requests from %s.", network)
            return HttpResponseRedirect(self.get_success_url())
        # Counted only while the network is within its limit, so a refused client cannot use up the
        # allowance of someone else's address.
        address, per_address = form.cleaned_data["email"].strip().lower(), Limit("reset-address")
        if per_address.hit(address) > per_address.limit:
            logger.warning("Password reset refused: too many requests for one address.")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, confirming the current password through authenticate() (see
    PasswordChangeForm), so wrong guesses count towards lockouts."""

    form_class = PasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
