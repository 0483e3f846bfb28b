"""Abuse: sign-in brute force, API throttles, and links that must work once, expire, or stay
with the one person and object they were made for.

Lockouts run with django-axes on, as in production (the suite signs people in with force_login,
which does not go through authenticate(); these tests post the real sign-in forms).
"""

import re
from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import services as account_services
from apps.accounts.models import Invitation, User
from apps.community.models import Vote
from apps.interactions import services as interaction_services
from apps.interactions.models import Interaction
from apps.learning import services as learning_services
from apps.learning.models import LearningPreference
from apps.learning.tasks import digest_unsubscribe_url
from apps.notifications.models import EmailOptOut
from apps.notifications.tasks import unsubscribe_url
from apps.surveys import tokens
from apps.surveys.models import Response, SurveyOptOut
from tests.community.factories import IdeaFactory
from tests.factories import PASSWORD, UserFactory
from tests.surveys.factories import InvitationFactory

LOGIN = reverse("login")
WRONG = "not-the-password"


def sign_in(client, username, password, ip="192.0.2.10", **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(client, username, times, ip="192.0.2.10"):
    return [sign_in(client, username, WRONG, ip).status_code for _ in range(times)]


def signed_in_as(client):
    return client.session.get("_auth_user_id")


# --- Sign-in brute force -------------------------------------------------------------------------


class TestLoginLockout:
    def test_fifth_wrong_password_locks_out_even_the_right_one(self, client, alice, settings):
        assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
        assert fail(client, alice.email, 4) == [200, 200, 200, 200]
        locked = sign_in(client, alice.email, WRONG)
        assert locked.status_code == 429
        assert "Too many sign-in attempts" in locked.text and "try again in 15 minutes" in locked.text
        assert reverse("password_reset") in locked.text
        right = sign_in(client, alice.email, PASSWORD)
        assert right.status_code == 429 and signed_in_as(client) is None
        assert not Interaction.objects.filter(kind="account.login", user=alice).exists()

    def test_lockout_page_answers_with_the_security_headers(self, client, alice):
        fail(client, alice.email, 5)
        response = sign_in(client, alice.email, PASSWORD)
        assert response.status_code == 429
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"

    def test_other_people_on_the_same_network_can_still_sign_in(self, client, alice, carol):
        fail(client, alice.email, 5)
        response = sign_in(client, carol.email, PASSWORD)
        assert response.status_code == 302 and signed_in_as(client) == str(carol.pk)

    def test_the_owner_elsewhere_is_not_locked_out(self, client, alice):
        fail(client, alice.email, 5, ip="192.0.2.10")
        response = sign_in(client, alice.email, PASSWORD, ip="198.51.100.7")
        assert response.status_code == 302 and signed_in_as(client) == str(alice.pk)

    def test_spelling_the_address_differently_counts_for_the_same_person(self, client, alice):
        fail(client, alice.email.upper(), 3)
        fail(client, f"  {alice.email.title()} ", 2)
        assert sign_in(client, alice.email, PASSWORD).status_code == 429

    def test_a_forged_forwarded_for_header_does_not_reset_the_count(self, client, alice):
        for n in range(5):
            sign_in(client, alice.email, WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        assert sign_in(client, alice.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99").status_code == 429

    def test_behind_a_trusted_proxy_the_address_it_saw_counts(self, client, alice, settings):
        settings.TRUSTED_PROXIES = 1
        for n in range(5):
            # The client forges the left part; the proxy appends the address it really saw.
            sign_in(
                client, alice.email, WRONG, ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 192.0.2.10"
            )
        locked = sign_in(client, alice.email, PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10")
        assert locked.status_code == 429
        elsewhere = sign_in(client, alice.email, PASSWORD, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
        assert elsewhere.status_code == 302

    @pytest.mark.parametrize(
        ("forwarded", "counted_as"),
        [
            ("not-an-address", "10.0.0.1"),
            ("192.0.2.44:5678", "192.0.2.44"),
            ("[2001:DB8::7]:443", "2001:db8::7"),
            ("198.51.100.7, 300.1.2.3", "10.0.0.1"),
        ],
    )
    def test_a_forwarded_for_that_is_no_address_does_not_break_sign_in(
        self, client, alice, settings, forwarded, counted_as
    ):
        # The proxy's element is stored in an inet column on PostgreSQL: garbage there was a 500.
        settings.TRUSTED_PROXIES = 1
        response = sign_in(client, alice.email, WRONG, ip="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 200 and "correct email" in response.text.lower()
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [counted_as]

    def test_success_forgets_earlier_failures(self, client, alice):
        fail(client, alice.email, 4)
        assert sign_in(client, alice.email, PASSWORD).status_code == 302
        client.post(reverse("logout"))
        assert fail(client, alice.email, 4) == [200, 200, 200, 200]
        assert sign_in(client, alice.email, PASSWORD).status_code == 302

    def test_attempts_during_the_pause_do_not_extend_it(self, client, alice):
        fail(client, alice.email, 5)
        attempt = AccessAttempt.objects.get(username=alice.email)
        fail(client, alice.email, 10)
        attempt.refresh_from_db()
        assert attempt.failures_since_start == 5

    def test_the_pause_ends_after_the_cool_off(self, client, alice):
        fail(client, alice.email, 5)
        assert sign_in(client, alice.email, PASSWORD).status_code == 429
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        response = sign_in(client, alice.email, PASSWORD)
        assert response.status_code == 302 and signed_in_as(client) == str(alice.pk)

    def test_unknown_addresses_are_counted_too(self, client, db):
        assert fail(client, "nobody@example.com", 5)[-1] == 429

    def test_the_admin_sign_in_is_protected_too(self, client, csm):
        url = reverse("admin:login")
        for _ in range(5):
            client.post(url, {"username": csm.email, "password": WRONG}, REMOTE_ADDR="192.0.2.10")
        response = client.post(url, {"username": csm.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 429 and signed_in_as(client) is None


def spray(client, count, ip="192.0.2.10"):
    """One wrong password each for `count` different addresses: no pair is ever locked."""
    return [sign_in(client, f"person{n}@example.com", WRONG, ip).status_code for n in range(count)]


class TestSignInCaps:
    """Caps on top of the pair lockout: failures per client network, and per address from anywhere."""

    def test_the_limits(self, settings):
        assert settings.ABUSE_LIMITS["signin-network"] == (20, timedelta(minutes=15))
        assert settings.ABUSE_LIMITS["signin-address"] == (30, timedelta(hours=1))

    def test_one_network_cannot_try_a_password_on_every_address(self, client, carol):
        assert spray(client, 20) == [200] * 19 + [429]
        refused = sign_in(client, carol.email, PASSWORD)
        assert refused.status_code == 429 and signed_in_as(client) is None
        assert "come from your network" in refused.text and "within 15 minutes" in refused.text
        elsewhere = sign_in(client, carol.email, PASSWORD, ip="198.51.100.7")
        assert elsewhere.status_code == 302 and signed_in_as(client) == str(carol.pk)

    def test_an_ipv6_client_cannot_rotate_through_its_64(self, client, carol):
        codes = [
            sign_in(client, f"p{n}@example.com", WRONG, f"2001:db8:1:2::{n + 1:x}").status_code
            for n in range(20)
        ]
        assert codes[-1] == 429
        assert sign_in(client, carol.email, PASSWORD, "2001:db8:1:2:ffff::1").status_code == 429
        assert sign_in(client, carol.email, PASSWORD, "2001:db8:1:3::1").status_code == 302

    def test_one_address_cannot_be_guessed_from_many_networks(self, client, alice, carol):
        # Four tries from each of eight addresses: never enough to lock a pair.
        codes = [sign_in(client, alice.email, WRONG, f"198.51.100.{n // 4}").status_code for n in range(30)]
        assert codes == [200] * 29 + [429]
        refused = sign_in(client, alice.email, PASSWORD, "203.0.113.9")
        assert refused.status_code == 429 and signed_in_as(client) is None
        assert "from more than one place" in refused.text and "within 60 minutes" in refused.text
        # The networks themselves are not blocked for others.
        assert sign_in(client, carol.email, PASSWORD, "198.51.100.0").status_code == 302

    def test_a_colleague_signing_in_does_not_wipe_the_network_count(self, client, carol):
        assert spray(client, 19) == [200] * 19
        assert sign_in(client, carol.email, PASSWORD).status_code == 302
        client.post(reverse("logout"))
        assert spray(client, 1) == [429]

    def test_people_s_own_typos_stop_counting_once_they_are_in(self, client, account_a):
        # Five colleagues behind one office address, four typos each: twenty failures in all.
        for person in UserFactory.create_batch(5, account=account_a):
            assert fail(client, person.email, 4) == [200] * 4
            assert sign_in(client, person.email, PASSWORD).status_code == 302, person
            client.post(reverse("logout"))

    def test_refused_attempts_are_not_counted(self, client, alice, carol):
        fail(client, alice.email, 5)
        fail(client, alice.email, 30)  # all refused by the pair lockout, no password checked
        assert sign_in(client, carol.email, PASSWORD).status_code == 302

    def test_support_can_lift_the_caps(self, client, alice):
        spray(client, 20)
        call_command("axes_reset_ip", "192.0.2.10")
        assert sign_in(client, alice.email, PASSWORD).status_code == 302
        client.post(reverse("logout"))
        for n in range(30):
            sign_in(client, alice.email, WRONG, f"198.51.100.{n // 4}")
        call_command("axes_reset_username", alice.email)
        assert sign_in(client, alice.email, PASSWORD, "203.0.113.9").status_code == 302


NEW_PASSWORD = "a-brand-new-pass-42"


class TestPasswordChange:
    """The current password is confirmed through authenticate(), so guesses count like sign-ins."""

    @staticmethod
    def change(client, old):
        return client.post(
            reverse("password_change"),
            {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )

    def test_the_right_current_password_changes_it(self, client_of, alice):
        response = self.change(client_of(alice), PASSWORD)
        assert response.status_code == 302 and response.url == reverse("password_change_done")
        alice.refresh_from_db()
        assert alice.check_password(NEW_PASSWORD)

    def test_wrong_current_passwords_lock_it_like_a_sign_in(self, client_of, alice):
        client = client_of(alice)
        for _ in range(4):
            response = self.change(client, WRONG)
            assert response.status_code == 200 and "old password was entered incorrectly" in response.text
        locked = self.change(client, WRONG)
        assert locked.status_code == 429 and "Too many sign-in attempts" in locked.text
        assert self.change(client, PASSWORD).status_code == 429
        alice.refresh_from_db()
        assert alice.check_password(PASSWORD)
        # The same pause covers signing in as alice from there.
        assert sign_in(Client(), alice.email, PASSWORD, ip="127.0.0.1").status_code == 429


# --- API throttles -------------------------------------------------------------------------------


@pytest.fixture
def rates(settings):
    """`rates(user="3/min")` lowers API throttle rates for one test."""

    def set_rates(**scopes):
        framework = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {
            **framework,
            "DEFAULT_THROTTLE_RATES": {**framework["DEFAULT_THROTTLE_RATES"], **scopes},
        }

    return set_rates


def api_as(user, ip="192.0.2.10"):
    client = APIClient(REMOTE_ADDR=ip)
    client.force_authenticate(user)
    return client


class TestApiThrottles:
    def test_production_rates_are_set(self, settings):
        framework = settings.REST_FRAMEWORK
        assert framework["DEFAULT_THROTTLE_CLASSES"] == [
            "apps.accounts.throttles.UserThrottle",
            "apps.accounts.throttles.AnonThrottle",
        ]
        assert set(framework["DEFAULT_THROTTLE_RATES"]) >= {"user", "anon", "ingestion", "survey"}
        # The test client reaches Cairn directly (production defaults to one proxy: test_deploy.py).
        assert settings.TRUSTED_PROXIES == framework["NUM_PROXIES"] == 0

    def test_a_person_is_throttled_wherever_they_call_from(self, rates, alice, bob):
        rates(user="3/min")
        url = reverse("api-me")
        codes = [api_as(alice, ip=f"192.0.2.{n}").get(url).status_code for n in range(4)]
        assert codes == [200, 200, 200, 429]
        throttled = api_as(alice).get(url)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
        assert "throttled" in throttled.json()["detail"].lower()
        assert api_as(bob).get(url).status_code == 200

    def test_signed_in_people_do_not_share_one_address_budget(self, rates, alice, carol):
        rates(user="2/min", anon="1/min")
        url = reverse("api-me")
        assert [api_as(alice).get(url).status_code for _ in range(2)] == [200, 200]
        assert [api_as(carol).get(url).status_code for _ in range(2)] == [200, 200]

    def test_anonymous_callers_are_throttled_per_address(self, rates, db):
        rates(anon="2/min")
        url = reverse("schema")
        codes = [APIClient(REMOTE_ADDR="192.0.2.10").get(url).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert APIClient(REMOTE_ADDR="192.0.2.11").get(url).status_code == 200

    def test_an_integration_token_is_throttled_on_its_own(self, rates, alice):
        rates(ingestion="2/min")
        url = reverse("api-events-batch")
        _, first = interaction_services.integration_token_create(name="Telemetry", source="telemetry")
        _, second = interaction_services.integration_token_create(name="Support", source="support")

        def send(raw, n, ip="192.0.2.10"):
            client = APIClient(REMOTE_ADDR=ip)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            event = {
                "event_id": f"e-{n}",
                "kind": "product.feature_used",
                "occurred_at": "2026-05-01T09:30:00Z",
                "user_email": alice.email,
            }
            return client.post(url, {"events": [event]}, format="json").status_code

        # Per token, not per address: changing address does not help, another token is unaffected.
        assert [send(first, n, ip=f"192.0.2.{n}") for n in range(3)] == [200, 200, 429]
        assert [send(second, n) for n in range(10, 12)] == [200, 200]
        assert Interaction.objects.filter(source="telemetry").count() == 2


class TestFormPosts:
    def test_form_posts_share_the_person_s_api_budget(self, rates, client_of, alice, bob):
        rates(user="3/min")
        idea = IdeaFactory()
        vote = reverse("idea_vote", args=[idea.pk])
        client = client_of(alice)
        assert api_as(alice).get(reverse("api-me")).status_code == 200
        assert [client.post(vote).status_code for _ in range(2)] == [302, 302]  # voted, unvoted
        refused = client.post(vote)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert "That was a lot at once" in refused.text
        assert not Vote.objects.filter(idea=idea, user=alice).exists()
        assert api_as(alice).get(reverse("api-me")).status_code == 429
        # Reading is not a form post; other people have their own budget.
        assert client.get(idea.get_absolute_url()).status_code == 200
        assert client_of(bob).post(vote).status_code == 302
        assert Vote.objects.filter(idea=idea, user=bob).exists()


# --- Password reset and invitation links ---------------------------------------------------------


def reset_link(client, user):
    client.post(reverse("password_reset"), {"email": user.email})
    return re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[-1].body).group(1)


def choose_password(client, link, password="brand-new-pass-99"):  # noqa: S107
    response = client.get(link, follow=True)
    if 'name="new_password1"' not in response.text:
        return response
    return client.post(
        response.redirect_chain[-1][0], {"new_password1": password, "new_password2": password}, follow=True
    )


class TestPasswordResetLinks:
    def test_a_link_works_once(self, client, alice):
        link = reset_link(client, alice)
        assert "Your password is saved" in choose_password(client, link).text
        again = choose_password(client, link, password="another-new-pass-77")
        assert "This link no longer works" in again.text
        alice.refresh_from_db()
        assert alice.check_password("brand-new-pass-99")

    def test_an_older_link_dies_when_a_newer_one_is_used(self, client, alice):
        older, newer = reset_link(client, alice), reset_link(client, alice)
        assert "Your password is saved" in choose_password(client, newer).text
        assert "This link no longer works" in choose_password(client, older, "another-new-pass-77").text

    def test_an_expired_link_is_refused(self, client, alice, settings, monkeypatch):
        link = reset_link(client, alice)
        later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
        monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
        response = choose_password(client, link)
        assert "This link no longer works" in response.text and "expire after a day" in response.text
        alice.refresh_from_db()
        assert alice.check_password(PASSWORD)

    def test_a_tampered_link_is_refused(self, client, alice):
        link = reset_link(client, alice)
        assert "This link no longer works" in choose_password(client, link[:-3] + "zz/").text


def ask_reset(client, email, ip):
    response = client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip)
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    return response


class TestPasswordResetRequests:
    """Reset requests are limited per address and per client network; the answer never changes."""

    def test_the_limits(self, settings):
        assert settings.ABUSE_LIMITS["reset-address"] == (3, timedelta(hours=1))
        assert settings.ABUSE_LIMITS["reset-network"] == (20, timedelta(hours=1))

    def test_one_address_gets_at_most_three_emails_an_hour(self, client, alice):
        for n in range(5):
            ask_reset(client, alice.email.upper() if n % 2 else alice.email, f"198.51.100.{n}")
        assert [m.to for m in mail.outbox] == [[alice.email]] * 3

    def test_one_network_may_ask_twenty_times_an_hour(self, client, alice):
        for n in range(20):
            ask_reset(client, f"nobody{n}@example.com", "192.0.2.10")
        for _ in range(3):
            ask_reset(client, alice.email, "192.0.2.10")
        assert "Check your inbox" in client.get(reverse("password_reset_done")).text
        assert mail.outbox == []
        # The refused requests did not use up alice's own allowance.
        ask_reset(client, alice.email, "198.51.100.7")
        assert [m.to for m in mail.outbox] == [[alice.email]]


def accept(client, token, name="New Person", password="a-long-unusual-pass-123"):  # noqa: S107
    return client.post(
        reverse("invitation_accept", args=[token]),
        {"full_name": name, "password1": password, "password2": password},
    )


class TestInvitationLinks:
    def test_a_link_works_once(self, client, carol):
        _, token = account_services.invitation_create(invited_by=carol, email="new@a.example")
        assert accept(client, token).status_code == 302
        client.post(reverse("logout"))
        again = accept(client, token, name="Impostor", password="another-long-pass-456")
        assert again.status_code == 410 and "It has been used already" in again.text
        assert User.objects.filter(email="new@a.example").count() == 1
        assert User.objects.get(email="new@a.example").full_name == "New Person"

    def test_an_expired_link_is_refused_with_a_clear_page(self, client, carol):
        invitation, token = account_services.invitation_create(invited_by=carol, email="new@a.example")
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        for response in (client.get(reverse("invitation_accept", args=[token])), accept(client, token)):
            assert response.status_code == 410 and "It expired on" in response.text
        assert not User.objects.filter(email="new@a.example").exists()

    def test_a_withdrawn_or_unknown_link_is_refused(self, client, carol):
        invitation, token = account_services.invitation_create(invited_by=carol, email="new@a.example")
        account_services.invitation_revoke(invitation=invitation, by=carol)
        assert accept(client, token).status_code == 410
        assert accept(client, token[:-2] + "zz").status_code == 404
        assert not User.objects.filter(email="new@a.example").exists()


# --- Signed survey and unsubscribe links ---------------------------------------------------------


def last_segment(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


class TestSurveyLinks:
    def test_a_tampered_or_foreign_token_is_refused(self, client, alice):
        invitation = InvitationFactory(user=alice)
        token = tokens.invitation_token(invitation)
        forged = signing.dumps({"i": invitation.pk}, key="not-our-secret-key", salt=tokens.INVITATION_SALT)
        other_salt = signing.dumps({"i": invitation.pk}, salt="another.purpose")
        for bad in [token[:-2] + "zz", forged, other_salt, tokens.unsubscribe_token(alice)]:
            assert client.post(reverse("survey_respond", args=[bad]), {"score": "9"}).status_code == 400
            api = APIClient().post(reverse("api-response-submit"), {"token": bad, "score": 9}, format="json")
            assert api.status_code == 400 and "token" in api.json()
        assert not Response.objects.exists()

    def test_a_token_answers_only_its_own_invitation(self, alice, bob):
        mine, theirs = InvitationFactory(user=alice), InvitationFactory(user=bob)
        response = APIClient().post(
            reverse("api-response-submit"),
            {"token": tokens.invitation_token(theirs), "score": 2, "invitation": mine.pk, "user": alice.pk},
            format="json",
        )
        assert response.status_code == 201
        saved = Response.objects.get()
        assert saved.invitation == theirs and saved.invitation.user == bob

    def test_a_closed_survey_link_is_refused(self, client, alice):
        invitation = InvitationFactory(user=alice, expires_at=timezone.now() - timedelta(seconds=1))
        response = client.post(reverse("survey_respond", args=[tokens.invitation_token(invitation)]))
        assert response.status_code == 410
        assert not Response.objects.exists()

    def test_a_survey_unsubscribe_acts_only_for_its_person(self, client, alice, bob):
        token = tokens.unsubscribe_token(bob)
        assert client.post(reverse("survey_unsubscribe", args=[token])).status_code == 200
        assert list(SurveyOptOut.objects.values_list("user", flat=True)) == [bob.pk]
        notification_token = last_segment(unsubscribe_url(alice.pk, "ideas"))
        assert client.post(reverse("survey_unsubscribe", args=[notification_token])).status_code == 400
        assert not SurveyOptOut.objects.filter(user=alice).exists()


class TestEmailUnsubscribeLinks:
    def test_a_link_acts_only_for_its_person_and_category(self, client, alice, bob):
        token = last_segment(unsubscribe_url(bob.pk, "ideas"))
        assert client.post(reverse("email_unsubscribe", args=[token])).status_code == 200
        assert list(EmailOptOut.objects.values_list("user", "category")) == [(bob.pk, "ideas")]

    def test_a_digest_link_acts_only_for_its_person(self, client, alice, bob):
        for person in (alice, bob):
            learning_services.learning_preference_set(user=person, weekly_digest=True)
        token = last_segment(digest_unsubscribe_url(bob.pk))
        assert client.post(reverse("digest_unsubscribe", args=[token])).status_code == 200
        digests = dict(LearningPreference.objects.values_list("user", "weekly_digest"))
        assert digests == {alice.pk: True, bob.pk: False}

    def test_every_kind_of_link_refuses_the_others_and_tampering(self, client, alice):
        learning_services.learning_preference_set(user=alice, weekly_digest=True)
        links = {
            "survey_respond": tokens.invitation_token(InvitationFactory(user=alice)),
            "survey_unsubscribe": tokens.unsubscribe_token(alice),
            "email_unsubscribe": last_segment(unsubscribe_url(alice.pk, "ideas")),
            "digest_unsubscribe": last_segment(digest_unsubscribe_url(alice.pk)),
        }
        for route, own in links.items():
            for kind, token in [*links.items(), ("tampered", own[:-2] + "zz")]:
                if kind != route:
                    url = reverse(route, args=[token])
                    assert client.get(url).status_code == 400, (route, kind)
                    assert client.post(url, {"score": "9"}).status_code == 400, (route, kind)
        assert not EmailOptOut.objects.exists() and not SurveyOptOut.objects.exists()
        assert not Response.objects.exists()
        assert LearningPreference.objects.get(user=alice).weekly_digest
