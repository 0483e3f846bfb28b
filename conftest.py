"""Fixtures shared by the whole suite: two customer accounts and one person of every role.

alice (learner) and carol (customer admin) and sam (executive sponsor) work at account A;
bob (learner) at account B. content and csm are vendor staff.
"""

import pytest

from tests.factories import AccountFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account_a(db):
    return AccountFactory(name="Account A", external_id="CRM-A", licensed_seats=5)


@pytest.fixture
def account_b(db):
    return AccountFactory(name="Account B", external_id="CRM-B")


@pytest.fixture
def alice(account_a):
    return UserFactory(email="alice@a.example", full_name="Alice Archer", account=account_a)


@pytest.fixture
def carol(account_a):
    return UserFactory(
        email="carol@a.example", full_name="Carol Chen", account=account_a, customer_admin=True
    )


@pytest.fixture
def sam(account_a):
    return UserFactory(email="sam@a.example", full_name="Sam Sponsor", account=account_a, sponsor=True)


@pytest.fixture
def bob(account_b):
    return UserFactory(email="bob@b.example", full_name="Bob Baker", account=account_b)


@pytest.fixture
def dana(account_b):
    """Customer admin of account B."""
    return UserFactory(email="dana@b.example", full_name="Dana Diaz", account=account_b, customer_admin=True)


@pytest.fixture
def content(db):
    return UserFactory(email="content@vendor.example", full_name="Cleo Content", content_admin=True)


@pytest.fixture
def csm(db):
    return UserFactory(email="csm@vendor.example", full_name="Cas Manager", cs_manager=True)


@pytest.fixture
def client_of(client):
    """`client_of(user)` returns the test client signed in as that user."""

    def login(user):
        client.force_login(user)
        return client

    return login
