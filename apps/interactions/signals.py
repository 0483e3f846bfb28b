"""Record sign-ins in the interaction log (Django's login is the one door for them)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from apps.accounts.signals import invitation_accepted
from apps.interactions import kinds
from apps.interactions.services import record


@receiver(user_logged_in, dispatch_uid="interactions.record_login")
def record_login(sender, request, user, **kwargs):
    record(kind=kinds.LOGIN.name, user=user)


@receiver(invitation_accepted, dispatch_uid="interactions.record_invitation_accepted")
def record_invitation_accepted(sender, user, invitation, **kwargs):
    record(
        kind=kinds.INVITATION_ACCEPTED.name,
        user=user,
        subject=invitation,
        properties={"invited_by": invitation.invited_by_id},
    )
