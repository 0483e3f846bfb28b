"""The surveys API: campaigns and results for CS managers; answering with a signed token."""

import pytest
from django.urls import reverse

from apps.surveys import tokens
from apps.surveys.models import Response
from tests.surveys.test_views import answer, make_campaign, make_invitation


class TestCampaignListApi:
    url = reverse("api-campaign-list")

    def test_cs_manager(self, client_of, csm, alice):
        campaign = make_campaign()
        answer(make_invitation(alice, campaign), 10)
        body = client_of(csm).get(self.url).json()
        assert body["count"] == 1
        data = body["results"]
        assert [c["id"] for c in data] == [campaign.pk]
        assert data[0]["invitation_count"] == 1 and data[0]["response_count"] == 1 and data[0]["nps"] == 100

    def test_paginated_newest_first(self, client_of, csm):
        made = [make_campaign(name=f"Wave {i}") for i in range(3)]
        body = client_of(csm).get(self.url).json()
        assert body["count"] == 3 and [c["id"] for c in body["results"]] == [c.pk for c in reversed(made)]
        assert client_of(csm).get(self.url, {"page": 99}).status_code == 404

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_others_are_refused(self, request, client_of, who, db):
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_anonymous(self, client, db):
        assert client.get(self.url).status_code == 403


class TestCampaignResultsApi:
    def test_results(self, client_of, csm, alice, bob):
        campaign = make_campaign()
        answer(make_invitation(alice, campaign), 10)
        answer(make_invitation(bob, campaign), 0)
        data = client_of(csm).get(reverse("api-campaign-results", args=[campaign.pk])).json()
        assert data["nps"] == {
            "n": 2,
            "promoters": 1,
            "passives": 0,
            "detractors": 1,
            "score": 0,
            "too_few": True,
        }
        assert data["response_rate"] == 1.0
        assert {row["account"] for row in data["by_account"]} == {"Account A", "Account B"}
        assert data["trained"]["untrained"]["n"] == 2

    def test_outsider_and_unknown(self, client_of, csm, alice):
        campaign = make_campaign()
        assert client_of(alice).get(reverse("api-campaign-results", args=[campaign.pk])).status_code == 403
        assert client_of(csm).get(reverse("api-campaign-results", args=[999])).status_code == 404


class TestResponseSubmitApi:
    url = reverse("api-response-submit")

    def test_answer_without_login_then_change(self, client, alice):
        invitation = make_invitation(alice)
        token = tokens.invitation_token(invitation)
        response = client.post(
            self.url, {"token": token, "score": 4, "comment": "Slow"}, content_type="application/json"
        )
        assert response.status_code == 201 and response.json()["score"] == 4
        client.post(self.url, {"token": token, "score": 9}, content_type="application/json")
        assert Response.objects.get().score == 9

    @pytest.mark.parametrize("score", [-1, 11, "x"])
    def test_bad_score(self, client, alice, score):
        token = tokens.invitation_token(make_invitation(alice))
        response = client.post(self.url, {"token": token, "score": score}, content_type="application/json")
        assert response.status_code == 400 and response.json()["score"] == ["Choose a score from 0 to 10."]
        assert not Response.objects.exists()

    def test_bad_tokens(self, client, alice):
        invitation = make_invitation(alice)
        for token in ["nonsense", tokens.unsubscribe_token(alice), tokens.invitation_token(invitation)[:-1]]:
            response = client.post(self.url, {"token": token, "score": 9}, content_type="application/json")
            assert response.status_code == 400 and "token" in response.json()
        assert not Response.objects.exists()

    def test_signed_in_caller_needs_no_csrf(self, client_of, bob, alice):
        # The token authorises; a session (even someone else's) neither helps nor gets in the way.
        from django.test import Client

        csrf_client = Client(enforce_csrf_checks=True)
        csrf_client.force_login(bob)
        token = tokens.invitation_token(make_invitation(alice))
        response = csrf_client.post(self.url, {"token": token, "score": 8}, content_type="application/json")
        assert response.status_code == 201
        assert Response.objects.get().invitation.user == alice
