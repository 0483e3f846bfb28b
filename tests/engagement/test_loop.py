"""Closing the loop with detractors: linking their feedback to ideas (or posting one), telling them
when the idea ships, re-surveying them after the delay and recording their new score; the loop
report and its CSV; the single-person survey invitation it needs. Every step is idempotent."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import TouchModel
from apps.community.models import Idea, IdeaStatus
from apps.engagement import loop
from apps.engagement.models import FeedbackLink
from apps.engagement.services import EngagementError
from apps.engagement.tasks import follow_up_feedback
from apps.interactions.models import Interaction
from apps.notifications.models import Notification
from apps.surveys.models import Campaign, CampaignStatus, Invitation
from apps.surveys.services import SurveyError, invitation_create_for, response_submit, survey_opt_out
from apps.surveys.tasks import send_due_waves
from tests.community.factories import IdeaFactory
from tests.engagement.test_tasks import TaskFactory, detractor_answers, detractor_setup
from tests.factories import AccountFactory, UserFactory
from tests.surveys.factories import CampaignFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def account(csm):
    account = AccountFactory(name="Initech", touch_model=TouchModel.HIGH, cs_manager=csm)
    detractor_setup(account=account)
    return account


@pytest.fixture
def dee(account):
    return UserFactory(account=account, full_name="Dee Tractor", email="dee@initech.example")


@pytest.fixture
def task(dee):
    return detractor_answers(person=dee, score=3, comment="Exports to Excel are missing.")


@pytest.fixture
def idea(db):
    return IdeaFactory(title="Export reports to Excel")


def ship(idea):
    Idea.objects.filter(pk=idea.pk).update(status=IdeaStatus.SHIPPED)


# --- linking -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_linking_keeps_the_persons_comment_and_score(task, idea, csm, dee):
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    assert (link.person, link.account, link.task, link.linked_by) == (dee, task.account, task, csm)
    assert (link.comment, link.score) == ("Exports to Excel are missing.", 3)
    with pytest.raises(EngagementError, match="already linked"):
        loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    assert FeedbackLink.objects.count() == 1


@pytest.mark.django_db
def test_only_a_detractors_feedback_by_a_cs_manager_links_to_an_existing_idea(task, idea, csm, content):
    with pytest.raises(EngagementError, match="Only a CS manager"):
        loop.feedback_link_create(task=task, idea_id=idea.pk, by=content)
    with pytest.raises(EngagementError, match="does not exist"):
        loop.feedback_link_create(task=task, idea_id=987654, by=csm)
    plain = TaskFactory(assignee=csm)
    with pytest.raises(EngagementError, match="Only a detractor"):
        loop.feedback_link_create(task=plain, idea_id=idea.pk, by=csm)
    assert not FeedbackLink.objects.exists()


@pytest.mark.django_db
def test_a_cs_manager_posts_a_new_idea_from_the_feedback(task, csm):
    link = loop.feedback_idea_create(
        task=task, by=csm, title="Excel export", description="Exports to Excel are missing."
    )
    idea = Idea.objects.get(pk=link.idea_id)
    assert idea.author == csm and idea.title == "Excel export" and idea.account is None
    assert Interaction.objects.filter(kind="community.idea_submitted", user=csm).exists()


@pytest.mark.django_db
def test_a_refused_idea_leaves_nothing_behind(task, csm):
    with pytest.raises(EngagementError, match="title"):
        loop.feedback_idea_create(task=task, by=csm, title="   ", description="x")
    assert not Idea.objects.exists() and not FeedbackLink.objects.exists()


@pytest.mark.django_db
def test_unlinking_is_only_possible_before_they_are_told(task, idea, csm):
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    loop.feedback_link_delete(link=link, by=csm)
    assert not FeedbackLink.objects.exists()
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    FeedbackLink.objects.filter(pk=link.pk).update(told_at=timezone.now())
    with pytest.raises(EngagementError, match="already been told"):
        loop.feedback_link_delete(link=link, by=csm)


# --- the views -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_page_searches_ideas_and_links_one(client_of, csm, task, idea):
    IdeaFactory(title="Dark mode")
    client = client_of(csm)
    url = reverse("task_detail", args=[task.pk])
    page = client.get(url)
    assert "Link their feedback to ideas" in page.content.decode()
    found = client.get(url, {"q": "excel"})
    assert [i.pk for i, _ in found.context["results"]] == [idea.pk]
    part = client.get(url, {"q": "excel"}, **HTMX)
    assert b"<html" not in part.content and b'id="idea-results"' in part.content
    assert b"Export reports to Excel" in part.content and b"Dark mode" not in part.content

    response = client.post(reverse("task_link_idea", args=[task.pk]), {"action": "link", "idea": idea.pk})
    assert response.status_code == 302 and response["Location"] == url + "#loop"
    link = FeedbackLink.objects.get()
    assert link.idea_id == idea.pk
    again = client.get(url, {"q": "excel"})
    assert again.context["results"] == [(idea, True)]
    assert "Export reports to Excel" in again.content.decode()


@pytest.mark.django_db
def test_the_task_page_posts_a_new_idea_and_reports_bad_input(client_of, csm, task):
    client = client_of(csm)
    url = reverse("task_link_idea", args=[task.pk])
    bad = client.post(url, {"action": "create", "title": "", "description": ""})
    assert bad.status_code == 400
    assert "title" in bad.context["idea_form"].errors and not Idea.objects.exists()
    good = client.post(
        url, {"action": "create", "title": "Excel export", "description": "They need it."}, follow=True
    )
    assert "Posted the idea “Excel export” and linked the feedback." in good.content.decode()
    assert FeedbackLink.objects.get().idea_id == Idea.objects.get().pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "link"}, "Choose an idea to link."),
        ({"action": "link", "idea": "abc"}, "Choose an idea to link."),
        ({"action": "link", "idea": "999999"}, "That idea does not exist any more."),
        ({"action": "unlink", "link": "5"}, "That link is already gone."),
        ({"action": "explode"}, "Choose what to do."),
    ],
)
def test_bad_link_requests_say_what_is_wrong(client_of, csm, task, data, message):
    response = client_of(csm).post(reverse("task_link_idea", args=[task.pk]), data, follow=True)
    assert message in response.content.decode()
    assert not FeedbackLink.objects.exists()


@pytest.mark.django_db
def test_unlinking_from_the_task_page(client_of, csm, task, idea):
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    client = client_of(csm)
    html = client.get(reverse("task_detail", args=[task.pk])).content.decode()
    assert 'data-confirm="Unlink this idea from their feedback?"' in html
    client.post(reverse("task_link_idea", args=[task.pk]), {"action": "unlink", "link": link.pk})
    assert not FeedbackLink.objects.exists()


@pytest.mark.django_db
def test_a_task_that_is_not_a_detractors_has_no_loop_section(client_of, csm, idea):
    plain = TaskFactory(assignee=csm)
    client = client_of(csm)
    assert "Link their feedback" not in client.get(reverse("task_detail", args=[plain.pk])).content.decode()
    response = client.post(
        reverse("task_link_idea", args=[plain.pk]), {"action": "link", "idea": idea.pk}, follow=True
    )
    assert "Only a detractor&#x27;s feedback can be linked to ideas." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "carol", "content"])
def test_only_cs_managers_link_feedback_or_see_the_loop(client_of, request, who, task, idea):
    client = client_of(request.getfixturevalue(who))
    response = client.post(reverse("task_link_idea", args=[task.pk]), {"action": "link", "idea": idea.pk})
    assert response.status_code == 403
    assert client.get(reverse("loop_report")).status_code == 403
    assert client.get(reverse("loop_report"), {"format": "csv"}).status_code == 403
    assert not FeedbackLink.objects.exists()


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in(client, task, idea):
    for response in (
        client.post(reverse("task_link_idea", args=[task.pk]), {"action": "link", "idea": idea.pk}),
        client.get(reverse("loop_report")),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("task_link_idea", args=[task.pk])).status_code in (302, 405)


# --- the follow-up -------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(LOOP_RESURVEY_DAYS=10)
def test_when_the_idea_ships_the_detractor_is_told_personally_once(
    task, idea, csm, dee, django_capture_on_commit_callbacks
):
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    assert loop.loop_follow_up() == {"told": 0, "resurveyed": 0, "answered": 0}  # not shipped yet
    ship(idea)
    with django_capture_on_commit_callbacks(execute=True):
        assert loop.loop_follow_up()["told"] == 1
    link.refresh_from_db()
    assert link.told_at is not None
    assert link.resurvey_on == timezone.localdate() + timedelta(days=10)
    note = Notification.objects.get(user=dee)
    assert note.category == "customer_success" and note.dedup_key == f"loop-told-{link.pk}"
    assert "Export reports to Excel" in note.title
    assert note.body.startswith("You told us: “Exports to Excel are missing.”")
    assert note.body.endswith("— Cas Manager, your customer success manager")
    assert note.url == reverse("idea_detail", args=[idea.pk])
    assert [m.to for m in mail.outbox if "Export reports to Excel" in m.subject] == [[dee.email]]
    # A second run (or a retried task) tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert loop.loop_follow_up()["told"] == 0
    assert Notification.objects.filter(user=dee).count() == 1
    # Telling them is in the log, once, like every automated success message.
    told = Interaction.objects.filter(kind="engagement.message", user=dee)
    assert told.count() == 1 and told.get().properties == {"loop": link.pk, "idea": idea.pk}


@pytest.mark.django_db
def test_feedback_linked_to_a_duplicate_learns_when_the_merged_idea_ships(task, csm, dee):
    target = IdeaFactory(title="Excel export", status=IdeaStatus.SHIPPED)
    duplicate = IdeaFactory(title="xlsx please", status=IdeaStatus.MERGED, merged_into=target)
    loop.feedback_link_create(task=task, idea_id=duplicate.pk, by=csm)
    assert loop.loop_follow_up()["told"] == 1


@pytest.mark.django_db
def test_after_the_delay_they_are_asked_again_and_their_new_score_is_recorded(
    task, idea, csm, dee, django_capture_on_commit_callbacks
):
    other = UserFactory(account=task.account)  # must never be surveyed by the loop campaign
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    ship(idea)
    loop.loop_follow_up()
    assert loop.loop_follow_up()["resurveyed"] == 0  # not yet due
    FeedbackLink.objects.update(resurvey_on=timezone.localdate())  # the delay has passed
    later = timezone.now()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert loop.loop_follow_up(now=later)["resurveyed"] == 1
    campaign = Campaign.objects.get(name="Closing the loop")
    assert campaign.status == CampaignStatus.ACTIVE and campaign.repeat_every_days is None
    invitation = Invitation.objects.get(campaign=campaign)
    assert invitation.user == dee
    assert [m.to for m in mail.outbox] == [[dee.email]]
    link.refresh_from_db()
    assert link.resurveyed_at == later

    # Idempotent, and the scheduler never sends the loop campaign to everyone.
    with django_capture_on_commit_callbacks(execute=True):
        assert loop.loop_follow_up(now=later)["resurveyed"] == 0
        send_due_waves()
    assert Invitation.objects.filter(campaign=campaign).count() == 1
    assert not Invitation.objects.filter(campaign=campaign, user=other).exists()

    response_submit(invitation=invitation, score=8, comment="Much better now.")
    assert loop.loop_follow_up(now=later)["answered"] == 1
    link.refresh_from_db()
    assert link.new_score == 8 and link.won_back is True
    assert loop.loop_follow_up(now=later)["answered"] == 0


@pytest.mark.django_db
def test_one_person_linked_to_two_shipped_ideas_gets_one_survey(task, csm, dee):
    first, second = IdeaFactory(status=IdeaStatus.SHIPPED), IdeaFactory(status=IdeaStatus.SHIPPED)
    loop.feedback_link_create(task=task, idea_id=first.pk, by=csm)
    loop.feedback_link_create(task=task, idea_id=second.pk, by=csm)
    assert loop.loop_follow_up()["told"] == 2
    assert loop.loop_follow_up(now=timezone.now() + timedelta(days=30))["resurveyed"] == 2
    assert Invitation.objects.filter(campaign__name="Closing the loop").count() == 1


@pytest.mark.django_db
def test_someone_who_opted_out_is_not_asked_again(task, idea, csm, dee):
    link = loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    ship(idea)
    loop.loop_follow_up()
    survey_opt_out(user=dee)
    assert loop.loop_follow_up(now=timezone.now() + timedelta(days=30))["resurveyed"] == 0
    link.refresh_from_db()
    assert link.resurveyed_at is None
    assert not Invitation.objects.filter(campaign__name="Closing the loop").exists()


@pytest.mark.django_db
def test_the_celery_task_runs_the_follow_up_and_is_scheduled_hourly(task, idea, csm, settings):
    loop.feedback_link_create(task=task, idea_id=idea.pk, by=csm)
    ship(idea)
    assert follow_up_feedback.delay().get() == {"told": 1, "resurveyed": 0, "answered": 0}
    entry = settings.CELERY_BEAT_SCHEDULE["engagement-loop"]
    assert entry == {"task": "apps.engagement.tasks.follow_up_feedback", "schedule": 3600}


# --- invitation_create_for (apps.surveys.services) ------------------------------------------------


@pytest.mark.django_db
def test_invitation_create_for_invites_one_person(alice, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(name="Closing the loop")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create_for(campaign=campaign, user=alice)
    assert (invitation.campaign, invitation.user, invitation.account, invitation.wave) == (
        campaign,
        alice,
        alice.account,
        1,
    )
    assert invitation.expires_at > timezone.now() + timedelta(days=29)
    assert Interaction.objects.filter(kind="survey.invitation_sent", user=alice).count() == 1
    assert [m.to for m in mail.outbox] == [[alice.email]]
    # While it is open and unanswered, asking again returns the same invitation.
    assert invitation_create_for(campaign=campaign, user=alice) == invitation
    response_submit(invitation=invitation, score=9)
    assert invitation_create_for(campaign=campaign, user=alice).wave == 2


@pytest.mark.django_db
def test_invitation_create_for_refuses_who_cannot_be_asked(alice, csm):
    campaign = CampaignFactory()
    with pytest.raises(SurveyError):
        invitation_create_for(campaign=campaign, user=csm)
    closed = CampaignFactory(status=CampaignStatus.CLOSED)
    with pytest.raises(SurveyError):
        invitation_create_for(campaign=closed, user=alice)
    survey_opt_out(user=alice)
    with pytest.raises(SurveyError, match="opted out"):
        invitation_create_for(campaign=campaign, user=alice)
    assert not Invitation.objects.exists()


# --- the report ----------------------------------------------------------------------------------


def _links(n, *, csm, stage="won"):
    """n detractors at different accounts, each linked to a shipped idea and at `stage`."""
    now = timezone.now()
    links = []
    for i in range(n):
        account = AccountFactory()
        person = UserFactory(account=account, full_name=f"Person {i}")
        idea = IdeaFactory(title=f"Idea {i}", status=IdeaStatus.SHIPPED)
        links.append(
            FeedbackLink.objects.create(
                account=account,
                person=person,
                idea_id=idea.pk,
                comment=f'=HYPERLINK("http://evil") {i}',
                score=2,
                linked_by=csm,
                told_at=now if stage != "linked" else None,
                resurveyed_at=now if stage in ("asked", "won", "lost") else None,
                new_score={"won": 9, "lost": 4}.get(stage),
            )
        )
    return links


@pytest.mark.django_db
def test_the_report_says_too_few_to_tell_under_five_answers(client_of, csm):
    _links(2, csm=csm, stage="won")
    _links(1, csm=csm, stage="linked")
    response = client_of(csm).get(reverse("loop_report"))
    summary = response.context["summary"]
    assert (
        summary["linked"],
        summary["told"],
        summary["resurveyed"],
        summary["answered"],
        summary["won_back"],
    ) == (
        3,
        2,
        2,
        2,
        2,
    )
    html = response.content.decode()
    assert "too few to tell (n = 2, under 5)" in html
    assert "Won back" in html and "Person 0" in html


@pytest.mark.django_db
def test_the_report_gives_the_won_back_share_from_five_answers(client_of, csm):
    _links(3, csm=csm, stage="won")
    _links(2, csm=csm, stage="lost")
    response = client_of(csm).get(reverse("loop_report"))
    assert response.context["summary"]["won_back_rate"] == 60
    assert "60% of 5 who answered" in response.content.decode()


@pytest.mark.django_db
def test_an_empty_report_explains_the_loop(client_of, csm):
    assert "No feedback linked yet" in client_of(csm).get(reverse("loop_report")).content.decode()


@pytest.mark.django_db
def test_the_report_exports_a_formula_safe_csv(client_of, csm):
    _links(2, csm=csm, stage="won")
    response = client_of(csm).get(reverse("loop_report"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["linked_on", "person", "email", "account"]
    assert len(rows) == 3
    comment = rows[1][-1]
    assert comment.startswith("'=HYPERLINK")
    assert rows[1][7] == "Won back" and rows[1][8:10] == ["2", "9"]


@pytest.mark.django_db
def test_the_report_takes_the_same_queries_for_1_or_30_links(client_of, csm, django_assert_num_queries):
    client = client_of(csm)
    _links(1, csm=csm)
    client.get(reverse("loop_report"))
    # session, user, summary, page count, links, ideas
    with django_assert_num_queries(6):
        client.get(reverse("loop_report"))
    _links(29, csm=csm)
    with django_assert_num_queries(6):
        client.get(reverse("loop_report"))
