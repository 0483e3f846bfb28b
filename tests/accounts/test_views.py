import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import Invitation, User
from tests.factories import AccountFactory, RenewalFactory, UserFactory


class TestTeam:
    url = reverse("team")

    def test_customer_admin_sees_own_team_only(self, client_of, carol, alice, bob):
        response = client_of(carol).get(self.url)
        assert response.status_code == 200
        assert alice.email in response.text
        assert bob.email not in response.text

    @pytest.mark.parametrize("who", ["alice", "sam", "content", "csm"])
    def test_other_roles_are_refused(self, request, client_of, who):
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_anonymous_is_sent_to_sign_in(self, client):
        response = client.get(self.url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))

    def test_invite_sends_email_and_lists_pending(self, client_of, carol, django_capture_on_commit_callbacks):
        client = client_of(carol)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(self.url, {"email": "newbie@a.example", "role": "learner"}, follow=True)
        assert "Invitation sent to newbie@a.example" in response.text
        assert "newbie@a.example" in response.text
        assert len(mail.outbox) == 1

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"email": "not-an-email", "role": "learner"}, "Enter a valid email address"),
            ({"email": "x@a.example", "role": "cs_manager"}, "Select a valid choice"),
            ({"email": "", "role": "learner"}, "This field is required"),
        ],
    )
    def test_bad_invitations_get_clear_errors(self, client_of, carol, data, message):
        response = client_of(carol).post(self.url, data)
        assert response.status_code == 400
        assert message in response.text
        assert not Invitation.objects.exists()

    def test_inviting_an_existing_login_is_explained(self, client_of, carol, bob):
        response = client_of(carol).post(self.url, {"email": bob.email, "role": "learner"})
        assert response.status_code == 400
        assert "already has a Cairn login" in response.text

    def test_query_count_does_not_grow_with_team(self, client_of, carol, django_assert_max_num_queries):
        client = client_of(carol)
        client.get(self.url)
        UserFactory.create_batch(15, account=carol.account)
        with django_assert_max_num_queries(8):
            client.get(self.url)


class TestInvitationRevoke:
    def test_revoke(self, client_of, carol):
        invitation, _ = services.invitation_create(invited_by=carol, email="x@a.example")
        response = client_of(carol).post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
        assert "was withdrawn" in response.text
        invitation.refresh_from_db()
        assert invitation.status == "revoked"

    def test_it_checks_ownership(self, client_of, carol, dana):
        invitation, _ = services.invitation_create(invited_by=carol, email="x@a.example")
        response = client_of(dana).post(reverse("invitation_revoke", args=[invitation.pk]))
        assert response.status_code == 404
        invitation.refresh_from_db()
        assert invitation.status == "pending"

    def test_get_is_not_allowed(self, client_of, carol):
        invitation, _ = services.invitation_create(invited_by=carol, email="x@a.example")
        assert client_of(carol).get(reverse("invitation_revoke", args=[invitation.pk])).status_code == 405


class TestInvitationAccept:
    def _token(self, carol):
        return services.invitation_create(invited_by=carol, email="joiner@a.example")[1]

    def test_accept_signs_in_and_goes_home(self, client, carol):
        url = reverse("invitation_accept", args=[self._token(carol)])
        assert "Join Account A" in client.get(url).text
        response = client.post(
            url,
            {"full_name": "Jo Iner", "password1": "correct-horse-42", "password2": "correct-horse-42"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("home")
        assert "Welcome to Account A, Jo!" in response.text
        assert User.objects.get(email="joiner@a.example").account == carol.account

    def test_mismatched_passwords(self, client, carol):
        url = reverse("invitation_accept", args=[self._token(carol)])
        response = client.post(
            url, {"full_name": "Jo", "password1": "correct-horse-42", "password2": "other-pass-42"}
        )
        assert response.status_code == 400
        assert "The two passwords differ" in response.text
        assert not User.objects.filter(email="joiner@a.example").exists()

    def test_weak_password_explained(self, client, carol):
        url = reverse("invitation_accept", args=[self._token(carol)])
        response = client.post(url, {"full_name": "Jo", "password1": "12345678", "password2": "12345678"})
        assert response.status_code == 400
        assert "too common" in response.text

    def test_used_link_is_a_clear_page(self, client, carol):
        token = self._token(carol)
        services.invitation_accept(token=token, full_name="Jo", password="correct-horse-42")
        response = client.get(reverse("invitation_accept", args=[token]))
        assert response.status_code == 410
        assert "has been used already" in response.text

    def test_unknown_link_is_404(self, client, db):
        response = client.get(reverse("invitation_accept", args=["nonsense"]))
        assert response.status_code == 404
        assert "We do not know this link" in response.text


class TestCustomers:
    def test_staff_see_all_accounts(self, client_of, csm, account_a, account_b):
        response = client_of(csm).get(reverse("customer_list"))
        assert "Account A" in response.text and "Account B" in response.text

    @pytest.mark.parametrize("who", ["alice", "carol", "sam"])
    def test_customers_are_refused(self, request, client_of, who):
        assert client_of(request.getfixturevalue(who)).get(reverse("customer_list")).status_code == 403

    def test_filters_and_sorting(self, client_of, csm, account_a, account_b):
        account_a.cs_manager = csm
        account_a.save()
        client = client_of(csm)
        assert "Account B" not in client.get(reverse("customer_list"), {"mine": "on"}).text
        assert "Account B" not in client.get(reverse("customer_list"), {"q": "account a"}).text
        text = client.get(reverse("customer_list"), {"sort": "-name"}).text
        assert text.index("Account B") < text.index("Account A")

    def test_bad_filter_values_do_not_crash(self, client_of, csm, account_a):
        response = client_of(csm).get(
            reverse("customer_list"), {"sort": "drop table", "segment": "nope", "page": "x"}
        )
        assert response.status_code == 200
        assert "Account A" in response.text

    def test_pagination_and_constant_queries(self, client_of, csm, django_assert_max_num_queries):
        AccountFactory.create_batch(30)
        client = client_of(csm)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("customer_list"))
        assert "Page 1 of 2" in response.text
        assert "Page 2 of 2" in client.get(reverse("customer_list"), {"page": 2}).text

    def test_detail_shows_renewals_and_people(self, client_of, csm, alice):
        RenewalFactory(account=alice.account, planned_value=1000, renewed_value=0, outcome="lost")
        response = client_of(csm).get(reverse("customer_detail", args=[alice.account.pk]))
        assert alice.email in response.text and "Lost" in response.text

    def test_detail_of_unknown_account_is_404(self, client_of, csm):
        assert client_of(csm).get(reverse("customer_detail", args=[999999])).status_code == 404


class TestPasswordReset:
    def test_reset_link_in_email_works_once(self, client, alice):
        client.post(reverse("password_reset"), {"email": alice.email})
        assert len(mail.outbox) == 1
        link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
        response = client.get(link, follow=True)
        assert "Choose a new password" in response.text
        set_url = response.redirect_chain[-1][0]
        response = client.post(
            set_url, {"new_password1": "brand-new-pass-99", "new_password2": "brand-new-pass-99"}, follow=True
        )
        assert "Your password is saved" in response.text
        alice.refresh_from_db()
        assert alice.check_password("brand-new-pass-99")
        assert "This link no longer works" in client.get(link, follow=True).text

    def test_unknown_email_reveals_nothing(self, client, db):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
        assert "Check your inbox" in response.text
        assert mail.outbox == []


class TestLogin:
    def test_login_records_an_interaction(self, client, alice):
        from apps.interactions.models import Interaction

        response = client.post(reverse("login"), {"username": alice.email, "password": "password"})
        assert response.status_code == 302 and response.url == reverse("home")
        assert (
            Interaction.objects.filter(kind="account.login", user=alice, account=alice.account).count() == 1
        )

    def test_wrong_password_is_a_clear_error(self, client, alice):
        response = client.post(reverse("login"), {"username": alice.email, "password": "nope"})
        assert response.status_code == 200
        assert "Please enter a correct email and password" in response.text

    def test_inactive_people_cannot_sign_in(self, client, alice):
        alice.is_active = False
        alice.save()
        response = client.post(reverse("login"), {"username": alice.email, "password": "password"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session

    def test_logout_needs_post(self, client_of, alice):
        client = client_of(alice)
        assert client.get(reverse("logout")).status_code == 405
        response = client.post(reverse("logout"))
        assert response.status_code == 302 and response.url == reverse("login")
