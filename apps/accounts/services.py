"""Writes for accounts and people. Each function is one transaction."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import CUSTOMER_ROLES, Account, Invitation, Role, User
from apps.accounts.signals import invitation_accepted


class ServiceError(Exception):
    """A domain rule was broken; the message is safe to show to the person who asked."""


class PermissionDenied(ServiceError):
    pass


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def invitation_create(
    *, invited_by: User, email: str, role: str = Role.LEARNER, is_executive_sponsor: bool = False
) -> tuple[Invitation, str]:
    """Invite a teammate into the inviter's account and e-mail them a single-use link.

    Returns the invitation and the raw token (only its digest is stored). Inviting the same
    address again replaces the open invitation with a fresh link.
    """
    if not invited_by.is_customer_admin:
        raise PermissionDenied("Only a customer admin can invite teammates.")
    if role not in CUSTOMER_ROLES:
        raise ServiceError("Choose learner or customer admin.")
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(f"{email} already has a Cairn login.")
    account = invited_by.account
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Invitation.objects.filter(
            account=account, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            account=account,
            email=email,
            role=role,
            is_executive_sponsor=is_executive_sponsor,
            invited_by=invited_by,
            token_digest=Invitation.digest(token),
            expires_at=now + settings.INVITATION_VALID_FOR,
        )
        url = absolute_url(reverse("invitation_accept", kwargs={"token": token}))
        from apps.accounts.tasks import invitation_send_email

        transaction.on_commit(
            lambda: invitation_send_email.delay(invitation_id=invitation.pk, accept_url=url)
        )
    return invitation, token


def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    if not (by.is_customer_admin and by.account_id == invitation.account_id):
        raise PermissionDenied("You can only revoke invitations of your own account.")
    if invitation.status != "pending":
        raise ServiceError(f"This invitation is already {invitation.status}.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_accept(*, token: str, full_name: str, password: str) -> User:
    """Turn a pending invitation into a login. The link works once, and only before it expires."""
    full_name = full_name.strip()
    if not full_name:
        raise ServiceError("Please tell us your name.")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("account")
            .filter(token_digest=Invitation.digest(token))
            .first()
        )
        if invitation is None or invitation.status != "pending":
            raise ServiceError("This invitation link is invalid, expired or already used.")
        user = User(
            email=invitation.email,
            full_name=full_name,
            role=invitation.role,
            account=invitation.account,
            is_executive_sponsor=invitation.is_executive_sponsor,
        )
        validate_password(password, user)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ServiceError(f"{invitation.email} already has a Cairn login.") from exc
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        invitation_accepted.send(sender=Invitation, user=user, invitation=invitation)
    return user


def account_assign_cs_manager(*, account: Account, cs_manager: User | None) -> Account:
    if cs_manager is not None and not cs_manager.is_cs_manager:
        raise ServiceError("An account can only be owned by a CS manager.")
    account.cs_manager = cs_manager
    account.save(update_fields=["cs_manager"])
    return account
