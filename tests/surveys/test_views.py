"""The NPS pages: campaigns and results (CS managers), the respondent's signed-link pages (no
login), and the in-app prompt."""

from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from apps.surveys import services, tokens
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response, SurveyOptOut
from tests.factories import AccountFactory, UserFactory


def make_campaign(status=CampaignStatus.ACTIVE, **fields):
    fields.setdefault("name", "Q3 NPS")
    return Campaign.objects.create(status=status, **fields)


def make_invitation(user, campaign=None, wave=1, expires_in=timedelta(days=30), **fields):
    campaign = campaign or make_campaign()
    return Invitation.objects.create(
        campaign=campaign,
        user=user,
        account=user.account,
        wave=wave,
        expires_at=timezone.now() + expires_in,
        **fields,
    )


def answer(invitation, score, comment=""):
    return services.response_submit(invitation=invitation, score=score, comment=comment)


def respond_url(invitation, **query):
    url = reverse("survey_respond", args=[tokens.invitation_token(invitation)])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


CAMPAIGN_PAGES = ["campaign_list", "campaign_new"]


class TestRoles:
    @pytest.mark.parametrize("name", CAMPAIGN_PAGES)
    def test_anonymous_is_sent_to_login(self, client, name, db):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_other_roles_get_403(self, request, client_of, who, db):
        campaign = make_campaign()
        client = client_of(request.getfixturevalue(who))
        for url in [
            reverse("campaign_list"),
            reverse("campaign_new"),
            reverse("campaign_edit", args=[campaign.pk]),
            reverse("campaign_results", args=[campaign.pk]),
            reverse("campaign_export", args=[campaign.pk]),
        ]:
            assert client.get(url).status_code == 403, url
        for name in ["campaign_activate", "campaign_send", "campaign_close"]:
            assert client.post(reverse(name, args=[campaign.pk])).status_code == 403
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.ACTIVE and campaign.last_wave_at is None

    def test_anonymous_results_redirects(self, client, db):
        campaign = make_campaign()
        assert client.get(reverse("campaign_results", args=[campaign.pk])).status_code == 302

    def test_nav_shows_surveys_to_cs_managers_only(self, client_of, csm, alice):
        # NPS surveys are a tab of the CS managers' Health section.
        assert reverse("campaign_list") in client_of(csm).get(reverse("portfolio")).text
        assert reverse("campaign_list") not in client_of(alice).get(reverse("home")).text


class TestCampaignList:
    def test_empty_state(self, client_of, csm):
        response = client_of(csm).get(reverse("campaign_list"))
        assert response.status_code == 200 and "No campaigns yet" in response.text
        assert reverse("campaign_new") in response.text

    def test_lists_counts_and_nps(self, client_of, csm, account_a):
        campaign = make_campaign(segments=["enterprise"], roles=["learner"])
        for score in (10, 9, 0):
            answer(make_invitation(UserFactory(account=account_a), campaign), score)
        make_invitation(UserFactory(account=account_a), campaign)
        response = client_of(csm).get(reverse("campaign_list"))
        row = response.text.split("Q3 NPS", 1)[1]
        assert "Enterprise · Learners" in row
        assert '<td class="num">4</td>' in row and '<td class="num">3</td>' in row
        assert '<td class="num">33</td>' in row  # (2 - 1) / 3


class TestCampaignForm:
    def data(self, **overrides):
        data = {
            "name": "Spring NPS",
            "question": "How likely are you to recommend us?",
            "follow_up_question": "Why?",
            "segments": ["enterprise"],
            "roles": ["learner", "executive_sponsor"],
            "starts_at": "2030-04-01T09:00",
            "schedule": "once",
            "repeat_every_days": "",
            "throttle_days": "90",
            "response_window_days": "30",
            "reminder_after_days": "7",
        }
        data.update(overrides)
        return data

    def test_form_shows_defaults(self, client_of, csm):
        response = client_of(csm).get(reverse("campaign_new"))
        assert response.status_code == 200
        assert 'type="datetime-local"' in response.text and 'value="90"' in response.text

    def test_creates_a_draft(self, client_of, csm, account_a):
        response = client_of(csm).post(reverse("campaign_new"), self.data(accounts=[account_a.pk]))
        campaign = Campaign.objects.get()
        assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
        assert campaign.status == CampaignStatus.DRAFT and campaign.created_by == csm
        assert campaign.roles == ["learner", "executive_sponsor"] and campaign.repeat_every_days is None
        assert list(campaign.accounts.all()) == [account_a]

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"name": ""}, "This field is required."),
            ({"schedule": "repeat"}, "Say how often the campaign repeats"),
            ({"schedule": "repeat", "repeat_every_days": "3"}, "greater than or equal to 7"),
            ({"throttle_days": "-1"}, "greater than or equal to 0"),
            ({"starts_at": "soon"}, "Enter a valid date/time."),
            ({"segments": ["galactic"]}, "Select a valid choice."),
        ],
    )
    def test_invalid_input_is_400_and_writes_nothing(self, client_of, csm, overrides, message):
        response = client_of(csm).post(reverse("campaign_new"), self.data(**overrides))
        assert response.status_code == 400 and message in response.text
        assert not Campaign.objects.exists()

    def test_edit_repeat(self, client_of, csm):
        campaign = make_campaign(status=CampaignStatus.DRAFT)
        response = client_of(csm).post(
            reverse("campaign_edit", args=[campaign.pk]), self.data(schedule="repeat", repeat_every_days="90")
        )
        assert response.status_code == 302
        campaign.refresh_from_db()
        assert campaign.name == "Spring NPS" and campaign.repeat_every_days == 90

    def test_edit_unknown_campaign_is_404(self, client_of, csm):
        assert client_of(csm).get(reverse("campaign_edit", args=[999])).status_code == 404


class TestCampaignActions:
    def test_activate_send_close(self, client_of, csm, alice, bob, mailoutbox):
        campaign = make_campaign(status=CampaignStatus.DRAFT, starts_at=timezone.now() + timedelta(days=1))
        client = client_of(csm)
        client.post(reverse("campaign_activate", args=[campaign.pk]))
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.ACTIVE
        page = client.get(campaign.get_absolute_url()).text
        assert 'data-confirm="Send invitations now to 2 people?"' in page
        response = client.post(reverse("campaign_send", args=[campaign.pk]), follow=True)
        assert "Sent 2 invitations." in response.text
        assert Invitation.objects.filter(campaign=campaign).count() == 2
        client.post(reverse("campaign_close", args=[campaign.pk]))
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.CLOSED

    def test_send_of_a_draft_shows_the_error(self, client_of, csm, alice):
        campaign = make_campaign(status=CampaignStatus.DRAFT)
        response = client_of(csm).post(reverse("campaign_send", args=[campaign.pk]), follow=True)
        assert "A draft campaign sends no invitations." in response.text
        assert not Invitation.objects.exists()

    def test_actions_need_post(self, client_of, csm):
        campaign = make_campaign()
        assert client_of(csm).get(reverse("campaign_close", args=[campaign.pk])).status_code == 405


def build_responses(count, campaign):
    account = AccountFactory()
    for i in range(count):
        invitation = make_invitation(UserFactory(account=account), campaign)
        answer(invitation, i % 11, comment=f"Comment {i}")


class TestResults:
    def test_shows_nps_split_and_correlation_sentence(self, client_of, csm):
        campaign = make_campaign()
        account = AccountFactory(name="Globex")
        for score in (10, 10, 9, 9, 9, 8, 7, 6, 3, 0):
            answer(make_invitation(UserFactory(account=account), campaign), score, comment=f"Because {score}")
        make_invitation(UserFactory(account=account), campaign)
        response = client_of(csm).get(campaign.get_absolute_url())
        text = response.text
        assert response.status_code == 200
        assert '<span class="stat__value" id="nps-score">20</span>' in text
        assert "Promoters (9\u201310): 5 (50%)" in text and "Detractors (0\u20136): 3 (30%)" in text
        assert "10 of 11 invited" in text and "91%" in text
        assert "This shows correlation, not cause." in text
        assert "Globex" in text and "Because 3" in text

    def test_too_few_to_tell(self, client_of, csm, alice):
        campaign = make_campaign()
        answer(make_invitation(alice, campaign), 10)
        assert "Too few to tell" in client_of(csm).get(campaign.get_absolute_url()).text

    def test_comments_are_paginated_by_25(self, client_of, csm):
        campaign = make_campaign()
        build_responses(30, campaign)
        client = client_of(csm)
        first = client.get(campaign.get_absolute_url()).text
        second = client.get(campaign.get_absolute_url() + "?page=2").text
        assert "Page 1 of 2" in first and first.count("<time datetime=") == 25
        assert second.count("<time datetime=") == 5

    def test_query_count_is_pinned_and_does_not_grow(self, client_of, csm, django_assert_num_queries):
        campaign = make_campaign()
        build_responses(5, campaign)
        client = client_of(csm)
        client.get(campaign.get_absolute_url())  # warm the session
        with django_assert_num_queries(13) as five:
            client.get(campaign.get_absolute_url())
        build_responses(45, campaign)
        with django_assert_num_queries(len(five.captured_queries)):
            client.get(campaign.get_absolute_url())

    def test_unknown_campaign_is_404(self, client_of, csm):
        assert client_of(csm).get(reverse("campaign_results", args=[999])).status_code == 404


class TestExport:
    def test_csv(self, client_of, csm, alice):
        campaign = make_campaign()
        answer(make_invitation(alice, campaign), 9, comment="=SUM(A1)")
        response = client_of(csm).get(reverse("campaign_export", args=[campaign.pk]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"] == f'attachment; filename="nps-campaign-{campaign.pk}.csv"'
        lines = response.content.decode().splitlines()
        assert lines[0].startswith("campaign,wave,") and len(lines) == 2
        assert "alice@a.example" in lines[1] and ",9,promoter," in lines[1] and "'=SUM(A1)" in lines[1]


class TestRespond:
    def test_page_without_login_preselects_score(self, client, alice):
        invitation = make_invitation(alice)
        response = client.get(respond_url(invitation, score=8))
        assert response.status_code == 200
        assert 'value="8" id="id_score_8" required checked' in response.text
        assert response.text.count(" checked") == 1
        invitation.refresh_from_db()
        assert invitation.opened_at is not None
        assert not Response.objects.exists()

    @pytest.mark.parametrize("score", ["11", "-1", "x"])
    def test_invalid_preselected_score_is_ignored(self, client, alice, score):
        response = client.get(respond_url(make_invitation(alice), score=score))
        assert response.status_code == 200 and " checked" not in response.text

    def test_reference_question_only_when_asked(self, client, alice, bob):
        plain = client.get(respond_url(make_invitation(alice))).text
        asked = client.get(respond_url(make_invitation(bob, make_campaign(ask_reference=True)))).text
        assert "act as a reference" not in plain and "act as a reference" in asked

    def test_submit_then_change_answer(self, client, alice):
        invitation = make_invitation(alice, make_campaign(ask_reference=True))
        url = respond_url(invitation)
        response = client.post(url, {"score": "6", "comment": "Slow exports", "reference_willing": "no"})
        assert response.status_code == 200 and "Thank you!" in response.text
        assert "Change your answer" in response.text and "Slow exports" in response.text
        response = client.post(url, {"score": "9", "comment": "Fixed now", "reference_willing": "yes"})
        saved = Response.objects.get()
        assert (saved.score, saved.comment, saved.reference_willing) == (9, "Fixed now", True)
        again = client.get(url).text
        assert "You answered 9" in again and "Fixed now" in again

    @pytest.mark.parametrize("score", ["-1", "11", "x", ""])
    def test_bad_score_is_400_and_writes_nothing(self, client, alice, score):
        response = client.post(respond_url(make_invitation(alice)), {"score": score, "comment": "hm"})
        assert response.status_code == 400 and "Choose a score from 0 to 10." in response.text
        assert not Response.objects.exists()

    def test_tampered_token(self, client, alice):
        invitation = make_invitation(alice)
        token = tokens.invitation_token(invitation)
        for bad in [token[:-2] + "xx", "nonsense", signing.dumps({"i": invitation.pk}, salt="other")]:
            response = client.post(reverse("survey_respond", args=[bad]), {"score": "9"})
            assert response.status_code == 400 and "This link does not work" in response.text
            assert client.get(reverse("survey_respond", args=[bad])).status_code == 400
        assert not Response.objects.exists()
        invitation.refresh_from_db()
        assert invitation.opened_at is None

    def test_unknown_invitation(self, client, alice):
        invitation = make_invitation(alice)
        token = tokens.invitation_token(invitation)
        invitation.delete()
        assert client.get(reverse("survey_respond", args=[token])).status_code == 400

    def test_unsubscribe_token_is_not_a_respond_token(self, client, alice):
        make_invitation(alice)
        response = client.get(reverse("survey_respond", args=[tokens.unsubscribe_token(alice)]))
        assert response.status_code == 400

    def test_expired_or_closed_is_410(self, client, alice, bob):
        expired = make_invitation(alice, expires_in=timedelta(days=-1))
        response = client.post(respond_url(expired), {"score": "9"})
        assert response.status_code == 410 and "This survey has closed" in response.text
        closed = make_invitation(bob, make_campaign(status=CampaignStatus.CLOSED))
        assert client.get(respond_url(closed)).status_code == 410
        assert not Response.objects.exists()

    def test_token_of_another_invitation_shows_only_that_one(self, client, alice, bob):
        mine = make_invitation(alice, make_campaign(name="Alice's", question="Alice's question?"))
        other = make_invitation(bob, make_campaign(name="Bob's", question="Bob's question?"))
        page = client.get(respond_url(other)).text
        assert "Bob&#x27;s question?" in page and "Alice" not in page
        client.post(respond_url(other), {"score": "3"})
        assert Response.objects.get().invitation == other
        assert not Response.objects.filter(invitation=mine).exists()


class TestUnsubscribe:
    def test_confirm_then_opt_out(self, client, alice):
        url = reverse("survey_unsubscribe", args=[tokens.unsubscribe_token(alice)])
        response = client.get(url)
        assert response.status_code == 200 and "alice@a.example" in response.text
        assert not SurveyOptOut.objects.exists()
        response = client.post(url)
        assert response.status_code == 200 and SurveyOptOut.objects.filter(user=alice).exists()

    def test_bad_token_is_400(self, client, alice):
        invitation = make_invitation(alice)
        for bad in ["nonsense", tokens.invitation_token(invitation)]:
            url = reverse("survey_unsubscribe", args=[bad])
            assert client.get(url).status_code == 400
            assert client.post(url).status_code == 400
        assert not SurveyOptOut.objects.exists()


class TestPrompt:
    url = reverse("survey_prompt")

    def test_fragment_for_a_pending_invitation(self, client_of, alice):
        invitation = make_invitation(alice, make_campaign(question="Would you recommend Cairn?"))
        response = client_of(alice).get(self.url, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "<html" not in response.text
        assert "Would you recommend Cairn?" in response.text
        assert reverse("survey_prompt_answer", args=[invitation.pk]) in response.text
        assert reverse("survey_prompt_dismiss", args=[invitation.pk]) in response.text

    def test_empty_without_a_pending_invitation(self, client_of, alice, csm):
        assert client_of(alice).get(self.url, headers={"HX-Request": "true"}).content == b""
        make_invitation(alice)
        assert client_of(csm).get(self.url).content == b""

    def test_placeholder_only_for_customers(self, client_of, alice, csm):
        assert self.url in client_of(alice).get(reverse("home")).text
        assert self.url not in client_of(csm).get(reverse("home")).text

    def test_answer(self, client_of, alice):
        invitation = make_invitation(alice)
        client = client_of(alice)
        url = reverse("survey_prompt_answer", args=[invitation.pk])
        response = client.post(url, {"score": "10"}, headers={"HX-Request": "true"})
        assert response.status_code == 200 and "Thank you" in response.text and "<html" not in response.text
        assert Response.objects.get().score == 10
        assert client.get(self.url).content == b""  # answered: nothing more to ask

    def test_answer_without_htmx_redirects(self, client_of, alice):
        invitation = make_invitation(alice)
        response = client_of(alice).post(
            reverse("survey_prompt_answer", args=[invitation.pk]), {"score": "7"}
        )
        assert response.status_code == 302 and Response.objects.get().score == 7

    def test_bad_score_shows_the_message(self, client_of, alice):
        invitation = make_invitation(alice)
        response = client_of(alice).post(
            reverse("survey_prompt_answer", args=[invitation.pk]),
            {"score": "11"},
            headers={"HX-Request": "true"},
        )
        assert "Choose a score from 0 to 10." in response.text and not Response.objects.exists()

    def test_it_checks_ownership(self, client_of, alice, bob):
        invitation = make_invitation(alice)
        client = client_of(bob)
        assert (
            client.post(reverse("survey_prompt_answer", args=[invitation.pk]), {"score": "0"}).status_code
            == 404
        )
        assert client.post(reverse("survey_prompt_dismiss", args=[invitation.pk])).status_code == 404
        invitation.refresh_from_db()
        assert invitation.dismissed_at is None and not Response.objects.exists()

    def test_dismiss(self, client_of, alice):
        invitation = make_invitation(alice)
        client = client_of(alice)
        response = client.post(
            reverse("survey_prompt_dismiss", args=[invitation.pk]), headers={"HX-Request": "true"}
        )
        assert response.status_code == 200 and response.content == b""
        invitation.refresh_from_db()
        assert invitation.dismissed_at is not None
        assert client.get(self.url).content == b""

    def test_anonymous(self, client, db):
        assert client.get(self.url).status_code == 302


def test_a_closed_campaign_cannot_be_edited(client_of, csm):
    campaign = make_campaign(status=CampaignStatus.CLOSED, name="Old NPS")
    client = client_of(csm)
    response = client.get(reverse("campaign_edit", args=[campaign.pk]))
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    client.post(reverse("campaign_edit", args=[campaign.pk]), {"name": "Renamed"})
    campaign.refresh_from_db()
    assert campaign.name == "Old NPS"
    from apps.surveys import services as survey_services

    campaign.name = "Renamed"
    with pytest.raises(survey_services.SurveyError, match="closed campaign"):
        survey_services.campaign_save(campaign=campaign, by=csm)
    assert "Edit</a>" not in client.get(campaign.get_absolute_url()).text
