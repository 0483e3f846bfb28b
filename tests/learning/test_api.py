"""The learning REST API: scoped reads, writes through services, clear 400s."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.learning import services
from tests.learning.test_views import make_content, make_path, make_session


def test_content_list_hides_drafts_from_learners(client_of, alice, content):
    make_content("Public")
    make_content("Draft", status="draft")
    titles = [c["title"] for c in client_of(alice).get(reverse("api-content-list")).json()["results"]]
    assert titles == ["Public"]
    assert client_of(alice).get(reverse("api-content-detail", args=["draft"])).status_code == 404


def test_content_admin_sees_drafts(client_of, content):
    make_content("Draft", status="draft")
    data = client_of(content).get(reverse("api-content-detail", args=["draft"])).json()
    assert data["status"] == "draft" and "body" in data


def test_path_detail_with_progress_and_enrol(client_of, alice):
    path = make_path("Foundations", [make_content("A"), make_content("B")])
    client = client_of(alice)
    assert client.get(reverse("api-path-detail", args=[path.slug])).json()["enrolled"] is False
    response = client.post(reverse("api-path-enrol", args=[path.slug]))
    assert response.status_code == 201 and response.json()["required_steps"] == 2
    again = client.post(reverse("api-path-enrol", args=[path.slug]))
    assert again.status_code == 400 and "already enrolled" in again.json()["detail"]
    step = path.steps.first()
    data = client.post(reverse("api-step-complete", args=[step.pk])).json()
    assert data["percent"] == 50 and data["steps"][0]["done"] is True
    enrolments = client.get(reverse("api-enrolment-list")).json()["results"]
    assert enrolments[0]["steps_done"] == 1


def test_enrolment_counts_required_steps_only(client_of, alice):
    from apps.learning.models import PathStep

    first, extra = make_content("A"), make_content("Extra")
    path = make_path("Foundations", [first, make_content("B")])
    PathStep.objects.create(path=path, position=2, content=extra, required=False)
    services.content_complete(user=alice, content=extra)  # done before enrolling: counts at once
    client = client_of(alice)
    enrolled = client.post(reverse("api-path-enrol", args=[path.slug])).json()
    assert (enrolled["steps_done"], enrolled["required_steps"]) == (0, 2)
    services.content_complete(user=alice, content=first)
    listed = client.get(reverse("api-enrolment-list")).json()["results"][0]
    assert (listed["steps_done"], listed["required_steps"]) == (1, 2)


def test_step_complete_without_enrolment_is_400(client_of, alice):
    path = make_path("Foundations", [make_content("A")])
    response = client_of(alice).post(reverse("api-step-complete", args=[path.steps.get().pk]))
    assert response.status_code == 400 and "Enrol in this path" in response.json()["detail"]


def test_step_of_a_draft_path_is_404(client_of, alice):
    path = make_path("Hidden", [make_content("A")], status="draft")
    assert client_of(alice).post(reverse("api-step-complete", args=[path.steps.get().pk])).status_code == 404


def test_session_registration_and_cancel(client_of, alice, bob):
    session = make_session(capacity=1)
    assert (
        client_of(alice).post(reverse("api-session-registration", args=[session.pk])).json()["status"]
        == "registered"
    )
    assert (
        client_of(bob).post(reverse("api-session-registration", args=[session.pk])).json()["status"]
        == "waitlisted"
    )
    response = client_of(alice).delete(reverse("api-session-registration", args=[session.pk]))
    assert response.json()["status"] == "cancelled"
    sessions = client_of(bob).get(reverse("api-session-list")).json()["results"]
    assert sessions[0]["seats_taken"] == 1 and sessions[0]["is_mine"] is True


def test_registration_for_past_session_is_400(client_of, alice):
    session = make_session(starts_in=-timedelta(hours=1))
    response = client_of(alice).post(reverse("api-session-registration", args=[session.pk]))
    assert response.status_code == 400


def test_recommendations_have_reasons(client_of, alice):
    first = make_path("Foundations", [make_content("A")])
    second = make_path("Advanced", [make_content("B")])
    second.prerequisites.add(first)
    services.path_enrol(user=alice, path=first)
    services.step_complete(user=alice, step=first.steps.get())
    data = client_of(alice).get(reverse("api-recommendation-list")).json()
    advanced = next(r for r in data if r["slug"] == "advanced")
    assert advanced["type"] == "path" and "Foundations" in advanced["reasons"][0]


def test_team_progress_is_customer_admin_only(client_of, carol, alice, bob):
    data = client_of(carol).get(reverse("api-team-progress")).json()
    emails = {m["email"] for m in data}
    assert alice.email in emails and bob.email not in emails


@pytest.mark.parametrize("who", ["alice", "sam", "content", "csm"])
def test_team_progress_refused_to_others(request, client_of, who):
    assert client_of(request.getfixturevalue(who)).get(reverse("api-team-progress")).status_code == 403


def test_anonymous_is_refused(client, db):
    assert client.get(reverse("api-content-list")).status_code == 403
