from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from apps.accounts.models import Account, Renewal, Role, User
from tests.factories import AccountFactory, RenewalFactory, UserFactory


def test_customer_roles_need_an_account(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="x@example.com", full_name="X", role=Role.LEARNER, account=None)


def test_vendor_staff_have_no_account(account_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(
            email="x@example.com", full_name="X", role=Role.CS_MANAGER, account=account_a
        )


def test_only_customers_can_be_executive_sponsors(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(content_admin=True, is_executive_sponsor=True)


def test_email_is_unique_and_lowercased(account_a):
    user = User.objects.create_user(email="Ana@Example.COM", full_name="Ana", account=account_a)
    assert user.email == "ana@example.com"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="ana@example.com", full_name="Ana again", account=account_a)


def test_superuser_is_a_cs_manager(db):
    user = User.objects.create_superuser(email="root@vendor.example", password="x", full_name="Root")
    assert user.is_cs_manager and user.is_superuser and user.account is None


@pytest.mark.parametrize(
    ("outcome", "renewed"),
    [("open", Decimal("5")), ("won", None), ("lost", Decimal("10")), ("lost", None)],
)
def test_renewal_value_must_match_outcome(account_a, outcome, renewed):
    with pytest.raises(IntegrityError), transaction.atomic():
        RenewalFactory(account=account_a, outcome=outcome, renewed_value=renewed)


def test_renewal_change_is_expansion_or_contraction(account_a):
    expansion = RenewalFactory(account=account_a, planned_value=100, renewed_value=130)
    assert expansion.change == 30
    assert Renewal(planned_value=100, renewed_value=None, outcome="open").change is None


def test_negative_arr_is_refused(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountFactory(arr=Decimal("-1"))


def test_visible_to_scopes_accounts_and_people(alice, bob, csm):
    assert list(Account.objects.visible_to(alice)) == [alice.account]
    assert set(Account.objects.visible_to(csm)) == {alice.account, bob.account}
    assert bob not in User.objects.visible_to(alice)
    assert {alice, bob} <= set(User.objects.visible_to(csm))
