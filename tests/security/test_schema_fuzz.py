"""The OpenAPI schema, fuzzed with schemathesis: every operation of the schema Cairn serves gets a
bounded number of generated requests, valid and invalid, as a CS manager and as a learner, sent to
the Django application in-process (WSGI, the whole middleware stack). No response may be a server
error, and every response must match the schema (body and content type).

Generated ids rarely name a row, so a small data set is built first and each operation is fuzzed
with the ids of its objects in the path as well (and a real survey token and real answer options in
the body): that is what reaches the code behind the 404s. Examples are derandomised, so CI sends
the same requests every run; a failure prints the request to replay with curl.

status_code_conformance is not checked: the schema documents success responses only, and the
400/403/404 every operation may give are proven by the other tests of this folder.
"""

import secrets
from datetime import timedelta

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from apps.community.models import Answer, Question
from apps.engagement.models import Metric, Objective, SuccessPlan, Task
from apps.interactions.services import integration_token_create
from apps.notifications.models import Notification
from apps.roadmap.models import ProductUpdate, RoadmapItem
from apps.surveys.tokens import invitation_token
from config.wsgi import application
from tests.analytics.factories import snapshot_of
from tests.assessments.factories import AssessmentFactory, AttemptFactory, CertificationFactory
from tests.community.factories import CommentFactory, IdeaFactory, ProductAreaFactory, VoteFactory
from tests.learning.factories import (
    ContentItemFactory,
    EnrolmentFactory,
    LearningPathFactory,
    LiveSessionFactory,
    RegistrationFactory,
)
from tests.surveys.factories import CampaignFactory, InvitationFactory

# Generated requests per operation and role: about 1,700 requests in all, 30-40 s on PostgreSQL.
MAX_EXAMPLES = 15
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# The test sends the credentials itself: generated or missing cookies and tokens would only show
# that a stranger is refused, which tests/security/test_authorisation.py proves per endpoint.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})


@pytest.fixture(scope="module")
def api_schema(django_db_setup, django_db_blocker):
    """The schema as the application serves it, read once. Serving it reads no table, but Django
    looks at its (test) database connection whenever a request starts."""
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi(reverse("schema"), application, config=CONFIG)


@pytest.fixture
def wsgi_app(db, settings):
    """The WSGI application, answering inside the test's transaction.

    Django closes the connection when a request ends; its test client stops that for the duration
    of a test, and so does this fixture. Throttles are lifted: a thousand requests a minute from
    one person is the point here (tests/security/test_abuse.py proves the throttles).
    """
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = dict.fromkeys(rest.get("DEFAULT_THROTTLE_RATES", {}))
    settings.REST_FRAMEWORK = rest
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_world(account_a, account_b, alice, bob, csm):
    """A little of everything the API serves, on both accounts: the ids to put in paths, the values
    to put in bodies, and the token the ingestion endpoint wants, by operation path."""
    account_a.cs_manager = csm
    account_a.save(update_fields=["cs_manager"])
    area = ProductAreaFactory(slug="reporting")

    idea_a = IdeaFactory(author=alice)
    idea_a.areas.add(area)
    idea_b = IdeaFactory(author=bob)
    VoteFactory(idea=idea_b, user=alice)
    CommentFactory(idea=idea_a, author=bob)

    question_a = Question.objects.create(
        title="How do I export?", body="Asking for a **friend**.", author=alice
    )
    question_b = Question.objects.create(title="Where are the logs?", body="Anywhere?", author=bob)
    answer_on_a = Answer.objects.create(question=question_a, author=bob, body="Use the export button.")
    answer_on_b = Answer.objects.create(question=question_b, author=alice, body="Under Settings.")
    Question.objects.filter(pk__in=[question_a.pk, question_b.pk]).update(answer_count=1)

    session = LiveSessionFactory()
    past_session = LiveSessionFactory(past=True)
    RegistrationFactory(session=session, user=alice)
    course = ContentItemFactory(course=True)
    article = ContentItemFactory()
    path = LearningPathFactory(steps=[article, course, session])
    EnrolmentFactory(user=alice, path=path)
    step_ids = list(path.steps.values_list("pk", flat=True))

    assessment = AssessmentFactory()
    question_ids = list(assessment.items.order_by("position").values_list("question_id", flat=True))
    option_ids = [
        option.pk
        for item in assessment.items.select_related("question")
        for option in item.question.options.all()
    ]
    CertificationFactory(assessments=[assessment], paths=[path])
    attempts = [
        AttemptFactory(user=alice, assessment=assessment),
        AttemptFactory(user=alice, assessment=assessment, open=True),
        AttemptFactory(user=csm, assessment=assessment, open=True),
        AttemptFactory(user=bob, assessment=assessment, open=True),
    ]

    campaign = CampaignFactory()
    invitations = [InvitationFactory(campaign=campaign, user=user) for user in (alice, bob)]

    item = RoadmapItem.objects.create(title="Scheduled exports", description="Soon.")
    item.ideas.add(idea_a)
    update = ProductUpdate.objects.create(
        title="Exports shipped", body="Now **live**.", published_at=timezone.now()
    )
    draft = ProductUpdate.objects.create(title="Not yet", body="Draft.", published_at=None)

    tasks = [
        Task.objects.create(account=account_a, assignee=csm, title="Call Alice", due_on=timezone.localdate()),
        Task.objects.create(
            account=account_b,
            title="Check in",
            due_on=timezone.localdate() - timedelta(days=3),
            status="done",
        ),
    ]
    plan = SuccessPlan.objects.create(account=account_a, created_by=csm, summary="Certify the team.")
    Objective.objects.create(plan=plan, title="Half certified", metric=Metric.SEATS_CERTIFIED, target=50)
    Objective.objects.create(plan=plan, title="Adoption", metric=Metric.MANUAL, target=80, manual_value=40)
    snapshot_of(account_a, 72, day=timezone.localdate())
    snapshot_of(account_b, 35, day=timezone.localdate())

    for user in (alice, csm):
        Notification.objects.create(
            user=user, category="learning", title="Hello", dedup_key=f"hello-{user.pk}"
        )

    _, raw_token = integration_token_create(name="Support desk", source="support", created_by=csm)

    accounts = [account_a.pk, account_b.pk]
    attempt_ids = [attempt.pk for attempt in attempts]
    ideas = [idea_a.pk, idea_b.pk]
    answers = [answer_on_a.pk, answer_on_b.pk]
    api = "/api/v1"
    return {
        "path": {
            f"{api}/accounts/{{id}}/": {"id": accounts},
            f"{api}/analytics/accounts/{{id}}/snapshots/": {"id": accounts},
            f"{api}/engagement/accounts/{{id}}/onboarding/": {"id": accounts},
            f"{api}/engagement/accounts/{{id}}/plan/": {"id": accounts},
            f"{api}/engagement/tasks/{{id}}/complete/": {"id": [task.pk for task in tasks]},
            f"{api}/answers/{{id}}/accept/": {"id": answers},
            f"{api}/answers/{{id}}/vote/": {"id": answers},
            f"{api}/questions/{{id}}/": {"id": [question_a.pk, question_b.pk]},
            f"{api}/questions/{{id}}/answers/": {"id": [question_a.pk, question_b.pk]},
            f"{api}/assessments/{{slug}}/attempts/": {"slug": [assessment.slug]},
            f"{api}/attempts/{{id}}/": {"id": attempt_ids},
            f"{api}/attempts/{{id}}/submit/": {"id": attempt_ids},
            f"{api}/attempts/{{id}}/answers/{{question_id}}/": {
                "id": attempt_ids,
                "question_id": question_ids,
            },
            f"{api}/community/ideas/{{id}}/": {"id": ideas},
            f"{api}/community/ideas/{{id}}/vote/": {"id": ideas},
            f"{api}/learning/content/{{slug}}/": {"slug": [article.slug, course.slug]},
            f"{api}/learning/paths/{{slug}}/": {"slug": [path.slug]},
            f"{api}/learning/paths/{{slug}}/enrol/": {"slug": [path.slug]},
            f"{api}/learning/sessions/{{id}}/registration/": {"id": [session.pk, past_session.pk]},
            f"{api}/learning/steps/{{id}}/complete/": {"id": step_ids},
            f"{api}/surveys/campaigns/{{id}}/results/": {"id": [campaign.pk]},
            f"{api}/updates/{{id}}/read/": {"id": [update.pk, draft.pk]},
        },
        "body": {
            f"{api}/surveys/responses/": {"token": [invitation_token(i) for i in invitations]},
            f"{api}/attempts/{{id}}/answers/{{question_id}}/": {"options": [option_ids[:1], option_ids[:2]]},
        },
        "headers": {f"{api}/events/batch/": {"Authorization": f"Bearer {raw_token}"}},
    }


def _strategy(operation, known_path: dict[str, list]):
    """Generated cases, valid and invalid; and as many again with known ids in the path."""
    strategies = [operation.as_strategy(mode) for mode in MODES]
    if known_path:
        names = sorted(known_path)
        values = st.tuples(*(st.sampled_from(known_path[name]) for name in names))
        strategies += [
            values.flatmap(
                lambda chosen, mode=mode: operation.as_strategy(
                    mode, path_parameters=dict(zip(names, chosen, strict=True))
                )
            )
            for mode in MODES
        ]
    return st.one_of(strategies)


def _fuzz(operation, *, app, world: dict, cookies: dict, headers: dict) -> None:
    known_body = world["body"].get(operation.path, {})

    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, world["path"].get(operation.path, {})), data=st.data())
    def run(case, data):
        if known_body and isinstance(case.body, dict):
            for name, values in known_body.items():
                if data.draw(st.booleans(), label=f"known {name}"):
                    case.body[name] = data.draw(st.sampled_from(values), label=name)
        # A savepoint per request, as autocommit would give: a request that fails in the database
        # must not leave the test's transaction broken for the ones after it.
        with transaction.atomic():
            response = case.call(app=app, cookies=cookies, headers=headers)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.parametrize("role", ["csm", "alice"])
def test_api_schema_holds_under_fuzzing(role, request, api_schema, wsgi_app, api_world, subtests):
    client = Client()
    client.force_login(request.getfixturevalue(role))
    # Any 32 characters of the token alphabet serve as a CSRF secret, as cookie and header alike.
    csrf_token = secrets.token_hex(16)
    cookies = {
        settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: csrf_token,
    }
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50, "the schema lost its operations"
    for operation in operations:
        headers = {"X-CSRFToken": csrf_token}
        if role == "csm":
            # Integrations authenticate with a token, not as a person: fuzzed with it once.
            headers.update(api_world["headers"].get(operation.path, {}))
        with subtests.test(msg=f"{role}: {operation.label}"):
            _fuzz(operation, app=wsgi_app, world=api_world, cookies=cookies, headers=headers)
