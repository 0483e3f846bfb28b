from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from apps.accounts.permissions import cs_manager_required
from apps.interactions import kinds, selectors, services
from apps.interactions.forms import IntegrationTokenForm
from apps.interactions.models import IntegrationToken


@cs_manager_required
def integration_list(request):
    form = IntegrationTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        token, new_token = services.integration_token_create(
            name=form.cleaned_data["name"], source=form.cleaned_data["source"], created_by=request.user
        )
        messages.success(
            request, f"Integration “{token.name}” created. Copy its token now: it is shown only once."
        )
        form = IntegrationTokenForm()
    return TemplateResponse(
        request,
        "interactions/integration_list.html",
        {
            "tokens": selectors.integration_tokens(),
            "form": form,
            "new_token": new_token,
            "external_kinds": kinds.external_kinds(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@cs_manager_required
def integration_revoke(request, pk):
    token = get_object_or_404(IntegrationToken, pk=pk)
    services.integration_token_revoke(token=token)
    messages.success(request, f"The token of “{token.name}” was revoked; its events are kept.")
    return redirect("integration_list")
