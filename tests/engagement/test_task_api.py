"""The task API: a CS manager's tasks (their open ones by default), and completing one by logging
the interaction. CS managers only; bad input is a 400 with field errors; a closed task a 409."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.engagement.models import Priority, Task, TaskStatus
from apps.interactions.models import Interaction
from tests.engagement.test_tasks import TaskFactory
from tests.factories import AccountFactory, UserFactory

LIST = reverse("api-task-list")


def complete_url(task):
    return reverse("api-task-complete", args=[task.pk])


@pytest.fixture
def api():
    def signed_in(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return signed_in


@pytest.fixture
def other_csm(db):
    return UserFactory(email="other@vendor.example", full_name="Olga Other", cs_manager=True)


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", [None, "alice", "carol", "content"])
def test_only_cs_managers_use_the_task_api(api, request, who, csm):
    task = TaskFactory(assignee=csm)
    client = api(request.getfixturevalue(who) if who else None)
    assert client.get(LIST).status_code in (401, 403)
    response = client.post(complete_url(task), {"channel": "call", "outcome": "neutral"}, format="json")
    assert response.status_code in (401, 403)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- the list ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_is_my_open_tasks_by_default(api, csm, other_csm):
    today = timezone.localdate()
    account = AccountFactory(name="Globex")
    soon = TaskFactory(account=account, assignee=csm, due_on=today + timedelta(days=1))
    late = TaskFactory(
        account=account, assignee=csm, due_on=today - timedelta(days=2), priority=Priority.HIGH
    )
    TaskFactory(assignee=other_csm)
    TaskFactory(assignee=csm, status=TaskStatus.DONE)
    response = api(csm).get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [late.pk, soon.pk]
    first = body["results"][0]
    assert first["overdue"] is True and first["priority"] == "high" and first["status"] == "open"
    assert first["account"] == {"id": account.pk, "name": "Globex"}
    assert first["assignee"]["email"] == csm.email
    assert first["url"] == reverse("task_detail", args=[late.pk])
    assert first["trigger"] == {"text": "", "url": ""}


@pytest.mark.django_db
def test_the_list_filters(api, csm, other_csm):
    globex, umbrella = AccountFactory(), AccountFactory()
    mine = TaskFactory(account=globex, assignee=csm)
    theirs = TaskFactory(account=umbrella, assignee=other_csm)
    nobody = TaskFactory(account=umbrella, assignee=None)
    done = TaskFactory(account=globex, assignee=csm, status=TaskStatus.DONE, completed_at=timezone.now())
    client = api(csm)

    def ids(**params):
        return {row["id"] for row in client.get(LIST, params).json()["results"]}

    assert ids(assignee="all") == {mine.pk, theirs.pk, nobody.pk}
    assert ids(assignee="unassigned") == {nobody.pk}
    assert ids(status="done") == {done.pk}
    assert ids(assignee="all", account=umbrella.pk) == {theirs.pk, nobody.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "lost"}, "status"), ({"assignee": "bob"}, "assignee"), ({"account": "x"}, "account")],
)
def test_bad_list_filters_are_400s(api, csm, params, field):
    response = api(csm).get(LIST, params)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.django_db
def test_the_list_is_paginated_with_a_fixed_number_of_queries(api, csm, django_assert_num_queries):
    client = api(csm)
    TaskFactory(assignee=csm)
    # count, rows (user from force_authenticate)
    with django_assert_num_queries(2):
        assert client.get(LIST).status_code == 200
    for _ in range(59):
        TaskFactory(assignee=csm, account=AccountFactory(), completed_by=UserFactory(cs_manager=True))
    with django_assert_num_queries(2):
        body = client.get(LIST).json()
    assert body["count"] == 60 and len(body["results"]) == 50 and body["next"]


# --- completing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completing_a_task_logs_the_interaction(api, csm, other_csm):
    task = TaskFactory(assignee=other_csm, title="QBR")
    occurred = timezone.now() - timedelta(hours=2)
    response = api(csm).post(
        complete_url(task),
        {
            "channel": "qbr",
            "outcome": "positive",
            "notes": "Agreed targets",
            "occurred_at": occurred.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["channel"] == "qbr" and body["notes"] == "Agreed targets"
    assert body["completed_by"]["email"] == csm.email
    interaction = Interaction.objects.get(kind="engagement.qbr")
    assert abs((interaction.occurred_at - occurred).total_seconds()) < 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "neutral"}, "channel"),
        ({"channel": "fax", "outcome": "neutral"}, "channel"),
        ({"channel": "call"}, "outcome"),
        ({"channel": "call", "outcome": "great"}, "outcome"),
        ({"channel": "call", "outcome": "neutral", "notes": "x" * 5001}, "notes"),
        ({"channel": "call", "outcome": "neutral", "occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
        ({"channel": "call", "outcome": "neutral", "occurred_at": "soon"}, "occurred_at"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(api, csm, data, field):
    task = TaskFactory(assignee=csm)
    response = api(csm).post(complete_url(task), data, format="json")
    assert response.status_code == 400 and field in response.json()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not Interaction.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.CANCELLED])
def test_a_closed_task_is_a_409(api, csm, status):
    task = TaskFactory(assignee=csm, status=status)
    response = api(csm).post(complete_url(task), {"channel": "call", "outcome": "neutral"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "This task is already closed."}
    assert Task.objects.get(pk=task.pk).status == status


@pytest.mark.django_db
def test_an_unknown_task_is_a_404(api, csm):
    response = api(csm).post(
        reverse("api-task-complete", args=[999]), {"channel": "call", "outcome": "neutral"}, format="json"
    )
    assert response.status_code == 404
