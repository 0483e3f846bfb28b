"""Concurrency through the front doors: requests that arrive at the same moment end exactly right.

Each test prepares signed-in HTTP clients, then fires their requests from real threads, each on
its own database connection, released together by a barrier, against committed data
(`transaction=True`). Votes, the last seat of a live session, certification awards, survey
answers and ingestion retries must come out exact: counts, rows, interactions and e-mails alike.
PostgreSQL only: SQLite serialises writers, so nothing could collide there (skipped on SQLite,
failed there with CAIRN_REQUIRE_SERVICES=1, as in CI).
"""

from __future__ import annotations

import threading
from collections import Counter
from functools import partial

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.assessments.models import Attempt, Award
from apps.community.models import Idea, IdeaFollow, Vote
from apps.interactions import services as interaction_services
from apps.interactions.models import Interaction
from apps.learning import services as learning_services
from apps.learning.models import Registration, RegistrationStatus
from apps.notifications.models import Notification
from apps.surveys.models import Response
from apps.surveys.tokens import invitation_token
from tests.assessments.factories import AssessmentFactory, CertificationFactory
from tests.community.factories import IdeaFactory
from tests.factories import AccountFactory, UserFactory
from tests.learning.factories import LiveSessionFactory
from tests.security.conftest import requires_postgresql
from tests.surveys.factories import InvitationFactory

pytestmark = [
    requires_postgresql("SQLite serialises writers, so nothing could collide there"),
    pytest.mark.django_db(transaction=True),
]

REGISTERED, WAITLISTED = RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED


def collide(calls, *, timeout: float = 60):
    """Run every call in its own thread, all released at once; return their results in order.
    Any exception in a thread fails the test (a 500 surfaces here, as the test client raises it)."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index, call):
        try:
            barrier.wait(timeout=timeout)
            results[index] = call()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call), daemon=True) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung (a lock never released?)"
    if errors:
        raise errors[0]
    return results


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def html_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def logged(kind: str, **filters) -> int:
    return Interaction.objects.filter(kind=kind, **filters).count()


# --- Votes ------------------------------------------------------------------------------------------


def test_one_person_voting_eight_times_at_once_counts_once():
    idea = IdeaFactory()
    voter = UserFactory()
    url = reverse("api-idea-vote", args=[idea.pk])
    clients = [api_as(voter) for _ in range(8)]

    responses = collide([lambda c=c: c.post(url) for c in clients])

    assert [r.status_code for r in responses] == [200] * 8
    # Every answer tells the same truth, whichever request really added the vote.
    assert {(r.json()["vote_count"], r.json()["has_voted"]) for r in responses} == {(1, True)}
    idea.refresh_from_db()
    assert idea.vote_count == Vote.objects.filter(idea=idea).count() == 1
    assert IdeaFollow.objects.filter(idea=idea, user=voter).count() == 1
    assert logged("community.vote_cast", user=voter) == 1


def test_a_person_voting_and_withdrawing_at_once_leaves_a_consistent_count():
    idea = IdeaFactory()
    voter = UserFactory()
    url = reverse("api-idea-vote", args=[idea.pk])
    calls = []
    for n in range(10):
        client = api_as(voter)
        calls.append((lambda c=client: c.post(url)) if n % 2 else (lambda c=client: c.delete(url)))

    responses = collide(calls)

    assert {r.status_code for r in responses} == {200}
    idea.refresh_from_db()
    votes = Vote.objects.filter(idea=idea).count()
    assert idea.vote_count == votes
    assert votes in (0, 1)
    # The log tells the same story as the count: every cast beyond the withdrawals is standing.
    assert logged("community.vote_cast", user=voter) - logged("community.vote_withdrawn", user=voter) == votes


def test_many_people_voting_and_withdrawing_at_once_keep_the_count_exact():
    idea = IdeaFactory(vote_count=0)
    url = reverse("api-idea-vote", args=[idea.pk])
    html_url = reverse("idea_vote", args=[idea.pk])
    newcomers = [UserFactory(account=AccountFactory()) for _ in range(10)]
    leavers = [UserFactory() for _ in range(4)]
    togglers = [UserFactory() for _ in range(4)]
    for person in leavers:
        api_as(person).post(url)
    idea.refresh_from_db()
    assert idea.vote_count == 4

    calls = [partial(api_as(p).post, url) for p in newcomers]
    calls += [partial(api_as(p).delete, url) for p in leavers]
    # The board's button (htmx) toggles: for these people it adds a vote.
    calls += [partial(html_as(p).post, html_url, headers={"HX-Request": "true"}) for p in togglers]
    responses = collide(calls)

    assert {r.status_code for r in responses} == {200}
    idea.refresh_from_db()
    voters = set(Vote.objects.filter(idea=idea).values_list("user_id", flat=True))
    assert voters == {p.pk for p in newcomers + togglers}
    assert idea.vote_count == len(voters) == 14
    assert logged("community.vote_cast") - logged("community.vote_withdrawn") == 14
    assert Idea.objects.get(pk=idea.pk).vote_count == 14  # a fresh read, not a cached attribute


# --- The last seat of a live session ------------------------------------------------------------------


def test_the_last_seat_goes_to_exactly_one_of_many_people_registering_at_once():
    session = LiveSessionFactory(capacity=3)
    for _ in range(2):
        api_as(UserFactory()).post(reverse("api-session-registration", args=[session.pk]))
    mail.outbox.clear()
    api_people = [UserFactory() for _ in range(6)]
    html_people = [UserFactory() for _ in range(2)]
    api_url = reverse("api-session-registration", args=[session.pk])
    html_url = reverse("session_register", args=[session.pk])

    calls = [partial(api_as(p).post, api_url) for p in api_people]
    calls += [partial(html_as(p).post, html_url, follow=True) for p in html_people]
    responses = collide(calls)

    api_answers, html_answers = responses[: len(api_people)], responses[len(api_people) :]
    assert {r.status_code for r in api_answers} == {201}
    assert {r.status_code for r in html_answers} == {200}
    outcomes = Counter(r.json()["status"] for r in api_answers)
    html_texts = [r.content.decode() for r in html_answers]
    html_seats = sum("You have a seat" in text for text in html_texts)
    html_full = sum("The session is full" in text for text in html_texts)
    assert html_seats + html_full == 2
    # Exactly one newcomer got the seat, through whichever door; everyone else was told it is full.
    assert outcomes[REGISTERED] + html_seats == 1
    assert outcomes[WAITLISTED] + html_full == 7
    statuses = Counter(Registration.objects.filter(session=session).values_list("status", flat=True))
    assert statuses == {REGISTERED: 3, WAITLISTED: 7}
    assert logged("learning.session_registered") == 3
    assert logged("learning.session_waitlisted") == 7
    # One e-mail each, saying what really happened to them.
    subjects = Counter(message.subject.split(":")[0] for message in mail.outbox)
    assert subjects == {"You are registered": 1, "You are on the waiting list": 7}


def test_a_seat_given_up_while_others_register_goes_to_the_waiting_list_not_a_newcomer():
    session = LiveSessionFactory(capacity=2)
    url = reverse("api-session-registration", args=[session.pk])
    seated = [UserFactory() for _ in range(2)]
    waiting = [UserFactory() for _ in range(2)]
    for person in seated + waiting:
        assert api_as(person).post(url).status_code == 201
    newcomers = [UserFactory() for _ in range(4)]
    double_clicker = newcomers[0]

    calls = [partial(api_as(seated[0]).delete, url)]
    calls += [partial(api_as(p).post, url) for p in newcomers]
    calls.append(partial(api_as(double_clicker).post, url))
    responses = collide(calls)

    assert responses[0].status_code == 200
    assert responses[0].json()["status"] == RegistrationStatus.CANCELLED
    double = [responses[1], responses[-1]]
    assert sorted(r.status_code for r in double) == [201, 400]
    assert "already" in next(r for r in double if r.status_code == 400).json()["detail"]
    registrations = dict(Registration.objects.filter(session=session).values_list("user_id", "status"))
    # Seats are never oversold, and the freed one went to the first person waiting.
    assert sum(status == REGISTERED for status in registrations.values()) == 2
    assert registrations[seated[1].pk] == registrations[waiting[0].pk] == REGISTERED
    assert registrations[waiting[1].pk] == WAITLISTED
    assert all(registrations[p.pk] == WAITLISTED for p in newcomers)
    assert Registration.objects.filter(session=session, user=double_clicker).count() == 1


# --- Certification awards ------------------------------------------------------------------------------


def _answered_attempt(client: APIClient, assessment) -> int:
    """Start an attempt through the API and answer every question right; return its id."""
    started = client.post(reverse("api-attempt-start", args=[assessment.slug]))
    assert started.status_code == 201, started.content
    attempt = started.json()
    for question in attempt["questions"]:
        right = [o["id"] for o in question["options"] if o["text"] == "Right"]
        answered = client.put(
            reverse("api-attempt-answer", args=[attempt["id"], question["id"]]),
            {"options": right},
            format="json",
        )
        assert answered.status_code == 200, answered.content
    return attempt["id"]


def test_two_exams_completing_a_certification_at_once_award_it_once(monkeypatch):
    """The certification needs two exams. Each of several learners submits both at the same moment,
    twice over (a double click): each sees only its own exam committed, yet the certification
    must be awarded once per learner: not twice, and not zero times.

    The two gradings of each learner are held at the step just before the certification check
    until both have got there, so both check while the other's exam is still uncommitted, every
    time: only the check's lock on the person makes the second one see the first one's exam."""
    first, second = AssessmentFactory(exam=True), AssessmentFactory(exam=True)
    certification = CertificationFactory(assessments=[first, second])
    learners = [UserFactory() for _ in range(3)]
    calls, submits = [], []
    for learner in learners:
        for exam in (first, second):
            attempt_id = _answered_attempt(api_as(learner), exam)
            url = reverse("api-attempt-submit", args=[attempt_id])
            submits.append(attempt_id)
            calls += [partial(api_as(learner).post, url) for _ in range(2)]
    mail.outbox.clear()
    both_graded = {learner.pk: threading.Barrier(2, timeout=10) for learner in learners}
    satisfy_steps = learning_services.steps_satisfied_by_ref

    def satisfy_steps_once_both_are_graded(*, user, **kwargs):
        satisfy_steps(user=user, **kwargs)
        if user.pk in both_graded:
            both_graded[user.pk].wait()

    monkeypatch.setattr(learning_services, "steps_satisfied_by_ref", satisfy_steps_once_both_are_graded)

    responses = collide(calls)

    assert not any(barrier.broken for barrier in both_graded.values())
    for n, attempt_id in enumerate(submits):
        pair = responses[2 * n : 2 * n + 2]
        assert sorted(r.status_code for r in pair) == [200, 400], attempt_id
        assert next(r for r in pair if r.status_code == 200).json()["result"]["passed"] is True
    for learner in learners:
        assert Attempt.objects.filter(user=learner, passed=True).count() == 2
        assert logged("assessment.submitted", user=learner) == 2
        assert Award.objects.filter(certification=certification, user=learner).count() == 1
        assert logged("certification.earned", user=learner) == 1
    earned = [m for m in mail.outbox if m.subject.startswith("You are certified")]
    assert sorted(m.to[0] for m in earned) == sorted(learner.email for learner in learners)


# --- Survey responses ------------------------------------------------------------------------------------


def test_one_invitation_answered_at_once_by_link_and_in_app_makes_one_response():
    csm = UserFactory(cs_manager=True)
    account = AccountFactory(cs_manager=csm)
    invitation = InvitationFactory(user=UserFactory(account=account))
    token = invitation_token(invitation)
    link_url = reverse("api-response-submit")
    prompt_url = reverse("survey_prompt_answer", args=[invitation.pk])
    scores = [0, 1, 2, 3, 4, 5]  # all detractor scores: still one alert to the CS manager

    by_link = [
        partial(APIClient().post, link_url, {"token": token, "score": s}, format="json") for s in scores[:3]
    ]
    in_app = [
        partial(html_as(invitation.user).post, prompt_url, {"score": s}, headers={"HX-Request": "true"})
        for s in scores[3:]
    ]
    responses = collide(by_link + in_app)

    assert [r.status_code for r in responses] == [201] * 3 + [200] * 3
    assert all("Thank you for your answer" in r.content.decode() for r in responses[3:])
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get(invitation=invitation).score in scores
    assert logged("survey.response_submitted", user=invitation.user) == 6
    assert Notification.objects.filter(user=csm, category="customer_alerts").count() == 1


# --- Ingestion retries -----------------------------------------------------------------------------------


def test_overlapping_retries_from_several_clients_store_each_event_once():
    """Five clients post overlapping windows of the same 400 events at once (a retry storm after a
    timeout); a second integration sends the same event ids from its own source. Each source
    stores each event once, and every report adds up to what it was sent."""
    person = UserFactory()
    _, raw = interaction_services.integration_token_create(name="Telemetry", source="telemetry")
    _, other_raw = interaction_services.integration_token_create(name="Support desk", source="support")
    events = [
        {
            "event_id": f"evt-{n}",
            "kind": "product.feature_used",
            "occurred_at": "2026-05-01T09:30:00Z",
            "user_email": person.email,
        }
        for n in range(400)
    ]
    windows = [events[start : start + 200] for start in (0, 50, 100, 150, 200)]
    windows[2] = windows[2] + windows[2][:20]  # ids repeated inside one batch count as duplicates
    batches = [(raw, window) for window in windows] + [(other_raw, events[::-1]), (other_raw, events)]
    url = reverse("api-events-batch")

    def client_for(token):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    responses = collide([partial(client_for(t).post, url, {"events": b}, format="json") for t, b in batches])

    assert {r.status_code for r in responses} == {200}
    reports = [r.json() for r in responses]
    for report, (_, batch) in zip(reports, batches, strict=True):
        assert report["accepted"] + report["duplicates"] == len(batch)
        assert report["rejected"] == []
    telemetry, support = reports[:5], reports[5:]
    assert sum(r["accepted"] for r in telemetry) == 400
    assert sum(r["accepted"] for r in support) == 400
    stored = Interaction.objects.filter(source__in=["telemetry", "support"])
    assert stored.count() == 800
    per_event = Counter(stored.values_list("source", "external_id"))
    assert set(per_event.values()) == {1}
