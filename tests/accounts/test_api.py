import pytest
from django.urls import reverse

from tests.factories import RenewalFactory


def test_anonymous_gets_403(client, db):
    assert client.get(reverse("api-account-list")).status_code == 403


def test_me(client_of, alice):
    data = client_of(alice).get(reverse("api-me")).json()
    assert data["email"] == alice.email and data["role"] == "learner" and data["account"] == alice.account_id


def test_customer_sees_only_own_account(client_of, alice, bob):
    client = client_of(alice)
    data = client.get(reverse("api-account-list")).json()
    assert [a["name"] for a in data["results"]] == ["Account A"]
    assert client.get(reverse("api-account-detail", args=[bob.account_id])).status_code == 404


def test_staff_see_and_filter_accounts(client_of, csm, alice, bob):
    client = client_of(csm)
    assert client.get(reverse("api-account-list")).json()["count"] == 2
    data = client.get(reverse("api-account-list"), {"name": "b"}).json()
    assert [a["name"] for a in data["results"]] == ["Account B"]
    assert client.get(reverse("api-account-list"), {"segment": "bogus"}).status_code == 400


def test_users_are_scoped_to_the_account(client_of, alice, bob, carol):
    emails = {u["email"] for u in client_of(carol).get(reverse("api-user-list")).json()["results"]}
    assert alice.email in emails and bob.email not in emails


@pytest.mark.parametrize("who", ["alice", "carol", "sam"])
def test_renewals_are_vendor_only(request, client_of, who):
    assert client_of(request.getfixturevalue(who)).get(reverse("api-renewal-list")).status_code == 403


def test_renewals_for_staff(client_of, csm, account_a):
    RenewalFactory(account=account_a)
    data = client_of(csm).get(reverse("api-renewal-list")).json()
    assert data["count"] == 1 and data["results"][0]["outcome"] == "won"


def test_api_is_read_only(client_of, csm, account_a):
    response = client_of(csm).post(
        reverse("api-account-list"), {"name": "x"}, content_type="application/json"
    )
    assert response.status_code == 405
