"""Fixtures of the security tests.

`world` is one small but complete data set, built once per test module inside a transaction that
is rolled back when the module ends: two customer accounts (A: alice the learner, carol the
customer admin, sam the executive sponsor; B: bob the learner, dana the customer admin), the
vendor's content admin and CS manager, and one object of every kind a URL can point at. Each
test runs in a savepoint inside it, so what a request writes is undone before the next test.

Tests that need PostgreSQL or Redis are skipped without them (`requires_postgresql`,
`skip_for_missing_service`), unless CAIRN_REQUIRE_SERVICES=1 (as CI sets it): then such a test
fails instead, so a service that did not come up cannot make tests silently disappear.
"""

from __future__ import annotations

import os
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

ROLES = ("anonymous", "alice", "bob", "carol", "sam", "content", "csm")

# The start of the reason of every skip for want of PostgreSQL or Redis.
SERVICE_MISSING = "service missing: "


def requires_postgresql(why: str):
    """Mark a test (or, in `pytestmark`, a module) that needs PostgreSQL: skipped on any other
    database, and failed there when CAIRN_REQUIRE_SERVICES=1."""
    return pytest.mark.skipif(
        connection.vendor != "postgresql", reason=f"{SERVICE_MISSING}PostgreSQL ({why})"
    )


def skip_for_missing_service(what: str):
    """Skip the running test because `what` (a service) cannot be reached; with
    CAIRN_REQUIRE_SERVICES=1 the test fails instead."""
    pytest.skip(f"{SERVICE_MISSING}{what}")


def _services_required() -> bool:
    return os.environ.get("CAIRN_REQUIRE_SERVICES") == "1"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """With CAIRN_REQUIRE_SERVICES=1, a skip for want of a service is reported as a failure."""
    report = yield
    if report.skipped and _services_required() and isinstance(report.longrepr, tuple):
        path, line, reason = report.longrepr
        if SERVICE_MISSING in reason:
            report.outcome = "failed"
            report.longrepr = (
                f"{path}:{line}: {reason.removeprefix('Skipped: ')}, "
                "and CAIRN_REQUIRE_SERVICES=1 does not allow skipping for that"
            )
    return report


def _build_world() -> SimpleNamespace:
    from apps.accounts.models import ImportJob
    from apps.accounts.services import invitation_create
    from apps.assessments.models import Option, PointEntry, SkillResult
    from apps.community.models import Answer, Flag, ProductArea, Question
    from apps.engagement.models import MomentOccurrence, Objective, SuccessPlan, Task
    from apps.interactions.models import Interaction
    from apps.interactions.services import integration_token_create
    from apps.learning.models import ContentProgress, StepCompletion
    from apps.learning.services import learning_preference_set
    from apps.learning.tasks import DIGEST_SALT
    from apps.notifications.models import Notification
    from apps.notifications.tasks import UNSUBSCRIBE_SALT
    from apps.roadmap.models import ProductUpdate, RoadmapItem
    from apps.surveys import tokens as survey_tokens
    from tests.analytics.factories import snapshot_of
    from tests.assessments.factories import (
        AssessmentFactory,
        AttemptFactory,
        AwardFactory,
        BadgeFactory,
        CertificationFactory,
        PointRuleFactory,
        QuestionFactory,
    )
    from tests.community.factories import CommentFactory, IdeaFactory
    from tests.engagement.factories import EngagementModelFactory, MomentFactory
    from tests.factories import AccountFactory, InteractionFactory, UserFactory
    from tests.learning.factories import (
        ContentItemFactory,
        EnrolmentFactory,
        LearningPathFactory,
        LiveSessionFactory,
        RegistrationFactory,
        SkillFactory,
    )
    from tests.surveys.factories import CampaignFactory, InvitationFactory, ResponseFactory

    w = SimpleNamespace()
    w.content = UserFactory(email="content@vendor.example", full_name="Cleo Content", content_admin=True)
    w.csm = UserFactory(email="csm@vendor.example", full_name="Cas Manager", cs_manager=True)
    w.account_a = AccountFactory(name="Account A", external_id="CRM-A", cs_manager=w.csm)
    w.account_b = AccountFactory(name="Account B", external_id="CRM-B")
    w.alice = UserFactory(email="alice@a.example", full_name="Alice Archer", account=w.account_a)
    w.carol = UserFactory(
        email="carol@a.example", full_name="Carol Chen", account=w.account_a, customer_admin=True
    )
    w.sam = UserFactory(email="sam@a.example", full_name="Sam Sponsor", account=w.account_a, sponsor=True)
    w.bob = UserFactory(email="bob@b.example", full_name="Bob Baker", account=w.account_b)
    w.dana = UserFactory(
        email="dana@b.example", full_name="Dana Diaz", account=w.account_b, customer_admin=True
    )

    # Learning: an article, a course with lessons, a path over both, a live session.
    w.article = ContentItemFactory()
    w.course = ContentItemFactory(course=True)
    w.lesson, w.next_lesson = w.course.lessons.order_by("position")[:2]
    w.session = LiveSessionFactory()
    w.path = LearningPathFactory(steps=[w.article, w.course])
    w.step = w.path.steps.order_by("position").first()
    w.enrolment_a = EnrolmentFactory(user=w.alice, path=w.path)
    w.enrolment_b = EnrolmentFactory(user=w.bob, path=w.path)
    w.registration_a = RegistrationFactory(user=w.alice, session=w.session)
    w.registration_b = RegistrationFactory(user=w.bob, session=w.session)
    learning_preference_set(user=w.alice, weekly_digest=True)

    # Assessments: attempts (open and graded) of alice and of bob, a certification and its awards.
    w.assessment = AssessmentFactory()
    w.item = w.assessment.items.order_by("position").first()
    w.bank_question = QuestionFactory()
    w.open_attempt_a = AttemptFactory(user=w.alice, assessment=w.assessment, open=True)
    w.graded_attempt_a = AttemptFactory(user=w.alice, assessment=AssessmentFactory())
    w.open_attempt_b = AttemptFactory(user=w.bob, assessment=w.assessment, open=True)
    for attempt in (w.open_attempt_a, w.open_attempt_b):  # the options shown, as a real start keeps them
        attempt.option_order = {
            str(question_id): list(
                Option.objects.filter(question_id=question_id).order_by("pk").values_list("pk", flat=True)
            )
            for question_id in attempt.question_order
        }
        attempt.save(update_fields=["option_order"])
    w.graded_attempt_b = AttemptFactory(user=w.bob, assessment=w.graded_attempt_a.assessment)
    w.certification = CertificationFactory(assessments=[w.assessment])
    w.award_a = AwardFactory(certification=w.certification, user=w.alice)
    w.award_b = AwardFactory(certification=w.certification, user=w.bob)
    w.point_rule = PointRuleFactory()
    w.badge = BadgeFactory()

    # Some of everyone's history, so the team pages, boards and reports have rows to leak.
    skill = SkillFactory()
    for user, attempt, points in ((w.alice, w.graded_attempt_a, 150), (w.bob, w.graded_attempt_b, 50)):
        PointEntry.objects.create(user=user, account=user.account, rule=w.point_rule, points=points)
        SkillResult.objects.create(
            user=user, skill=skill, attempt=attempt, score=80, achieved_at=attempt.submitted_at
        )
        ContentProgress.objects.create(user=user, content=w.article, completed_at=timezone.now())
        StepCompletion.objects.create(enrolment=user.enrolments.get(), step=w.step)
        InteractionFactory(
            user=user, kind="learning.content_completed", subject_type="content", subject_id=str(w.article.pk)
        )

    # What customers may not see (yet): drafts, hidden posts, updates for another segment or later.
    w.draft_article = ContentItemFactory(draft=True)
    w.draft_course = ContentItemFactory(course=True, draft=True)
    w.draft_lesson = w.draft_course.lessons.order_by("position").first()
    w.draft_path = LearningPathFactory(draft=True, steps=[w.article])
    w.draft_step = w.draft_path.steps.get()
    w.draft_assessment = AssessmentFactory(draft=True)

    # Notifications of alice and of bob.
    w.notification_a = Notification.objects.create(
        user=w.alice, category="ideas", title="Alice's idea moved", dedup_key="authz-a"
    )
    w.notification_b = Notification.objects.create(
        user=w.bob, category="ideas", title="Bob's idea moved", dedup_key="authz-b"
    )

    # Community (shared across accounts): ideas, comments, questions, answers, an open report.
    w.area = ProductArea.objects.create(name="Dashboards", slug="dashboards")
    w.idea_a = IdeaFactory(author=w.alice)
    w.idea_b = IdeaFactory(author=w.bob)
    CommentFactory(idea=w.idea_a, author=w.bob)
    w.question_a = Question.objects.create(title="Exports?", body="How?", author=w.alice, account=w.account_a)
    w.answer_b = Answer.objects.create(question=w.question_a, author=w.bob, body="Use the scheduler.")
    Question.objects.filter(pk=w.question_a.pk).update(answer_count=1)
    Flag.objects.create(target="idea", target_id=w.idea_b.pk, reporter=w.alice, reason="Spam")
    w.hidden_idea = IdeaFactory(author=w.bob, hidden=True)
    w.hidden_question = Question.objects.create(title="Spam?", body="Spam.", author=w.bob, hidden=True)

    # Roadmap.
    w.roadmap_item = RoadmapItem.objects.create(title="Dark mode everywhere")
    w.update = ProductUpdate.objects.create(title="Release 1", body="Notes.", published_at=timezone.now())
    w.enterprise_update = ProductUpdate.objects.create(
        title="For enterprise", body="Notes.", segments=["enterprise"], published_at=timezone.now()
    )
    w.scheduled_update = ProductUpdate.objects.create(
        title="Next week", body="Notes.", published_at=timezone.now() + timedelta(days=7)
    )

    # Surveys: an active campaign, invitations of alice (unanswered) and bob (answered).
    w.campaign = CampaignFactory()
    w.invitation_a = InvitationFactory(campaign=w.campaign, user=w.alice)
    w.invitation_b = InvitationFactory(campaign=w.campaign, user=w.bob)
    w.response_b = ResponseFactory(invitation=w.invitation_b, score=3)

    # Engagement: a model with a moment, a detractor task on account A, success plans.
    w.model = EngagementModelFactory()
    w.moment = MomentFactory(model=w.model)
    w.detractor_answer = Interaction.objects.create(
        account=w.account_a,
        user=w.alice,
        kind="survey.response_submitted",
        value=3,
        occurred_at=timezone.now(),
    )
    occurrence = MomentOccurrence.objects.create(
        moment=w.moment, account=w.account_a, key=f"interaction-{w.detractor_answer.pk}"
    )
    w.task = Task.objects.create(
        account=w.account_a,
        assignee=w.csm,
        occurrence=occurrence,
        title="Call the detractor",
        due_on=timezone.localdate() + timedelta(days=3),
        contact=w.alice,
    )
    w.plan_a = SuccessPlan.objects.create(account=w.account_a, summary="Certify every analyst.")
    w.objective = Objective.objects.create(
        plan=w.plan_a, title="Analysts certified", metric="manual", target=5
    )
    SuccessPlan.objects.create(account=w.account_b, summary="Adopt dashboards.")

    # Analytics: one health snapshot per account.
    w.snapshot_a = snapshot_of(w.account_a, 72.0, day=timezone.localdate())
    w.snapshot_b = snapshot_of(w.account_b, 41.0, day=timezone.localdate())

    # Accounts and integrations: a pending invitation, an import job, an integration token.
    w.team_invitation, w.team_invitation_token = invitation_create(
        invited_by=w.carol, email="newcomer@a.example"
    )
    w.import_job = ImportJob.objects.create(kind="accounts", file_name="accounts.csv", content="")
    w.integration, w.integration_token = integration_token_create(name="Zendesk", source="zendesk")

    # One session per role, reused by every test of the module (see `client_as`).
    w.sessions = {}
    for role in (*ROLES[1:], "dana"):
        client = Client()
        client.force_login(getattr(w, role))
        w.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Signed links, as the e-mails carry them (after signing in: a reset token covers last_login).
    w.tokens = SimpleNamespace(
        survey=survey_tokens.invitation_token(w.invitation_a),
        survey_unsubscribe=survey_tokens.unsubscribe_token(w.alice),
        digest=signing.dumps({"u": w.alice.pk}, salt=DIGEST_SALT),
        email=signing.dumps({"u": w.alice.pk, "c": "ideas"}, salt=UNSUBSCRIBE_SALT),
        reset_uid=urlsafe_base64_encode(force_bytes(w.alice.pk)),
        reset=default_token_generator.make_token(w.alice),
    )
    return w


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The module's data set (see the module docstring); rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture
def client_as(world, db):
    """`client_as(role)`: a fresh test client signed in as that role ("anonymous": signed out)."""

    def make(role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        return client

    return make
