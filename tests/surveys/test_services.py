"""Tests of apps/surveys/services.py, selectors.py and tokens.py."""

import threading
from datetime import timedelta

import pytest
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.accounts.models import AccountStatus, Segment, TouchModel
from apps.accounts.services import PermissionDenied
from apps.interactions.models import Interaction
from apps.notifications.models import Notification
from apps.surveys import selectors, services, tokens
from apps.surveys.models import Campaign, CampaignStatus, Invitation, Response, SurveyOptOut
from apps.surveys.services import SurveyError
from apps.surveys.tokens import TokenError
from tests.factories import AccountFactory, InteractionFactory, UserFactory
from tests.surveys.factories import CampaignFactory, InvitationFactory, ResponseFactory


def logged(kind, **filters):
    return Interaction.objects.filter(kind=kind, **filters)


# --- Campaigns --------------------------------------------------------------------------------


def test_only_cs_managers_save_and_activate_campaigns(csm, carol, account_a):
    campaign = Campaign(name="Q1 NPS", segments=[Segment.ENTERPRISE], roles=["executive_sponsor"])
    with pytest.raises(PermissionDenied):
        services.campaign_save(campaign=campaign, by=carol)
    assert not Campaign.objects.exists()
    saved = services.campaign_save(campaign=campaign, by=csm, accounts=[account_a])
    assert saved.created_by == csm and list(saved.accounts.all()) == [account_a]
    with pytest.raises(SurveyError):
        services.campaign_save(campaign=Campaign(name="Bad", roles=["cs_manager"]), by=csm)
    with pytest.raises(PermissionDenied):
        services.campaign_activate(campaign=saved, by=carol)
    assert services.campaign_activate(campaign=saved, by=csm).status == CampaignStatus.ACTIVE
    assert services.campaign_close(campaign=saved, by=csm).status == CampaignStatus.CLOSED
    with pytest.raises(SurveyError):
        services.campaign_activate(campaign=saved, by=csm)


def audience(campaign, **kwargs):
    return set(services.campaign_audience(campaign=campaign, **kwargs))


def test_audience_filters(alice, carol, sam, bob, csm, content):
    enterprise = AccountFactory(segment=Segment.ENTERPRISE, touch_model=TouchModel.LOW)
    erin = UserFactory(account=enterprise)
    churned = UserFactory(account=AccountFactory(status=AccountStatus.CHURNED))
    inactive = UserFactory(account=alice.account, is_active=False)
    everyone = audience(CampaignFactory())
    assert everyone == {alice, carol, sam, bob, erin}
    assert churned not in everyone and inactive not in everyone and csm not in everyone

    assert audience(CampaignFactory(segments=[Segment.ENTERPRISE])) == {erin}
    assert audience(CampaignFactory(touch_models=[TouchModel.HIGH])) == {alice, carol, sam, bob}
    assert audience(CampaignFactory(roles=["customer_admin"])) == {carol}
    assert audience(CampaignFactory(roles=["executive_sponsor"])) == {sam}
    assert audience(CampaignFactory(roles=["learner", "executive_sponsor"])) == {alice, sam, bob, erin}
    limited = CampaignFactory()
    limited.accounts.set([bob.account])
    assert audience(limited) == {bob}


def test_audience_throttle_spans_campaigns_and_opt_outs(alice, bob, carol):
    now = timezone.now()
    other = CampaignFactory()
    InvitationFactory(campaign=other, user=alice, sent_at=now - timedelta(days=89))
    InvitationFactory(campaign=other, user=bob, sent_at=now - timedelta(days=91), wave=2)
    campaign = CampaignFactory(throttle_days=90)
    assert audience(campaign, now=now) == {bob, carol}
    assert audience(campaign, now=now + timedelta(days=2)) == {alice, bob, carol}
    services.survey_opt_out(user=carol)
    services.survey_opt_out(user=carol)
    assert SurveyOptOut.objects.count() == 1
    assert audience(campaign, now=now) == {bob}
    services.survey_opt_in(user=carol)
    assert audience(campaign, now=now) == {bob, carol}


def test_send_wave_invites_records_and_refuses_drafts(alice, bob, django_capture_on_commit_callbacks):
    draft = CampaignFactory(status=CampaignStatus.DRAFT)
    with pytest.raises(SurveyError):
        services.campaign_send_wave(campaign=draft)
    campaign = CampaignFactory(response_window_days=10)
    now = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.campaign_send_wave(campaign=campaign, now=now) == 2
    assert len(callbacks) == 1
    invitations = Invitation.objects.filter(campaign=campaign)
    assert {(i.user, i.account, i.wave, i.expires_at) for i in invitations} == {
        (alice, alice.account, 1, now + timedelta(days=10)),
        (bob, bob.account, 1, now + timedelta(days=10)),
    }
    rows = logged("survey.invitation_sent")
    assert rows.count() == 2
    assert set(rows.values_list("subject_type", "subject_id", "source")) == {
        ("surveys.campaign", str(campaign.pk), "cairn")
    }
    campaign.refresh_from_db()
    assert campaign.last_wave_at == now


def test_a_retried_wave_creates_no_duplicates_even_without_throttle(alice, bob):
    campaign = CampaignFactory(throttle_days=0)
    now = timezone.now()
    assert services.campaign_send_wave(campaign=campaign, now=now) == 2
    assert services.campaign_send_wave(campaign=campaign, now=now) == 0
    assert Invitation.objects.filter(campaign=campaign).count() == 2
    assert logged("survey.invitation_sent").count() == 2
    # Once the first invitations have expired, a repeat wave asks them again, as wave 2.
    later = now + timedelta(days=campaign.response_window_days + 1)
    assert services.campaign_send_wave(campaign=campaign, now=later) == 2
    assert set(Invitation.objects.values_list("wave", flat=True)) == {1, 2}


# --- Responses --------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [-1, 11, "x", None, 3.5, True, ""])
def test_response_submit_refuses_bad_scores_and_writes_nothing(alice, score):
    invitation = InvitationFactory(user=alice)
    with pytest.raises(SurveyError, match=r"Choose a score from 0 to 10\."):
        services.response_submit(invitation=invitation, score=score)
    assert not Response.objects.exists()
    assert not logged("survey.response_submitted").exists()


def test_response_submit_accepts_a_score_from_a_query_string(alice):
    response = services.response_submit(invitation=InvitationFactory(user=alice), score="7")
    assert response.score == 7


def test_one_response_per_invitation_is_a_constraint(alice):
    response = ResponseFactory(invitation=InvitationFactory(user=alice))
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(invitation=response.invitation, score=5)


def test_changing_an_answer_updates_the_row(alice, account_a):
    invitation = InvitationFactory(user=alice, campaign=CampaignFactory(ask_reference=True))
    first = services.response_submit(invitation=invitation, score=7, comment="ok")
    second = services.response_submit(
        invitation=invitation, score=9, comment=" Great ", reference_willing=True
    )
    assert second.pk == first.pk and Response.objects.count() == 1
    second.refresh_from_db()
    assert (second.score, second.comment, second.reference_willing) == (9, "Great", True)
    assert list(logged("survey.response_submitted").order_by("pk").values_list("value", flat=True)) == [7, 9]
    row = logged("survey.reference_willing").get()
    assert row.user == alice and row.account == account_a


def test_closed_or_expired_invitations_are_refused(alice, bob):
    expired = InvitationFactory(user=alice, sent_at=timezone.now() - timedelta(days=40))
    with pytest.raises(SurveyError, match="This survey closed on"):
        services.response_submit(invitation=expired, score=9)
    closed = InvitationFactory(user=bob, campaign=CampaignFactory(status=CampaignStatus.CLOSED))
    with pytest.raises(SurveyError, match="closed"):
        services.response_submit(invitation=closed, score=9)
    assert not Response.objects.exists()


def test_a_detractor_alerts_the_cs_manager_once(alice, bob, csm, account_a):
    account_a.cs_manager = csm
    account_a.save()
    campaign = CampaignFactory()
    promoter = services.response_submit(invitation=InvitationFactory(user=bob, campaign=campaign), score=10)
    assert not Notification.objects.exists()  # bob's account has no CS manager anyway
    services.response_submit(invitation=InvitationFactory(user=bob, campaign=CampaignFactory()), score=0)
    assert not Notification.objects.exists()

    invitation = InvitationFactory(user=alice, campaign=campaign)
    services.response_submit(invitation=invitation, score=10)
    assert not Notification.objects.exists()
    response = services.response_submit(invitation=invitation, score=3, comment="Slow support")
    services.response_submit(invitation=invitation, score=4)
    note = Notification.objects.get()
    assert note.user == csm and note.category == "customer_alerts"
    assert note.dedup_key == f"detractor-{response.pk}"
    assert note.url == f"/surveys/campaigns/{campaign.pk}/"
    assert "Account A" in note.title and note.body == "Slow support"
    assert promoter.pk != response.pk


def test_open_and_dismiss_are_recorded_once(alice):
    invitation = InvitationFactory(user=alice)
    services.invitation_open(invitation=invitation)
    services.invitation_open(invitation=invitation)
    services.prompt_dismiss(invitation=invitation)
    services.prompt_dismiss(invitation=invitation)
    invitation.refresh_from_db()
    assert invitation.opened_at and invitation.dismissed_at
    assert logged("survey.opened").count() == 1
    assert logged("survey.prompt_dismissed").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_make_one_response():
    invitation = InvitationFactory()
    barrier = threading.Barrier(6)
    errors = []

    def submit(score):
        try:
            barrier.wait(timeout=10)
            services.response_submit(invitation=invitation, score=score)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(score,)) for score in range(4, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert logged("survey.response_submitted").count() == 6


# --- Selectors --------------------------------------------------------------------------------


def test_pending_prompt(alice, bob):
    assert selectors.pending_prompt(user=alice) is None
    InvitationFactory(user=alice, sent_at=timezone.now() - timedelta(days=40))  # expired
    InvitationFactory(user=alice, campaign=CampaignFactory(status=CampaignStatus.CLOSED))
    assert selectors.pending_prompt(user=alice) is None
    invitation = InvitationFactory(user=alice)
    assert selectors.pending_prompt(user=alice) == invitation
    assert selectors.pending_prompt(user=bob) is None
    services.prompt_dismiss(invitation=invitation)
    assert selectors.pending_prompt(user=alice) is None
    answered = InvitationFactory(user=alice)
    services.response_submit(invitation=answered, score=8)
    assert selectors.pending_prompt(user=alice) is None


def test_campaign_list_counts_for_cs_managers_only(csm, alice, bob):
    campaign = CampaignFactory()
    InvitationFactory(campaign=campaign, user=alice)
    ResponseFactory(invitation=InvitationFactory(campaign=campaign, user=bob))
    assert list(selectors.campaign_list(user=alice)) == []
    row = selectors.campaign_list(user=csm).get()
    assert (row.invitation_count, row.response_count) == (2, 1)


def test_latest_response_per_person_counts(alice, bob):
    campaign = CampaignFactory()
    old = timezone.now() - timedelta(days=100)
    ResponseFactory(invitation=InvitationFactory(campaign=campaign, user=alice, wave=1, sent_at=old), score=0)
    latest = ResponseFactory(invitation=InvitationFactory(campaign=campaign, user=alice, wave=2), score=10)
    bobs = ResponseFactory(invitation=InvitationFactory(campaign=campaign, user=bob), score=8)
    assert set(selectors.campaign_responses(campaign=campaign)) == {latest, bobs}
    results = selectors.campaign_results(campaign=campaign)
    assert (results["n"], results["promoters"], results["passives"], results["detractors"]) == (2, 1, 1, 0)
    assert results["score"] == 50 and results["too_few"]
    assert results["invited"] == 3 and results["responses"] == 3 and results["response_rate"] == 1
    assert sum(month["n"] for month in results["trend"]) == 3  # every wave counts in the trend


def test_campaign_results_worked_example_and_groups(account_a, account_b):
    campaign = CampaignFactory()
    for score in [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]:
        ResponseFactory(
            invitation=InvitationFactory(campaign=campaign, user=UserFactory(account=account_a)), score=score
        )
    InvitationFactory(campaign=campaign, user=UserFactory(account=account_b))
    ResponseFactory(
        invitation=InvitationFactory(campaign=campaign, user=UserFactory(account=account_b)),
        score=5,
        comment="=cmd",
    )
    results = selectors.campaign_results(campaign=campaign)
    assert results["n"] == 11 and results["invited"] == 12
    assert results["response_rate"] == pytest.approx(11 / 12)
    accounts = {row["account"]: row for row in results["by_account"]}
    assert accounts["Account A"]["nps"] == 20 and not accounts["Account A"]["too_few"]
    assert accounts["Account B"]["n"] == 1 and accounts["Account B"]["too_few"]
    assert results["by_segment"][0]["segment"] == Segment.MID_MARKET
    assert [c["comment"] for c in results["comments"]] == ["=cmd"]
    rows = list(selectors.results_csv_rows(campaign=campaign))
    assert rows[0][0] == "campaign" and len(rows) == 12
    assert any(row[11] == "'=cmd" for row in rows[1:])


def test_no_responses_is_no_data(alice):
    results = selectors.campaign_results(campaign=CampaignFactory())
    assert results["score"] is None and results["response_rate"] is None and results["trend"] == []


def test_trained_means_a_completion_in_the_12_months_before_the_response(account_a):
    campaign = CampaignFactory()
    now = timezone.now()
    people = [UserFactory(account=account_a) for _ in range(4)]
    recent, stale, after, never = people
    InteractionFactory(user=recent, kind="learning.course_completed", occurred_at=now - timedelta(days=200))
    InteractionFactory(user=stale, kind="learning.path_completed", occurred_at=now - timedelta(days=400))
    InteractionFactory(user=after, kind="learning.course_completed", occurred_at=now + timedelta(hours=1))
    InteractionFactory(user=never, kind="learning.content_completed", occurred_at=now - timedelta(days=10))
    for person, score in zip(people, [10, 0, 0, 0], strict=True):
        ResponseFactory(
            invitation=InvitationFactory(campaign=campaign, user=person), score=score, submitted_at=now
        )
    split = selectors.campaign_results(campaign=campaign)["trained"]
    assert (split["trained"]["n"], split["trained"]["nps"]) == (1, 100)
    assert (split["untrained"]["n"], split["untrained"]["nps"]) == (3, -100)
    assert split["difference"] == 200


@pytest.mark.parametrize("count", [5, 50])
def test_campaign_results_query_count_is_bounded(db, count, django_assert_max_num_queries):
    campaign = CampaignFactory()
    accounts = [AccountFactory(segment=segment) for segment in Segment.values]
    for index in range(count):
        user = UserFactory(account=accounts[index % len(accounts)])
        InteractionFactory(
            user=user, kind="learning.course_completed", occurred_at=timezone.now() - timedelta(days=9)
        )
        ResponseFactory(
            invitation=InvitationFactory(campaign=campaign, user=user), score=index % 11, comment="c"
        )
    with django_assert_max_num_queries(9):
        results = selectors.campaign_results(campaign=campaign)
    assert results["n"] == count


# --- Tokens -----------------------------------------------------------------------------------


def test_invitation_tokens(alice):
    invitation = InvitationFactory(user=alice)
    token = tokens.invitation_token(invitation)
    assert tokens.invitation_from_token(token) == invitation
    with pytest.raises(TokenError, match=r"This survey link is damaged or not ours\."):
        tokens.invitation_from_token(token[:-2] + ("aa" if not token.endswith("aa") else "bb"))
    with pytest.raises(TokenError, match="damaged"):
        tokens.invitation_from_token(signing.dumps({"i": invitation.pk}, salt="something.else"))
    with pytest.raises(TokenError, match="damaged"):
        tokens.user_from_unsubscribe_token(token)  # an invitation link is no unsubscribe link
    ghost = signing.dumps({"i": invitation.pk + 999}, salt=tokens.INVITATION_SALT)
    with pytest.raises(TokenError, match="no longer exists"):
        tokens.invitation_from_token(ghost)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(TokenError, match=r"^This survey closed on \d+ \w+ \d{4}\.$"):
        tokens.invitation_from_token(token)


def test_unsubscribe_tokens(alice, bob):
    token = tokens.unsubscribe_token(alice)
    assert tokens.user_from_unsubscribe_token(token) == alice
    with pytest.raises(TokenError, match="damaged"):
        tokens.invitation_from_token(token)
    with pytest.raises(TokenError, match="damaged"):
        tokens.user_from_unsubscribe_token(token + "x")


def test_a_one_by_one_campaign_never_sends_a_wave(csm, alice):
    from apps.surveys import services as survey_services
    from apps.surveys.tasks import send_due_waves
    from tests.surveys.factories import CampaignFactory

    campaign = CampaignFactory(status="active", one_by_one=True, created_by=csm)
    with pytest.raises(survey_services.SurveyError, match="one at a time"):
        survey_services.campaign_send_wave(campaign=campaign)
    assert send_due_waves() == 0
    assert not campaign.invitations.exists()
