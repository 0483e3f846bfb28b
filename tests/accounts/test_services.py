from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import Invitation, Role, User
from apps.interactions.models import Interaction


def test_invitation_sends_a_working_single_use_link(carol, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(invited_by=carol, email="New.Person@A.example")
    assert invitation.email == "new.person@a.example"
    assert invitation.account == carol.account
    assert invitation.token_digest != token  # only the digest is stored
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@a.example"]
    assert f"/invitations/{token}/" in message.body
    assert "http://" in message.body or "https://" in message.body


def test_accepting_creates_the_login_once(carol):
    invitation, token = services.invitation_create(
        invited_by=carol, email="new@a.example", role=Role.CUSTOMER_ADMIN
    )
    user = services.invitation_accept(token=token, full_name="New Person", password="a-long-unusual-pass-123")
    assert user.account == carol.account and user.role == Role.CUSTOMER_ADMIN
    assert user.check_password("a-long-unusual-pass-123")
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert Interaction.objects.filter(kind="account.invitation_accepted", user=user).count() == 1
    with pytest.raises(services.ServiceError, match="invalid, expired or already used"):
        services.invitation_accept(token=token, full_name="Someone else", password="a-long-unusual-pass-123")
    assert User.objects.filter(email="new@a.example").count() == 1


def test_expired_invitation_is_refused(carol):
    invitation, token = services.invitation_create(invited_by=carol, email="late@a.example")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.ServiceError):
        services.invitation_accept(token=token, full_name="Late", password="a-long-unusual-pass-123")
    assert not User.objects.filter(email="late@a.example").exists()


def test_weak_password_writes_nothing(carol):
    invitation, token = services.invitation_create(invited_by=carol, email="weak@a.example")
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, full_name="Weak", password="123")
    invitation.refresh_from_db()
    assert invitation.status == "pending"
    assert not User.objects.filter(email="weak@a.example").exists()


def test_reinviting_replaces_the_open_invitation(carol):
    first, first_token = services.invitation_create(invited_by=carol, email="twice@a.example")
    second, _ = services.invitation_create(invited_by=carol, email="twice@a.example")
    first.refresh_from_db()
    assert first.status == "revoked" and second.status == "pending"
    with pytest.raises(services.ServiceError):
        services.invitation_accept(
            token=first_token, full_name="Old link", password="a-long-unusual-pass-123"
        )


@pytest.mark.parametrize("inviter", ["alice", "sam", "csm", "content"])
def test_only_customer_admins_invite(request, inviter):
    with pytest.raises(services.PermissionDenied):
        services.invitation_create(invited_by=request.getfixturevalue(inviter), email="x@a.example")


def test_existing_login_cannot_be_invited(carol, bob):
    with pytest.raises(services.ServiceError, match="already has a Cairn login"):
        services.invitation_create(invited_by=carol, email="BOB@b.example")


def test_vendor_roles_cannot_be_invited(carol):
    with pytest.raises(services.ServiceError):
        services.invitation_create(invited_by=carol, email="x@a.example", role=Role.CS_MANAGER)


def test_revoking_needs_the_same_account(carol, dana):
    invitation, _ = services.invitation_create(invited_by=carol, email="x@a.example")
    with pytest.raises(services.PermissionDenied):
        services.invitation_revoke(invitation=invitation, by=dana)
    services.invitation_revoke(invitation=invitation, by=carol)
    assert invitation.status == "revoked"
    with pytest.raises(services.ServiceError, match="already revoked"):
        services.invitation_revoke(invitation=invitation, by=carol)


def test_invitation_email_skipped_when_revoked_before_sending(carol, django_capture_on_commit_callbacks):
    from apps.accounts.tasks import invitation_send_email

    invitation, _ = services.invitation_create(invited_by=carol, email="gone@a.example")
    services.invitation_revoke(invitation=invitation, by=carol)
    invitation_send_email(invitation_id=invitation.pk, accept_url="http://x/")
    assert mail.outbox == []


def test_account_owner_must_be_a_cs_manager(account_a, content, csm):
    with pytest.raises(services.ServiceError):
        services.account_assign_cs_manager(account=account_a, cs_manager=content)
    services.account_assign_cs_manager(account=account_a, cs_manager=csm)
    account_a.refresh_from_db()
    assert account_a.cs_manager == csm
