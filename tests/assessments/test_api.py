"""The assessments REST API: scoped reads, writes through services, 400 {"detail"} for refusals,
404 for someone else's attempt, and no correctness in anything an open attempt shows."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments import services
from apps.assessments.models import (
    Answer,
    Attempt,
    Award,
    Certification,
    IncentivePreference,
    PointEntry,
    PointRule,
)
from apps.interactions.models import Interaction
from tests.assessments.test_views import (
    answer_all_right,
    make_assessment,
    make_path,
    make_question,
    make_quiz,
    make_skills,
    option,
    questions_of,
    record_result,
)


@pytest.fixture
def skills(db):
    return make_skills()


@pytest.fixture
def quiz(skills):
    return make_quiz(skills)


def put_answer(client, attempt_id, question_id, body):
    return client.put(
        reverse("api-attempt-answer", args=[attempt_id, question_id]),
        data=json.dumps(body),
        content_type="application/json",
    )


def test_list_is_scoped_with_my_record(client_of, alice, content, quiz):
    make_assessment("Secret draft", status="draft")
    services.attempt_submit(attempt=services.attempt_start(user=alice, assessment=quiz), user=alice)
    data = client_of(alice).get(reverse("api-assessment-list")).json()
    assert [a["slug"] for a in data] == ["dashboard-check"]
    assert data[0]["question_count"] == 4 and data[0]["my_attempts"] == 1 and data[0]["passed"] is False
    assert len(client_of(content).get(reverse("api-assessment-list")).json()) == 2


def test_start_resume_answer_submit(client_of, alice, quiz):
    client = client_of(alice)
    started = client.post(reverse("api-attempt-start", args=[quiz.slug]))
    assert started.status_code == 201
    body = started.json()
    assert body["status"] == "in_progress" and len(body["question_order"]) == 4
    assert [q["id"] for q in body["questions"]] == body["question_order"]
    assert "correct" not in started.content.decode().lower() and "1234.5" not in started.content.decode()
    assert set(body["questions"][0]) == {
        "id", "number", "question_kind", "text", "points", "options", "selected", "numeric"
    }  # fmt: skip
    assert client.post(reverse("api-attempt-start", args=[quiz.slug])).status_code == 200  # resumed

    attempt_id = body["id"]
    q = questions_of(quiz)
    saved = put_answer(
        client, attempt_id, q["single"].pk, {"options": [option(q["single"], "Line chart").pk]}
    )
    assert saved.status_code == 200 and saved.json()["options"] == [option(q["single"], "Line chart").pk]
    numeric = put_answer(client, attempt_id, q["numeric"].pk, {"numeric": "1234.5"})
    assert Decimal(numeric.json()["numeric"]) == Decimal("1234.5")
    detail = client.get(reverse("api-attempt-detail", args=[attempt_id])).json()
    by_id = {item["id"]: item for item in detail["questions"]}
    assert by_id[q["single"].pk]["selected"] == [option(q["single"], "Line chart").pk]
    assert by_id[q["numeric"].pk]["numeric"] == "1234.5" and detail["result"] is None

    result = client.post(reverse("api-attempt-submit", args=[attempt_id]))
    assert result.status_code == 200
    graded = result.json()
    assert graded["status"] == "submitted" and graded["questions"] == []
    assert Decimal(graded["result"]["score"]) == Decimal("50.00") and graded["result"]["passed"] is False
    assert {s["name"]: s["level"] for s in graded["result"]["skills"]} == {
        "Dashboards": "expert",
        "Sharing": "novice",
    }


def test_weak_skill_lists_the_paths_that_teach_it(client_of, alice, quiz, skills):
    path = make_path("Sharing made simple", skills=[skills["sharing"]])
    attempt = services.attempt_start(user=alice, assessment=quiz)
    graded = client_of(alice).post(reverse("api-attempt-submit", args=[attempt.pk])).json()
    sharing = next(s for s in graded["result"]["skills"] if s["name"] == "Sharing")
    assert sharing["weak"] is True and sharing["paths"][0]["url"] == path.get_absolute_url()


def test_double_submit_is_400_and_graded_once(client_of, alice, quiz):
    attempt = services.attempt_start(user=alice, assessment=quiz)
    client = client_of(alice)
    assert client.post(reverse("api-attempt-submit", args=[attempt.pk])).status_code == 200
    again = client.post(reverse("api-attempt-submit", args=[attempt.pk]))
    assert again.status_code == 400 and again.json() == {
        "detail": "This attempt was already submitted and graded."
    }
    assert Interaction.objects.filter(kind="assessment.submitted", user=alice).count() == 1


def test_tampered_answers_are_400_and_nothing_saved(client_of, alice, quiz):
    attempt = services.attempt_start(user=alice, assessment=quiz)
    q = questions_of(quiz)
    stranger = make_question("Not in this attempt", options=[("Yes", True)])
    client = client_of(alice)
    cases = [
        (stranger.pk, {"options": [option(stranger, "Yes").pk]}, "not part of this attempt"),
        (q["single"].pk, {"options": [option(stranger, "Yes").pk]}, "Choose one of the options shown"),
        (
            q["single"].pk,
            {"options": [option(q["single"], "Line chart").pk, option(q["single"], "Pie chart").pk]},
            "Choose only one option",
        ),
        (q["numeric"].pk, {"numeric": "twelve"}, "Enter a number"),
    ]
    for question_id, body, message in cases:
        response = put_answer(client, attempt.pk, question_id, body)
        assert response.status_code == 400 and message in response.json()["detail"], body
    bad_shape = put_answer(client, attempt.pk, q["single"].pk, {"options": ["x"]})
    assert bad_shape.status_code == 400 and "options" in bad_shape.json()
    assert put_answer(client, attempt.pk, q["single"].pk, {}).status_code == 400
    assert not Answer.objects.exists()


def test_answer_after_the_deadline_is_refused(client_of, alice, quiz):
    quiz.time_limit_minutes = 5
    quiz.save()
    attempt = services.attempt_start(user=alice, assessment=quiz)
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
    q = questions_of(quiz)["single"]
    response = put_answer(client_of(alice), attempt.pk, q.pk, {"options": [option(q, "Line chart").pk]})
    assert response.status_code == 400 and "Time is up" in response.json()["detail"]
    assert not Answer.objects.exists()


def test_start_refused_is_400(client_of, alice, quiz):
    quiz.attempt_limit = 1
    quiz.save()
    services.attempt_submit(attempt=services.attempt_start(user=alice, assessment=quiz), user=alice)
    response = client_of(alice).post(reverse("api-attempt-start", args=[quiz.slug]))
    assert response.status_code == 400 and "used all 1 attempts" in response.json()["detail"]


def test_it_checks_ownership(client_of, alice, bob, quiz):
    attempt = services.attempt_start(user=alice, assessment=quiz)
    q = questions_of(quiz)["single"]
    client = client_of(bob)
    assert client.get(reverse("api-attempt-detail", args=[attempt.pk])).status_code == 404
    assert put_answer(client, attempt.pk, q.pk, {"options": [option(q, "Line chart").pk]}).status_code == 404
    assert client.post(reverse("api-attempt-submit", args=[attempt.pk])).status_code == 404
    attempt.refresh_from_db()
    assert attempt.is_open and not attempt.answers.exists()


def test_draft_assessment_is_404(client_of, alice):
    draft = make_assessment("Secret draft", status="draft")
    assert client_of(alice).post(reverse("api-attempt-start", args=[draft.slug])).status_code == 404


def test_anonymous_is_refused(client, db):
    assert client.get(reverse("api-assessment-list")).status_code == 403


def test_my_proficiency(client_of, alice, bob, skills):
    record_result(alice, skills["dashboards"], 65)
    record_result(bob, skills["sharing"], 95)
    data = client_of(alice).get(reverse("api-proficiency")).json()
    assert [(p["skill"], p["level"], p["score"]) for p in data] == [("dashboards", "practitioner", "65.00")]


def test_my_certifications_with_verification_url(client_of, alice, quiz):
    certification = Certification.objects.create(
        title="Dashboard pro", slug="dashboard-pro", description="-", criteria="-", status="published"
    )
    certification.required_assessments.add(quiz)
    client = client_of(alice)
    before = client.get(reverse("api-certification-list")).json()
    assert before[0]["award"] is None and (before[0]["done"], before[0]["total"]) == (0, 1)
    attempt = services.attempt_start(user=alice, assessment=quiz)
    answer_all_right(attempt, alice)
    services.attempt_submit(attempt=attempt, user=alice)
    award = Award.objects.get(user=alice)
    data = client.get(reverse("api-certification-list")).json()[0]
    assert data["award"]["status"] == "valid" and data["award"]["code"] == award.code
    assert data["award"]["verification_url"].endswith(f"/verify/{award.code}/")
    assert data["award"]["verification_url"].startswith("http://testserver/")
    assert data["assessments"] == [{"slug": quiz.slug, "title": quiz.title, "done": True}]


def test_leaderboard_scopes(client_of, alice, carol, bob, csm):
    rule = PointRule.objects.create(kind="learning.path_completed", points=10, description="-")
    for user, points in ((alice, 30), (carol, 10), (bob, 50)):
        PointEntry.objects.create(user=user, account=user.account, rule=rule, points=points)
    IncentivePreference.objects.create(user=bob, global_leaderboard=True)
    client = client_of(alice)
    mine = client.get(reverse("api-leaderboard")).json()
    assert mine["scope"] == "account" and mine["my_points"] == 30 and mine["opted_in"] is False
    assert [(e["name"], e["is_me"]) for e in mine["entries"]] == [
        ("Alice Archer", True),
        ("Carol Chen", False),
    ]
    everyone = client.get(reverse("api-leaderboard"), {"scope": "global"}).json()
    assert [e["name"] for e in everyone["entries"]] == ["Bob Baker"]
    assert client.get(reverse("api-leaderboard"), {"scope": "galaxy"}).status_code == 400
    staff = client_of(csm)
    assert staff.get(reverse("api-leaderboard")).json()["scope"] == "global"
    assert staff.get(reverse("api-leaderboard"), {"scope": "account"}).status_code == 400
