"""Objects customers may not reach, tried by bob (a learner of account B) and dana (account B's
customer admin): account A's and alice's objects (attempts, answers, progress, notifications,
survey invitations, team invitations, the account, its tasks, plans and scores), and what is not
published (drafts, hidden posts, updates for another segment or not out yet).

- Endpoints customers may use answer 404 for such an object, as plain HTML, as an htmx request
  and through the API alike, and a refused write leaves the object as it was.
- Vendor-only endpoints refuse customers by role (403) before they look anything up, so the answer
  is the same whether the id exists or not: nothing about account A leaks either way.
- Lists, exports and team pages a customer may open never include account A's rows, and a filter
  naming account A answers as one naming no account at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter

import pytest
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from apps.assessments.models import Answer as AttemptAnswer
from apps.assessments.models import Attempt
from apps.community.models import Answer as CommunityAnswer
from apps.community.models import Comment, Idea, Question, Vote
from apps.learning.models import ContentProgress, Enrolment, LessonCompletion, StepCompletion
from apps.notifications.models import Notification
from apps.roadmap.models import UpdateRead
from apps.surveys.models import Invitation as SurveyInvitation
from apps.surveys.models import Response as SurveyResponse
from tests.security.test_authorisation import (
    API,
    STAFF,
    Redirect,
    api_url,
    describe,
    is_admin,
    is_api,
    matches,
    page_rule,
    page_url,
    to,
    url_endpoints,
)

CUSTOMERS_OF_B = ("bob", "dana")
HTMX = {"HTTP_HX_REQUEST": "true"}


def _attempt_state(attempt_pk):
    attempt = Attempt.objects.get(pk=attempt_pk)
    return attempt.status, attempt.submitted_at, AttemptAnswer.objects.filter(attempt=attempt).count()


@dataclass(frozen=True)
class Case:
    """A request at one of account A's objects; `expect` per customer of account B, and `state`
    reads what a wrongly allowed request would change. `control` is who does get through, and
    `ok` exactly what they get (see test_the_same_requests_get_through)."""

    id: str
    method: str
    url: Callable
    data: Callable = lambda w: {}
    state: Callable | None = None
    api: bool = False
    expect: dict = field(default_factory=lambda: {"bob": 404, "dana": 404})
    control: str | None = "alice"
    ok: str | Redirect = "200"


def _answer_form(w):
    return {"question": w.item.question_id, "option": w.item.question.options.first().pk}


CASES = [
    # Assessment attempts are their owner's alone.
    Case("attempt_take", "GET", lambda w: reverse("attempt_take", args=[w.open_attempt_a.pk])),
    Case("attempt_result", "GET", lambda w: reverse("attempt_result", args=[w.graded_attempt_a.pk])),
    Case(
        "attempt_answer",
        "POST",
        lambda w: reverse("attempt_answer", args=[w.open_attempt_a.pk]),
        data=_answer_form,
        state=lambda w: _attempt_state(w.open_attempt_a.pk),
        ok=to("attempt_take", pk="open_attempt_a.pk"),
    ),
    Case(
        "attempt_submit",
        "POST",
        lambda w: reverse("attempt_submit", args=[w.open_attempt_a.pk]),
        state=lambda w: _attempt_state(w.open_attempt_a.pk),
        ok=to("attempt_result", pk="open_attempt_a.pk"),
    ),
    Case("api attempt (open)", "GET", lambda w: f"/api/v1/attempts/{w.open_attempt_a.pk}/", api=True),
    Case("api attempt (graded)", "GET", lambda w: f"/api/v1/attempts/{w.graded_attempt_a.pk}/", api=True),
    Case(
        "api attempt answer",
        "PUT",
        lambda w: f"/api/v1/attempts/{w.open_attempt_a.pk}/answers/{w.item.question_id}/",
        data=lambda w: {"options": [w.item.question.options.first().pk]},
        state=lambda w: _attempt_state(w.open_attempt_a.pk),
        api=True,
    ),
    Case(
        "api attempt submit",
        "POST",
        lambda w: f"/api/v1/attempts/{w.open_attempt_a.pk}/submit/",
        state=lambda w: _attempt_state(w.open_attempt_a.pk),
        api=True,
    ),
    # The account itself: customers see only their own.
    Case("api account", "GET", lambda w: f"/api/v1/accounts/{w.account_a.pk}/", api=True),
    # Notifications and survey invitations are their person's.
    Case(
        "notification_read",
        "POST",
        lambda w: reverse("notification_read", args=[w.notification_a.pk]),
        state=lambda w: Notification.objects.get(pk=w.notification_a.pk).read_at,
        ok=to("notification_list"),
    ),
    Case(
        "survey_prompt_answer",
        "POST",
        lambda w: reverse("survey_prompt_answer", args=[w.invitation_a.pk]),
        data=lambda w: {"score": 0},
        state=lambda w: SurveyResponse.objects.filter(invitation=w.invitation_a).count(),
        ok=to("home"),
    ),
    Case(
        "survey_prompt_dismiss",
        "POST",
        lambda w: reverse("survey_prompt_dismiss", args=[w.invitation_a.pk]),
        state=lambda w: SurveyInvitation.objects.get(pk=w.invitation_a.pk).dismissed_at,
        ok=to("home"),
    ),
    # Account A's pending team invitation: bob is no customer admin (403), dana is B's (404).
    Case(
        "invitation_revoke",
        "POST",
        lambda w: reverse("invitation_revoke", args=[w.team_invitation.pk]),
        state=lambda w: type(w.team_invitation).objects.get(pk=w.team_invitation.pk).revoked_at,
        expect={"bob": 403, "dana": 404},
        control="carol",
        ok=to("team"),
    ),
    # Community posts are shared, but only their author (or a content admin) edits them.
    Case(
        "idea_edit",
        "POST",
        lambda w: reverse("idea_edit", args=[w.idea_a.pk]),
        data=lambda w: {"title": "Taken over by account B", "description": "Changed."},
        state=lambda w: Idea.objects.values_list("title", "description").get(pk=w.idea_a.pk),
        ok=to("idea_detail", pk="idea_a.pk"),
    ),
    Case(
        "question_edit",
        "POST",
        lambda w: reverse("question_edit", args=[w.question_a.pk]),
        data=lambda w: {"title": "Taken over by account B", "body": "Changed."},
        state=lambda w: Question.objects.values_list("title", "body").get(pk=w.question_a.pk),
        ok=to("question_detail", pk="question_a.pk"),
    ),
]


# Objects no customer may see: drafts, hidden posts, updates meant for another segment or not out yet.
# Only the content admin gets through.
def _hidden(id, method, url, state=None, api=False, control="content", ok="200"):
    return Case(id, method, url, state=state, api=api, control=control, ok=ok)


def _count(model, **lookups):
    return lambda w: model.objects.filter(**{k: attrgetter(v)(w) for k, v in lookups.items()}).count()


HIDDEN_CASES = [
    _hidden("draft content", "GET", lambda w: reverse("content_detail", args=[w.draft_article.slug])),
    _hidden(
        "draft content complete",
        "POST",
        lambda w: reverse("content_complete", args=[w.draft_article.slug]),
        state=_count(ContentProgress, content="draft_article"),
        ok=to("content_detail", slug="draft_article.slug"),
    ),
    _hidden(
        "draft lesson",
        "GET",
        lambda w: reverse("lesson_detail", args=[w.draft_course.slug, w.draft_lesson.pk]),
    ),
    _hidden(
        "draft lesson complete",
        "POST",
        lambda w: reverse("lesson_complete", args=[w.draft_course.slug, w.draft_lesson.pk]),
        state=_count(LessonCompletion, lesson="draft_lesson"),
        ok=to("lesson_detail", slug="draft_course.slug", pk="draft_lesson.pk"),  # not published: back
    ),
    _hidden("draft path", "GET", lambda w: reverse("path_detail", args=[w.draft_path.slug])),
    _hidden(
        "draft path enrol",
        "POST",
        lambda w: reverse("path_enrol", args=[w.draft_path.slug]),
        state=_count(Enrolment, path="draft_path"),
        ok=to("path_detail", slug="draft_path.slug"),
    ),
    _hidden(
        "draft path step complete",
        "POST",
        lambda w: reverse("step_complete", args=[w.draft_path.slug, w.draft_step.pk]),
        state=_count(StepCompletion, step="draft_step"),
        ok=to("path_detail", slug="draft_path.slug"),
    ),
    _hidden(
        "draft assessment", "GET", lambda w: reverse("assessment_detail", args=[w.draft_assessment.slug])
    ),
    _hidden(
        "draft assessment start",
        "POST",
        lambda w: reverse("assessment_start", args=[w.draft_assessment.slug]),
        state=_count(Attempt, assessment="draft_assessment"),
        ok=to("assessment_detail", slug="draft_assessment.slug"),  # not open: back, with a message
    ),
    _hidden("hidden idea", "GET", lambda w: reverse("idea_detail", args=[w.hidden_idea.pk])),
    _hidden(
        "hidden idea vote",
        "POST",
        lambda w: reverse("idea_vote", args=[w.hidden_idea.pk]),
        state=_count(Vote, idea="hidden_idea"),
        ok=to("idea_detail", pk="hidden_idea.pk"),
    ),
    _hidden(
        "hidden idea comment",
        "POST",
        lambda w: reverse("idea_comment", args=[w.hidden_idea.pk]),
        state=_count(Comment, idea="hidden_idea"),
        ok=to("idea_detail", "#comments", pk="hidden_idea.pk"),
    ),
    _hidden("hidden question", "GET", lambda w: reverse("question_detail", args=[w.hidden_question.pk])),
    _hidden(
        "hidden question answer",
        "POST",
        lambda w: reverse("answer_new", args=[w.hidden_question.pk]),
        state=_count(CommunityAnswer, question="hidden_question"),
        ok="400",  # posted empty: the form's errors
    ),
    _hidden(
        "update for another segment", "GET", lambda w: reverse("update_detail", args=[w.enterprise_update.pk])
    ),
    _hidden("update not out yet", "GET", lambda w: reverse("update_detail", args=[w.scheduled_update.pk])),
    _hidden(
        "api draft content", "GET", lambda w: f"/api/v1/learning/content/{w.draft_article.slug}/", api=True
    ),
    _hidden("api draft path", "GET", lambda w: f"/api/v1/learning/paths/{w.draft_path.slug}/", api=True),
    _hidden(
        "api draft path enrol",
        "POST",
        lambda w: f"/api/v1/learning/paths/{w.draft_path.slug}/enrol/",
        state=_count(Enrolment, path="draft_path"),
        api=True,
        ok="400",  # "This path is not published."
    ),
    _hidden(
        "api draft path step complete",
        "POST",
        lambda w: f"/api/v1/learning/steps/{w.draft_step.pk}/complete/",
        state=_count(StepCompletion, step="draft_step"),
        api=True,
        ok="400",  # "Enrol in this path before completing its steps."
    ),
    _hidden(
        "api draft assessment start",
        "POST",
        lambda w: f"/api/v1/assessments/{w.draft_assessment.slug}/attempts/",
        state=_count(Attempt, assessment="draft_assessment"),
        api=True,
        ok="400",  # "This assessment is not open."
    ),
    _hidden("api hidden idea", "GET", lambda w: f"/api/v1/community/ideas/{w.hidden_idea.pk}/", api=True),
    _hidden(
        "api hidden idea vote",
        "POST",
        lambda w: f"/api/v1/community/ideas/{w.hidden_idea.pk}/vote/",
        state=_count(Vote, idea="hidden_idea"),
        api=True,
    ),
    _hidden("api hidden question", "GET", lambda w: f"/api/v1/questions/{w.hidden_question.pk}/", api=True),
    _hidden(
        "api hidden question answer",
        "POST",
        lambda w: f"/api/v1/questions/{w.hidden_question.pk}/answers/",
        state=_count(CommunityAnswer, question="hidden_question"),
        api=True,
        ok="400",  # the empty body: "body" is required
    ),
    _hidden(
        "api read update for another segment",
        "POST",
        lambda w: f"/api/v1/updates/{w.enterprise_update.pk}/read/",
        state=_count(UpdateRead, update="enterprise_update"),
        api=True,
    ),
    _hidden(
        "api read update not out yet",
        "POST",
        lambda w: f"/api/v1/updates/{w.scheduled_update.pk}/read/",
        state=_count(UpdateRead, update="scheduled_update"),
        api=True,
        control=None,  # not even a content admin marks an unpublished update read
    ),
]


def _request(client, case: Case, world, *, htmx: bool):
    url, data = case.url(world), case.data(world)
    headers = HTMX if htmx else {}
    if case.api:
        return client.generic(case.method, url, data=json.dumps(data), content_type="application/json")
    if case.method == "POST":
        return client.post(url, data, **headers)
    return client.get(url, **headers)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in CASES + HIDDEN_CASES])
@pytest.mark.parametrize("who", CUSTOMERS_OF_B)
def test_another_accounts_or_an_unpublished_object_is_not_found(world, client_as, who, case):
    before = case.state(world) if case.state else None
    for htmx in (False,) if case.api else (False, True):
        response = _request(client_as(who), case, world, htmx=htmx)
        kind = "API" if case.api else ("htmx" if htmx else "HTML")
        assert response.status_code == case.expect[who], (
            f"{case.method} {case.url(world)} ({kind}) as {who}: {response.status_code}"
        )
        if case.state:
            assert case.state(world) == before, f"{case.id} as {who} ({kind}) changed account A's object"


def _outcome(response) -> str:
    """As test_authorisation observes it: the status, and where a redirect goes."""
    if response.status_code == 302:
        return f"302 {response.url}"
    return str(response.status_code)


def test_the_same_requests_get_through(world, client_as):
    """The control: the same requests get the object's owner (or, for what is not published, the
    content admin) exactly the answer of a request that was let in, so the 404s above come from
    scoping, not a broken request. A 400 here is the endpoint's own refusal of this body or
    state, which comes after the object was found and its access allowed."""
    problems = []
    for case in CASES + HIDDEN_CASES:
        if case.control is None:
            continue
        with transaction.atomic():
            cache.clear()
            outcome = _outcome(_request(client_as(case.control), case, world, htmx=False))
            transaction.set_rollback(True)
        if not matches(world, outcome, case.ok):
            problems.append(
                f"{case.id} as {case.control}: got {outcome}, expected {describe(world, case.ok)}"
            )
    assert not problems, "; ".join(problems)


# --- Vendor-only endpoints: refused alike whether the object exists or not ----------------------

MISSING_ID = "987654321"


def _vendor_only_object_endpoints():
    """Every table entry with a path parameter that only vendor staff may use."""
    for endpoint in url_endpoints():
        rule = page_rule(endpoint)
        if is_api(endpoint) or is_admin(endpoint) or rule is None or not rule.params:
            continue
        if rule.allowed and rule.allowed <= STAFF:
            yield pytest.param(("page", endpoint), id=endpoint.key)
    for key, rule in API.items():
        if rule.params and rule.allowed and rule.allowed <= STAFF:
            yield pytest.param(("api", key), id=key)


def _with_missing_ids(url: str) -> str:
    return re.sub(r"/\d+(?=/|\.csv|\.ics|$)", f"/{MISSING_ID}", url)


@pytest.mark.parametrize("target", list(_vendor_only_object_endpoints()))
def test_vendor_only_objects_are_refused_alike_whether_they_exist_or_not(world, client_as, target):
    kind, what = target
    if kind == "page":
        rule = page_rule(what)
        url = page_url(world, what, rule)
        method = rule.method
    else:
        rule, method = API[what], what.split(" ", 1)[0]
        url = api_url(world, what, rule)
    missing = _with_missing_ids(url)
    for who in CUSTOMERS_OF_B:
        client = client_as(who)
        for address in (url, missing):
            response = client.generic(method, address, data="{}", content_type="application/json")
            assert response.status_code == 403, f"{method} {address} as {who}: {response.status_code}"


# --- Lists and team pages: no rows of account A -------------------------------------------------

# Signed links and public certificate codes are addressed by account A's own secrets: whoever holds
# one sees what it is for. The community is shared across accounts, so its pages name their authors.
ADDRESSED_BY_A_SECRET = {
    "invitation_accept",
    "digest_unsubscribe",
    "email_unsubscribe",
    "survey_respond",
    "survey_unsubscribe",
    "award_verify",
    "award_certificate",
    "badge_assertion",
}
COMMUNITY = re.compile(r"^(idea|question|answer)_|^GET /api/v1/(community|questions)/")


def _private_markers(world, key: str) -> list[str]:
    people = (world.alice, world.carol, world.sam)
    markers = [person.email for person in people] + [
        world.team_invitation.email,
        world.account_a.name,
        world.account_a.external_id,
        world.notification_a.title,
        world.award_a.code,
    ]
    if not COMMUNITY.search(key):
        markers += [person.full_name for person in people]
    return markers


TEAM_PAGES = [
    ("team", ""),
    ("team_learning", ""),
    ("skills_team", ""),
    ("team_training", ""),
    ("team_training", "?format=csv"),
    ("team_training", "?format=csv&table=months"),
    ("team_training", "?format=csv&table=proficiency"),
]


def _text(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode()


def _readable_by_customers():
    for endpoint in url_endpoints():
        rule = page_rule(endpoint)
        if is_api(endpoint) or is_admin(endpoint) or rule is None or rule.method != "GET":
            continue
        if endpoint.key in ADDRESSED_BY_A_SECRET or rule.expected("bob") != "200":
            continue
        yield pytest.param(("page", endpoint), id=endpoint.key)
    for key, rule in API.items():
        if key.startswith("GET ") and rule.expected("bob") == "200":
            yield pytest.param(("api", key), id=key)
    # The customer admin's own pages and exports: dana (account B) sees only account B's people.
    for name, query in TEAM_PAGES:
        yield pytest.param(("admin-page", (name, query)), id=f"{name}{query}")
    for key in ("GET /api/v1/learning/team-progress/", "GET /api/v1/analytics/my-account/training/"):
        yield pytest.param(("admin-api", key), id=key)


@pytest.mark.parametrize("target", list(_readable_by_customers()))
def test_what_customers_of_b_read_holds_nothing_of_account_a(world, client_as, target):
    kind, what = target
    if kind == "page":
        url, key = page_url(world, what, page_rule(what)), what.key
    elif kind == "admin-page":
        url, key = reverse(what[0]) + what[1], what[0]
    else:
        url, key = api_url(world, what, API[what]), what
    people = CUSTOMERS_OF_B if kind in ("page", "api") else ("dana",)
    for who in people:
        for headers in ({}, HTMX) if kind.endswith("page") else ({},):
            cache.clear()
            response = client_as(who).get(url, **headers)
            assert response.status_code == 200, f"{url} as {who}: {response.status_code}"
            body = _text(response)
            leaked = [marker for marker in _private_markers(world, key) if marker in body]
            assert not leaked, f"{url} as {who} shows account A's {leaked}"


def test_customer_admin_of_a_does_see_their_team(world, client_as):
    """The control for the team checks above: the same pages do show account A's people to carol."""
    client = client_as("carol")
    for name, query in TEAM_PAGES:
        if "table=" not in query:  # the monthly and per-skill exports name nobody
            assert world.alice.full_name in _text(client.get(reverse(name) + query)), name
    members = client.get("/api/v1/learning/team-progress/").json()
    assert {member["email"] for member in members} >= {world.alice.email, world.carol.email}


def test_api_lists_hold_only_the_callers_rows(world, client_as):
    bob, dana = client_as("bob"), client_as("dana")
    b_people = {world.bob.pk, world.dana.pk}

    assert [a["id"] for a in bob.get("/api/v1/accounts/").json()["results"]] == [world.account_b.pk]
    assert {u["id"] for u in bob.get("/api/v1/users/").json()["results"]} == b_people
    enrolments = bob.get("/api/v1/learning/enrolments/").json()["results"]
    assert [e["id"] for e in enrolments] == [world.enrolment_b.pk]
    notifications = bob.get("/api/v1/notifications/").json()["results"]
    assert [n["id"] for n in notifications] == [world.notification_b.pk]
    board = bob.get("/api/v1/leaderboard/", {"scope": "account"}).json()
    assert [(entry["name"], entry["account"]) for entry in board["entries"]] == [
        (world.bob.full_name, world.account_b.name)
    ]
    members = dana.get("/api/v1/learning/team-progress/").json()
    assert {member["id"] for member in members} == b_people
    assert dana.get("/api/v1/analytics/my-account/training/").json()["people"] == len(b_people)


def _account_filters():
    """Customer-readable API lists that take an `account` query parameter (from the schema)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        parameters = methods.get("get", {}).get("parameters", [])
        key = f"GET {path}"
        readable = key in API and API[key].expected("bob") == "200"
        if readable and any(p["in"] == "query" and p["name"] == "account" for p in parameters):
            yield key


def test_account_filters_do_not_confirm_another_accounts_id(world, client_as):
    """`?account=<id of account A>` answers bob exactly as an id that does not exist does, so the
    filter is no way to learn which accounts exist."""
    keys = list(_account_filters())
    assert keys, "expected at least the people list to filter by account"
    bob = client_as("bob")
    for key in keys:
        url = api_url(world, key, API[key])
        other = bob.get(url, {"account": world.account_a.pk})
        missing = bob.get(url, {"account": MISSING_ID})
        assert (other.status_code, other.json()) == (missing.status_code, missing.json()), key
        own = bob.get(url, {"account": world.account_b.pk})
        assert own.status_code == 200, key


def test_the_join_link_is_for_people_with_a_seat(world, client_as):
    """A live session's video call link is shown to registered people only: in the page, in the
    calendar file, and never in the API's list."""
    link = world.session.join_url
    for url in (
        reverse("session_detail", args=[world.session.pk]),
        reverse("session_calendar", args=[world.session.pk]),
    ):
        assert link in client_as("alice").get(url).content.decode(), url
        assert link not in client_as("dana").get(url).content.decode(), url
    for who in ("alice", "dana"):
        assert link not in client_as(who).get("/api/v1/learning/sessions/").content.decode()
