"""Signed links of survey e-mails: answering an invitation, and unsubscribing from surveys.

An invitation link carries only the invitation's id; it lives exactly as long as the invitation
(its `expires_at`), not as long as the signature. Different salts keep the two kinds of link apart.
"""

from __future__ import annotations

from django.core import signing
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import ServiceError
from apps.surveys.models import CampaignStatus, Invitation

INVITATION_SALT = "surveys.invitation"
UNSUBSCRIBE_SALT = "surveys.unsubscribe"
DAMAGED = "This survey link is damaged or not ours."


class TokenError(ServiceError):
    pass


def day_label(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk}, salt=INVITATION_SALT)


def _load(token: str, *, salt: str, key: str) -> int:
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature as exc:
        raise TokenError(DAMAGED) from exc
    if not isinstance(data, dict) or not isinstance(data.get(key), int):
        raise TokenError(DAMAGED)
    return data[key]


def invitation_from_token(token: str) -> Invitation:
    """The invitation a link points to, if it can still be answered; TokenError otherwise."""
    pk = _load(token, salt=INVITATION_SALT, key="i")
    invitation = Invitation.objects.select_related("campaign", "user", "account").filter(pk=pk).first()
    if invitation is None:
        raise TokenError("This survey no longer exists.")
    if invitation.expires_at <= timezone.now():
        raise TokenError(f"This survey closed on {day_label(invitation.expires_at)}.")
    if invitation.campaign.status == CampaignStatus.CLOSED:
        raise TokenError("This survey has closed.")
    return invitation


def unsubscribe_token(user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def user_from_unsubscribe_token(token: str) -> User:
    pk = _load(token, salt=UNSUBSCRIBE_SALT, key="u")
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise TokenError("This link belongs to a login that no longer exists.")
    return user
