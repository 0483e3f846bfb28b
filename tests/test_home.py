"""Each role's home page, scoped to what that person may see, with pinned query counts."""

import pytest
from django.urls import reverse

from tests.factories import AccountFactory, InteractionFactory, UserFactory

HOME = reverse("home")


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_learner_sees_own_activity_only(client_of, alice, bob):
    InteractionFactory(user=alice, kind="product.feature_used")
    InteractionFactory(user=bob, kind="support.ticket_opened")
    response = client_of(alice).get(HOME)
    assert "Welcome back, Alice" in response.text
    assert "Used a product feature" in response.text
    assert "Opened a support ticket" not in response.text
    assert "Customers" not in response.text and "Team</a>" not in response.text


def test_customer_admin_sees_team_summary(client_of, carol, alice, bob):
    InteractionFactory(user=alice)
    InteractionFactory(user=bob)
    response = client_of(carol).get(HOME)
    assert "Invite a teammate" in response.text
    # alice, and carol herself (signing in is an interaction); bob is of another account
    assert response.context["team_size"] == 2 and response.context["active_30d"] == 2
    assert response.context["utilisation"] == 40  # 2 active of 5 seats
    assert "Bob Baker" not in response.text


def test_sponsor_sees_account_at_a_glance(client_of, sam, alice):
    response = client_of(sam).get(HOME)
    assert "at a glance" in response.text and "Executive sponsor" in response.text


def test_zero_seats_is_no_data_not_zero(client_of, carol):
    carol.account.licensed_seats = 0
    carol.account.save()
    response = client_of(carol).get(HOME)
    assert response.context["utilisation"] is None
    assert "no seats licensed" in response.text


def test_cs_manager_sees_own_book(client_of, csm, account_a, account_b):
    account_a.cs_manager = csm
    account_a.save()
    response = client_of(csm).get(HOME)
    assert "Your book of business" in response.text
    assert [a.name for a in response.context["accounts"]] == ["Account A"]
    assert "Health scores appear after the first daily recompute" in response.text


def test_cs_manager_home_lists_their_lowest_health_accounts(client_of, csm, account_a, account_b):
    from apps.analytics.services import health_recompute

    account_a.cs_manager = csm
    account_a.save()
    health_recompute()
    response = client_of(csm).get(HOME)
    assert [a.name for a in response.context["at_risk"]] == ["Account A"]  # not B: not theirs
    assert f'href="/analytics/accounts/{account_a.pk}/"' in response.text


def test_content_admin_sees_the_week(client_of, content, alice):
    InteractionFactory(user=alice, kind="product.session")
    response = client_of(content).get(HOME)
    assert "Interactions this week" in response.text and "Used the product" in response.text


@pytest.mark.parametrize("who", ["alice", "carol", "sam", "content", "csm"])
def test_home_query_count_is_bounded(request, client_of, who, django_assert_max_num_queries):
    user = request.getfixturevalue(who)
    csm = request.getfixturevalue("csm")
    for _ in range(3):
        account = AccountFactory(cs_manager=csm)
        for person in UserFactory.create_batch(3, account=account):
            InteractionFactory.create_batch(2, user=person)
    InteractionFactory.create_batch(5, user=request.getfixturevalue("alice"))
    client = client_of(user)
    # Customers' home pages add their learning (paths in progress, sessions, recommendations).
    # A CS manager's home adds the health of their accounts (two dates and one list).
    with django_assert_max_num_queries(16 if user.is_customer else 13):
        assert client.get(HOME).status_code == 200


def test_page_titles_name_the_page_then_the_portal(client):
    """Every page's <title> reads "<page> · <portal>"."""
    response = client.get(reverse("login"))
    assert b"<title>Sign in \xc2\xb7 Cairn</title>" in response.content
