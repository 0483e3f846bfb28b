"""The CS manager's task pages: the inbox (filters, counts, grouping, paging), a new task, one
task with what triggered it, completing it by logging the interaction, cancelling it, and the
detractor link. CS managers only; every page is pinned to a fixed number of queries."""

from datetime import timedelta

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AccountStatus, TouchModel
from apps.engagement import services, triggers
from apps.engagement.models import (
    Channel,
    EventKind,
    MomentOccurrence,
    OccurrenceStatus,
    Outcome,
    Priority,
    Task,
    TaskStatus,
    TriggerType,
)
from apps.interactions.models import Interaction
from apps.surveys.services import response_submit
from tests.engagement.factories import EngagementModelFactory, MomentFactory
from tests.factories import AccountFactory, UserFactory
from tests.surveys.factories import CampaignFactory, InvitationFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Task {n}")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=3))


def detractor_setup(*, account):
    """Make `account` follow a model whose detractor moment creates a task (action auto)."""
    model = EngagementModelFactory()
    services.model_assign(account=account, model=model)
    return MomentFactory(
        model=model, name="Detractor call", trigger=TriggerType.EVENT, event=EventKind.DETRACTOR
    )


def detractor_answers(*, person, score=3, comment="The reports are far too slow."):
    """`person` answers an NPS survey; the event moments run as they would after the commit.
    Returns the task created for the answer (or None)."""
    invitation = InvitationFactory(campaign=CampaignFactory(name="Spring NPS"), user=person)
    response_submit(invitation=invitation, score=score, comment=comment)
    interaction = Interaction.objects.filter(kind="survey.response_submitted", user=person).latest("pk")
    triggers.evaluate_interactions(since=timezone.now(), interaction_ids=[interaction.pk])
    return Task.objects.filter(occurrence__key=triggers.event_key(interaction)).first()


@pytest.fixture
def other_csm(db):
    return UserFactory(email="other@vendor.example", full_name="Olga Other", cs_manager=True)


@pytest.fixture
def high_account(csm):
    return AccountFactory(name="Initech", touch_model=TouchModel.HIGH, cs_manager=csm)


@pytest.fixture
def detractor_task(high_account):
    detractor_setup(account=high_account)
    person = UserFactory(account=high_account, full_name="Dee Tractor", email="dee@initech.example")
    return detractor_answers(person=person)


def today():
    return timezone.localdate()


# --- permissions ---------------------------------------------------------------------------------


def _urls(task):
    return [
        reverse("task_inbox"),
        reverse("task_new"),
        reverse("task_detail", args=[task.pk]),
    ]


@pytest.mark.django_db
def test_anonymous_people_are_sent_to_sign_in(client, csm):
    task = TaskFactory(assignee=csm)
    for url in [*_urls(task), reverse("detractor_task_redirect", args=[1])]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "carol", "content"])
def test_only_cs_managers_see_task_pages(client_of, request, who, csm):
    task = TaskFactory(assignee=csm)
    client = client_of(request.getfixturevalue(who))
    for url in [*_urls(task), reverse("detractor_task_redirect", args=[1])]:
        assert client.get(url).status_code == 403, url
        assert client.get(url, **HTMX).status_code == 403, url


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["alice", "carol", "content"])
def test_only_cs_managers_complete_or_cancel_tasks(client_of, request, who, csm):
    task = TaskFactory(assignee=csm)
    client = client_of(request.getfixturevalue(who))
    data = {
        "channel": "call",
        "outcome": "positive",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    assert client.post(reverse("task_complete", args=[task.pk]), data).status_code == 403
    assert client.post(reverse("task_cancel", args=[task.pk])).status_code == 403
    assert client.post(reverse("task_new"), {"account": task.account_id, "title": "x"}).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert Task.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_task_is_a_404(client_of, csm):
    client = client_of(csm)
    assert client.get(reverse("task_detail", args=[999])).status_code == 404
    assert client.post(reverse("task_complete", args=[999]), {"channel": "call"}).status_code == 404
    assert client.post(reverse("task_cancel", args=[999])).status_code == 404


# --- the inbox -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_inbox_shows_my_open_tasks_by_due_date_then_priority(client_of, csm, other_csm):
    account = AccountFactory(name="Globex")
    later = TaskFactory(account=account, assignee=csm, title="Later one", due_on=today() + timedelta(days=20))
    normal = TaskFactory(account=account, assignee=csm, title="Normal today", due_on=today())
    high = TaskFactory(
        account=account, assignee=csm, title="High today", due_on=today(), priority=Priority.HIGH
    )
    late = TaskFactory(account=account, assignee=csm, title="Late one", due_on=today() - timedelta(days=3))
    TaskFactory(account=account, assignee=other_csm, title="Not mine")
    TaskFactory(account=account, assignee=csm, title="Already done", status=TaskStatus.DONE)

    response = client_of(csm).get(reverse("task_inbox"))
    assert response.status_code == 200
    assert [t.pk for t in response.context["tasks"]] == [late.pk, high.pk, normal.pk, later.pk]
    html = response.content.decode()
    assert "Not mine" not in html and "Already done" not in html
    assert "3 days overdue" in html and "task-due--late" in html
    assert reverse("account_engagement", args=[account.pk]) in html
    counts = {b["key"]: b["n"] for b in response.context["buckets"]}
    assert counts == {"overdue": 1, "today": 2, "week": 0, "later": 1}


@pytest.mark.django_db
def test_the_inbox_says_what_triggered_each_task(client_of, csm, detractor_task):
    html = client_of(csm).get(reverse("task_inbox")).content.decode()
    assert "Dee Tractor answered 3 to the NPS survey" in html
    assert '<span class="badge badge--red">High</span>' in html


@pytest.mark.django_db
def test_the_inbox_filters(client_of, csm, other_csm):
    globex = AccountFactory(name="Globex")
    umbrella = AccountFactory(name="Umbrella")
    mine = TaskFactory(account=globex, assignee=csm, title="Mine", due_on=today() + timedelta(days=20))
    theirs = TaskFactory(account=umbrella, assignee=other_csm, title="Theirs", priority=Priority.HIGH)
    nobody = TaskFactory(account=umbrella, assignee=None, title="Nobody's")
    done = TaskFactory(
        account=globex, assignee=csm, title="Done", status=TaskStatus.DONE, completed_at=timezone.now()
    )
    week = TaskFactory(account=globex, assignee=csm, title="This week", due_on=today() + timedelta(days=6))
    client = client_of(csm)

    def pks(**params):
        return {t.pk for t in client.get(reverse("task_inbox"), params).context["tasks"]}

    assert pks() == {mine.pk, week.pk}
    assert pks(who="all") == {mine.pk, theirs.pk, nobody.pk, week.pk}
    assert pks(who="unassigned") == {nobody.pk}
    assert pks(status="done") == {done.pk}
    assert pks(who="all", q="umbr") == {theirs.pk, nobody.pk}
    assert pks(who="all", priority="high") == {theirs.pk}
    assert pks(due="week") == {week.pk}
    assert pks(due="today") == set()
    # A bad value is ignored, not an error.
    response = client.get(reverse("task_inbox"), {"who": "everyone", "status": "lost", "priority": "x"})
    assert response.status_code == 200 and {t.pk for t in response.context["tasks"]} == {mine.pk, week.pk}
    # Everyone's tasks show whose they are.
    assert "Olga Other" in client.get(reverse("task_inbox"), {"who": "all"}).content.decode()


@pytest.mark.django_db
def test_the_inbox_groups_by_account(client_of, csm):
    b = AccountFactory(name="Bravo")
    a = AccountFactory(name="Alpha")
    TaskFactory(account=b, assignee=csm, due_on=today())
    TaskFactory(account=a, assignee=csm, due_on=today() + timedelta(days=2))
    response = client_of(csm).get(reverse("task_inbox"), {"group": "account"})
    assert [t.account.name for t in response.context["tasks"]] == ["Alpha", "Bravo"]
    assert response.content.decode().count("task-table__group") == 2


@pytest.mark.django_db
def test_an_empty_inbox_says_so(client_of, csm):
    html = client_of(csm).get(reverse("task_inbox")).content.decode()
    assert "No open tasks — nice." in html


@pytest.mark.django_db
def test_the_inbox_filters_with_htmx_return_only_the_results(client_of, csm):
    TaskFactory(assignee=csm, title="Call them")
    client = client_of(csm)
    whole = client.get(reverse("task_inbox"))
    assert b"<html" in whole.content and b'id="task-results"' in whole.content
    part = client.get(reverse("task_inbox"), {"due": "week"}, **HTMX)
    assert part.status_code == 200
    assert b"<html" not in part.content and b'id="task-results"' in part.content
    assert b'hx-swap-oob="true"' in part.content  # the due filter follows a clicked count
    assert b"Call them" in part.content
    assert part["Vary"] and "HX-Request" in part["Vary"]


@pytest.mark.django_db
def test_the_inbox_pages_by_25(client_of, csm):
    account = AccountFactory()
    TaskFactory.create_batch(30, account=account, assignee=csm)
    client = client_of(csm)
    first = client.get(reverse("task_inbox"))
    assert len(first.context["tasks"]) == 25 and "Page 1 of 2" in first.content.decode()
    second = client.get(reverse("task_inbox"), {"page": 2})
    assert len(second.context["tasks"]) == 5
    assert client.get(reverse("task_inbox"), {"page": "x"}).status_code == 200


@pytest.mark.django_db
def test_the_inbox_takes_the_same_queries_for_1_or_40_tasks(client_of, csm, django_assert_num_queries):
    client = client_of(csm)
    TaskFactory(assignee=csm)
    client.get(reverse("task_inbox"))  # warm the session
    # session, user, counts, page count, rows
    with django_assert_num_queries(5):
        client.get(reverse("task_inbox"))
    for _ in range(39):
        TaskFactory(assignee=csm, account=AccountFactory())  # a different account each
    with django_assert_num_queries(5):
        client.get(reverse("task_inbox"), {"group": "account"})
    with django_assert_num_queries(5):
        client.get(reverse("task_inbox"), {"who": "all"}, **HTMX)


# --- a new task ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cs_manager_adds_a_task(client_of, csm):
    account = AccountFactory(name="Globex")
    client = client_of(csm)
    form = client.get(reverse("task_new"), {"account": account.pk})
    assert form.context["form"]["account"].value() == account.pk
    response = client.post(
        reverse("task_new"),
        {
            "account": account.pk,
            "title": "  Renewal prep  ",
            "objective": "Agree the plan",
            "due_on": (today() + timedelta(days=5)).isoformat(),
            "priority": "high",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("task_detail", args=[task.pk])
    assert (task.title, task.assignee, task.priority, task.account) == ("Renewal prep", csm, "high", account)


@pytest.mark.django_db
def test_a_bad_new_task_is_refused_with_clear_errors(client_of, csm):
    gone = AccountFactory(status=AccountStatus.CHURNED)
    client = client_of(csm)
    response = client.post(reverse("task_new"), {"account": gone.pk, "title": "   ", "due_on": "tomorrow"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Choose an active account from the list." in errors["account"]
    assert "title" in errors and "due_on" in errors
    assert not Task.objects.exists()
    assert gone.name not in client.get(reverse("task_new")).content.decode()


# --- one task ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_detractor_task_shows_the_person_their_score_and_comment(client_of, csm, detractor_task):
    response = client_of(csm).get(reverse("task_detail", args=[detractor_task.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dee Tractor" in html and "dee@initech.example" in html
    assert '<span class="task-answer__value">3</span>' in html
    assert "The reports are far too slow." in html and "Spring NPS" in html
    assert "Log the interaction" in html
    assert reverse("account_engagement", args=[detractor_task.account_id]) in html


@pytest.mark.django_db
def test_a_task_shows_the_accounts_last_five_one_to_ones(client_of, csm):
    account = AccountFactory()
    task = TaskFactory(account=account, assignee=csm)
    now = timezone.now()
    for n in range(7):
        TaskFactory(
            account=account,
            title=f"Done {n}",
            status=TaskStatus.DONE,
            channel=Channel.MEETING,
            completed_at=now - timedelta(days=n),
            completed_by=csm,
        )
    TaskFactory(title="Other account's", status=TaskStatus.DONE, completed_at=now)
    response = client_of(csm).get(reverse("task_detail", args=[task.pk]))
    assert [t.title for t in response.context["history"]] == [f"Done {n}" for n in range(5)]
    assert "Other account's" not in response.content.decode()


@pytest.mark.django_db
def test_the_task_page_takes_a_fixed_number_of_queries(
    client_of, csm, detractor_task, django_assert_num_queries
):
    client = client_of(csm)
    client.get(reverse("task_detail", args=[detractor_task.pk]))
    # session, user, task, interaction, response, history, feedback links
    with django_assert_num_queries(7):
        client.get(reverse("task_detail", args=[detractor_task.pk]))
    for _n in range(8):
        TaskFactory(
            account=detractor_task.account,
            status=TaskStatus.DONE,
            completed_at=timezone.now(),
            completed_by=csm,
        )
    with django_assert_num_queries(7):
        client.get(reverse("task_detail", args=[detractor_task.pk]))
    plain = TaskFactory(assignee=csm)
    # session, user, task, history
    with django_assert_num_queries(4):
        client.get(reverse("task_detail", args=[plain.pk]))


# --- completing and cancelling -------------------------------------------------------------------


def _log(**overrides):
    data = {
        "channel": "call",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "notes": "Walked through the slow reports; a fix ships next month.",
        "outcome": "positive",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_logging_a_call_closes_a_colleagues_task_as_done_by_me(client_of, csm, other_csm, detractor_task):
    detractor_task.assignee = other_csm
    detractor_task.save()
    client = client_of(csm)
    response = client.post(reverse("task_complete", args=[detractor_task.pk]), _log(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("task_inbox")
    assert "Your call is logged." in response.content.decode()
    detractor_task.refresh_from_db()
    assert detractor_task.status == TaskStatus.DONE and detractor_task.completed_by == csm
    assert detractor_task.channel == Channel.CALL and detractor_task.outcome == Outcome.POSITIVE
    assert detractor_task.occurrence.status == OccurrenceStatus.DONE
    call = Interaction.objects.get(kind="engagement.call")
    assert call.user == detractor_task.contact and call.account == detractor_task.account
    # Closed tasks show how they were done.
    html = client.get(reverse("task_detail", args=[detractor_task.pk])).content.decode()
    assert (
        "How it was done" in html and "a fix ships next month" in html and "Log the interaction" not in html
    )
    assert "Cas Manager" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"channel": ""}, "channel", "Choose how you engaged: call, meeting, QBR or e-mail."),
        ({"channel": "fax"}, "channel", None),
        ({"outcome": ""}, "outcome", "Choose an outcome."),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "The interaction cannot be in the future."),
        ({"occurred_at": "yesterday"}, "occurred_at", None),
        ({"notes": "x" * 5001}, "notes", None),
    ],
)
def test_a_bad_log_is_refused_and_the_task_stays_open(client_of, csm, data, field, message):
    task = TaskFactory(assignee=csm)
    response = client_of(csm).post(reverse("task_complete", args=[task.pk]), {**_log(), **data})
    assert response.status_code == 400
    errors = response.context["complete_form"].errors
    assert field in errors
    if message:
        assert message in errors[field]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not Interaction.objects.filter(kind__startswith="engagement.").exists()


@pytest.mark.django_db
def test_completing_a_closed_task_says_so(client_of, csm):
    task = TaskFactory(assignee=csm, status=TaskStatus.CANCELLED)
    response = client_of(csm).post(reverse("task_complete", args=[task.pk]), _log(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("task_detail", args=[task.pk])
    assert "This task is already closed." in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


@pytest.mark.django_db
def test_a_completed_milestone_task_reaches_its_milestone(client_of, csm):
    account = AccountFactory(cs_manager=csm)
    moment = MomentFactory(name="Kick-off", trigger=TriggerType.CONTRACT, milestone="kickoff")
    occurrence, _ = services.occurrence_create(
        moment=moment, account=account, key="contract", trigger=services.Trigger(text="Kick-off week")
    )
    task = occurrence.task
    client_of(csm).post(reverse("task_complete", args=[task.pk]), _log(channel="meeting"))
    assert account.milestones.filter(milestone="kickoff").exists()


@pytest.mark.django_db
def test_cancelling_a_task(client_of, csm):
    task = TaskFactory(assignee=csm, title="Not needed")
    client = client_of(csm)
    response = client.post(reverse("task_cancel", args=[task.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("task_inbox")
    assert "Cancelled: “Not needed”." in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    again = client.post(reverse("task_cancel", args=[task.pk]), follow=True)
    assert "This task is already closed." in again.content.decode()
    assert client.get(reverse("task_cancel", args=[task.pk])).status_code == 405


@pytest.mark.django_db
def test_the_cancel_button_asks_first(client_of, csm):
    task = TaskFactory(assignee=csm)
    html = client_of(csm).get(reverse("task_detail", args=[task.pk])).content.decode()
    assert f'action="{reverse("task_cancel", args=[task.pk])}" data-confirm=' in html


# --- the detractor link --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_detractor_link_leads_to_its_task(client_of, csm, detractor_task):
    interaction_id = detractor_task.trigger["interaction_id"]
    response = client_of(csm).get(reverse("detractor_task_redirect", args=[interaction_id]))
    assert response.status_code == 302
    assert response["Location"] == reverse("task_detail", args=[detractor_task.pk])


@pytest.mark.django_db
def test_a_detractor_link_without_a_task_is_a_404(client_of, csm):
    low = AccountFactory(touch_model=TouchModel.LOW)
    detractor_setup(account=low)
    assert detractor_answers(person=UserFactory(account=low)) is None  # a message, not a task
    occurrence = MomentOccurrence.objects.get()
    interaction_id = occurrence.trigger["interaction_id"]
    client = client_of(csm)
    assert client.get(reverse("detractor_task_redirect", args=[interaction_id])).status_code == 404
    assert client.get(reverse("detractor_task_redirect", args=[987654])).status_code == 404
