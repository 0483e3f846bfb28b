from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from apps.accounts import crm_import
from apps.accounts.models import Invitation


@shared_task
def invitation_send_email(*, invitation_id: int, accept_url: str) -> None:
    invitation = Invitation.objects.select_related("account", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != "pending":
        return  # revoked or replaced before the e-mail went out
    context = {"invitation": invitation, "accept_url": accept_url, "portal_name": settings.PORTAL_NAME}
    send_mail(
        subject=f"{invitation.invited_by or 'Your team'} invited you to {settings.PORTAL_NAME}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


@shared_task
def import_job_run(*, job_id: int) -> None:
    crm_import.import_job_run(job_id=job_id)
