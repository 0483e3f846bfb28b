"""Every URL and every API operation, as every kind of person, against an explicit expectation table.

The URL patterns come from the URL conf (walked recursively) and the API operations from the
OpenAPI schema, so a new endpoint cannot be forgotten: one that is missing from the tables below
fails `test_every_url_pattern_has_an_expectation` / `test_every_api_operation_has_an_expectation`,
and an entry whose endpoint is gone fails too.

The seven roles: anonymous; alice, a learner of account A; bob, a learner of account B; carol, the
customer admin of account A; sam, account A's executive sponsor (a learner flagged as sponsor);
content, the vendor's content admin; csm, the vendor's CS manager. Path parameters point at real
objects of the `world` fixture, belonging to account A (alice) where the object is a customer's.

Outcomes: a status code ("200", "403", "404", ...); "login" is a redirect to the sign-in page;
`to(name, ...)` a redirect to exactly that address. Every outcome is exact, those of the people
let in included. Forms are posted empty and the API is sent an empty JSON object: a form then
redirects to where it goes once it has done its work, or refuses the empty body with 400; an API
operation answers 200 or 201, or 400 where the empty body or the state of the objects (already
enrolled, no vote to withdraw) does not allow it. HTML pages refuse a signed-in person without the
role with 403, and hide another person's or account's object with 404. The API authenticates
people by session only, so anonymous calls are 403 (SessionAuthentication sends no
WWW-Authenticate challenge); the ingestion endpoint authenticates integrations by bearer token
and answers 401 to everyone else.

The Django admin site lets in only `is_staff` people, and none of the seven is (a test checks),
so it sends every one of them to its own sign-in page. Its index, sign-in and sign-out are tried
as all seven roles; its other 200-odd URLs, all behind the same `admin_site.admin_view` gate, as
anonymous and as one signed-in role, taking the six in turn, which keeps the walk fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from operator import attrgetter

import pytest
from django.core.cache import cache as django_cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

from tests.security.conftest import ROLES

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
CUSTOMER_ADMIN = frozenset({"carol"})
STAFF = frozenset({"content", "csm"})
CS_MANAGER = frozenset({"csm"})
CONTENT_ADMIN = frozenset({"content"})
ALICE = frozenset({"alice"})  # the owner of account A's private objects
NOBODY = frozenset()

NEW = "*new*"  # in a redirect's parameters: the id of an object the request creates
_NEW_ID = "987654320"


def _value(world, spec: str) -> str:
    """A parameter's value: "=text" is the text itself, anything else an attribute path into
    `world` (e.g. "open_attempt_a.pk")."""
    return spec[1:] if spec.startswith("=") else str(attrgetter(spec)(world))


@dataclass(frozen=True)
class Redirect:
    """The outcome "a redirect to the URL named `name`", its path parameters given as in
    `Rule.params` (or NEW), followed by `then`, a query or fragment in which "{spec}" is replaced
    by that value."""

    name: str
    params: dict
    then: str = ""

    def url(self, world) -> str:
        kwargs = {k: _NEW_ID if spec == NEW else _value(world, spec) for k, spec in self.params.items()}
        then = re.sub(r"\{([\w.=-]+)\}", lambda m: _value(world, m.group(1)), self.then)
        return reverse(self.name, kwargs=kwargs) + then

    def matches(self, world, outcome: str) -> bool:
        return (
            re.fullmatch(re.escape(f"302 {self.url(world)}").replace(_NEW_ID, "[0-9]+"), outcome) is not None
        )

    def describe(self, world) -> str:
        return f"302 {self.url(world)}".replace(_NEW_ID, "<new id>")


def to(name: str, then: str = "", **params) -> Redirect:
    return Redirect(name, params, then)


@dataclass(frozen=True)
class Rule:
    """Who may use an endpoint: `allowed` get `ok`; a signed-in person without the right gets
    `denied`; anonymous gets `anon`; `per_role` overrides any of them. `params` maps each path
    parameter to a value spec (see `_value`)."""

    allowed: frozenset
    method: str = "GET"
    ok: str | Redirect = "200"
    denied: str = "403"
    anon: str = "login"
    params: dict = field(default_factory=dict)
    per_role: dict = field(default_factory=dict)

    def expected(self, role: str) -> str | Redirect:
        if role in self.per_role:
            return self.per_role[role]
        if role in self.allowed:
            return self.ok
        return self.anon if role == "anonymous" else self.denied


def page(allowed, method="GET", *, ok="200", denied="403", anon="login", per_role=None, **params):
    return Rule(
        allowed=allowed,
        method=method,
        ok=ok,
        denied=denied,
        anon=anon,
        params=params,
        per_role=per_role or {},
    )


def post(allowed, *, ok, **kwargs):
    """An HTML form, posted empty: `ok` is what the people let in get."""
    return page(allowed, "POST", ok=ok, **kwargs)


def public(*, ok="200", **params):
    return page(EVERYONE, ok=ok, **params)


def api(allowed, *, ok="200", denied="403", anon="403", per_role=None, **params):
    """An API operation; its method is in the table's key."""
    return Rule(allowed=allowed, ok=ok, denied=denied, anon=anon, params=params, per_role=per_role or {})


# --- HTML pages (and every other non-API URL), keyed by URL name --------------------------------
# The login page sends someone already signed in home (redirect_authenticated_user).
SIGNED_IN_REDIRECT = dict.fromkeys(SIGNED_IN, to("home"))

TO_ANSWER_B = to("question_detail", "#answer-{answer_b.pk}", pk="question_a.pk")
TO_CAMPAIGN = to("campaign_results", pk="campaign.pk")

PAGES: dict[str, Rule] = {
    # Site, sign-in and passwords
    "home": page(SIGNED_IN),
    "healthz": public(),
    "login": public(per_role=SIGNED_IN_REDIRECT),
    "logout": post(EVERYONE, ok="login"),
    "password_change": page(SIGNED_IN),
    "password_change_done": page(SIGNED_IN),
    "password_reset": public(),
    "password_reset_done": public(),
    "password_reset_confirm": public(  # the token moves to the session, out of the address
        ok=to("password_reset_confirm", uidb64="tokens.reset_uid", token="=set-password"),
        uidb64="tokens.reset_uid",
        token="tokens.reset",
    ),
    "password_reset_complete": public(),
    "schema": public(),
    "api-docs": public(),
    # Accounts: the customer admin's team, invitations, the vendor's customer list and CRM import
    "team": page(CUSTOMER_ADMIN),
    "invitation_revoke": post(CUSTOMER_ADMIN, ok=to("team"), pk="team_invitation.pk"),
    "invitation_accept": public(token="team_invitation_token"),
    "customer_list": page(STAFF),
    "customer_detail": page(STAFF, pk="account_a.pk"),
    "crm_import": page(CS_MANAGER),
    "crm_import_job": page(CS_MANAGER, pk="import_job.pk"),
    "crm_import_template": page(CS_MANAGER, kind="=accounts"),
    # Interactions: integration tokens
    "integration_list": page(CS_MANAGER),
    "integration_revoke": post(CS_MANAGER, ok=to("integration_list"), pk="integration.pk"),
    # Learning
    "library": page(SIGNED_IN),
    "learning_next": page(SIGNED_IN),
    "content_detail": page(SIGNED_IN, slug="article.slug"),
    "content_complete": post(SIGNED_IN, ok=to("content_detail", slug="article.slug"), slug="article.slug"),
    "lesson_detail": page(SIGNED_IN, slug="course.slug", pk="lesson.pk"),
    "lesson_complete": post(  # on to the next lesson
        SIGNED_IN,
        ok=to("lesson_detail", slug="course.slug", pk="next_lesson.pk"),
        slug="course.slug",
        pk="lesson.pk",
    ),
    "path_list": page(SIGNED_IN),
    "path_detail": page(SIGNED_IN, slug="path.slug"),
    "path_enrol": post(SIGNED_IN, ok=to("path_detail", slug="path.slug"), slug="path.slug"),
    "step_complete": post(SIGNED_IN, ok=to("path_detail", slug="path.slug"), slug="path.slug", pk="step.pk"),
    "session_list": page(SIGNED_IN),
    "session_detail": page(SIGNED_IN, pk="session.pk"),
    "session_register": post(SIGNED_IN, ok=to("session_detail", pk="session.pk"), pk="session.pk"),
    "session_cancel_registration": post(SIGNED_IN, ok=to("session_detail", pk="session.pk"), pk="session.pk"),
    "session_calendar": page(SIGNED_IN, pk="session.pk"),
    "learning_heartbeat": post(SIGNED_IN, ok="400"),
    "learning_preferences": page(SIGNED_IN),
    "digest_unsubscribe": public(token="tokens.digest"),
    "team_learning": page(CUSTOMER_ADMIN),
    # Learning studio
    "studio_home": page(CONTENT_ADMIN),
    "studio_content_new": page(CONTENT_ADMIN),
    "studio_content_edit": page(CONTENT_ADMIN, pk="article.pk"),
    "studio_content_publish": post(
        CONTENT_ADMIN, ok=to("studio_content_edit", pk="article.pk"), pk="article.pk"
    ),
    "studio_lesson_new": page(CONTENT_ADMIN, pk="course.pk"),
    "studio_lesson_edit": page(CONTENT_ADMIN, pk="lesson.pk"),
    "studio_lesson_delete": post(
        CONTENT_ADMIN, ok=to("studio_content_edit", "#lessons", pk="course.pk"), pk="lesson.pk"
    ),
    "studio_lesson_move": post(
        CONTENT_ADMIN, ok=to("studio_content_edit", "#lessons", pk="course.pk"), pk="lesson.pk"
    ),
    "studio_path_new": page(CONTENT_ADMIN),
    "studio_path_edit": page(CONTENT_ADMIN, pk="path.pk"),
    "studio_path_publish": post(CONTENT_ADMIN, ok=to("studio_path_edit", pk="path.pk"), pk="path.pk"),
    "studio_step_add": post(CONTENT_ADMIN, ok="400", pk="path.pk"),
    "studio_step_remove": post(
        CONTENT_ADMIN, ok=to("studio_path_edit", "#steps", pk="path.pk"), pk="step.pk"
    ),
    "studio_step_move": post(CONTENT_ADMIN, ok=to("studio_path_edit", "#steps", pk="path.pk"), pk="step.pk"),
    "studio_session_new": page(CONTENT_ADMIN),
    "studio_session_edit": page(CONTENT_ADMIN, pk="session.pk"),
    "studio_session_cancel": post(
        CONTENT_ADMIN, ok=to("studio_session_edit", pk="session.pk"), pk="session.pk"
    ),
    "studio_session_attendance": page(CONTENT_ADMIN, pk="session.pk"),
    # Assessments: a person's own attempts are theirs alone
    "assessment_list": page(SIGNED_IN),
    "assessment_detail": page(SIGNED_IN, slug="assessment.slug"),
    "assessment_start": post(  # to the open attempt, or a new one
        SIGNED_IN,
        ok=to("attempt_take", pk=NEW),
        per_role={
            "alice": to("attempt_take", pk="open_attempt_a.pk"),
            "bob": to("attempt_take", pk="open_attempt_b.pk"),
        },
        slug="assessment.slug",
    ),
    "attempt_take": page(ALICE, denied="404", pk="open_attempt_a.pk"),
    "attempt_answer": post(
        ALICE, ok=to("attempt_take", pk="open_attempt_a.pk"), denied="404", pk="open_attempt_a.pk"
    ),
    "attempt_submit": post(
        ALICE, ok=to("attempt_result", pk="open_attempt_a.pk"), denied="404", pk="open_attempt_a.pk"
    ),
    "attempt_result": page(ALICE, denied="404", pk="graded_attempt_a.pk"),
    "skills_mine": page(SIGNED_IN),
    "skills_accounts": page(CS_MANAGER),
    "skills_team": page(CUSTOMER_ADMIN),
    "leaderboard": page(SIGNED_IN),
    # Public certificate verification and Open Badges
    "award_verify": public(code="award_a.code"),
    "award_certificate": public(code="award_a.code"),
    "badge_issuer": public(),
    "badge_assertion": public(code="award_a.code"),
    "badge_class": public(slug="certification.slug"),
    "badge_image": public(slug="certification.slug"),
    # Assessments studio
    "studio_assessments_home": page(CONTENT_ADMIN),
    "studio_assessment_new": page(CONTENT_ADMIN),
    "studio_assessment_edit": page(CONTENT_ADMIN, pk="assessment.pk"),
    "studio_assessment_publish": post(
        CONTENT_ADMIN, ok=to("studio_assessment_edit", pk="assessment.pk"), pk="assessment.pk"
    ),
    "studio_assessment_questions_add": post(CONTENT_ADMIN, ok="400", pk="assessment.pk"),
    "studio_assessment_question_move": post(
        CONTENT_ADMIN, ok=to("studio_assessment_edit", "#questions", pk="assessment.pk"), pk="item.pk"
    ),
    "studio_assessment_question_remove": post(
        CONTENT_ADMIN, ok=to("studio_assessment_edit", "#questions", pk="assessment.pk"), pk="item.pk"
    ),
    "studio_question_new": page(CONTENT_ADMIN),
    "studio_question_edit": page(CONTENT_ADMIN, pk="bank_question.pk"),
    "studio_certification_new": page(CONTENT_ADMIN),
    "studio_certification_edit": page(CONTENT_ADMIN, pk="certification.pk"),
    "studio_certification_publish": post(
        CONTENT_ADMIN, ok=to("studio_certification_edit", pk="certification.pk"), pk="certification.pk"
    ),
    "studio_certification_awards": page(CONTENT_ADMIN, pk="certification.pk"),
    "studio_award_revoke": page(CONTENT_ADMIN, pk="award_a.pk"),
    "studio_rule_new": page(CONTENT_ADMIN),
    "studio_rule_edit": page(CONTENT_ADMIN, pk="point_rule.pk"),
    "studio_rule_delete": post(  # a rule that has awarded points stays
        CONTENT_ADMIN, ok=to("studio_rule_edit", pk="point_rule.pk"), pk="point_rule.pk"
    ),
    "studio_badge_new": page(CONTENT_ADMIN),
    "studio_badge_edit": page(CONTENT_ADMIN, pk="badge.pk"),
    "studio_badge_delete": post(
        CONTENT_ADMIN, ok=to("studio_assessments_home", "?tab=badges"), pk="badge.pk"
    ),
    # Notifications
    "notification_list": page(SIGNED_IN),
    "notification_badge": page(SIGNED_IN),
    "notification_read_all": post(SIGNED_IN, ok=to("notification_list")),
    "notification_read": post(ALICE, ok=to("notification_list"), denied="404", pk="notification_a.pk"),
    "email_preferences": page(SIGNED_IN),
    "email_unsubscribe": public(token="tokens.email"),
    "person_contacts": page(CS_MANAGER, user_id="alice.pk"),
    # Community ideas (shared across accounts; editing is the author's)
    "idea_list": page(SIGNED_IN),
    "idea_new": page(SIGNED_IN),
    "idea_similar": page(SIGNED_IN),
    "ideas_demand": page(STAFF),
    "idea_detail": page(SIGNED_IN, pk="idea_a.pk"),
    "idea_vote": post(SIGNED_IN, ok=to("idea_detail", pk="idea_a.pk"), pk="idea_a.pk"),
    "idea_follow": post(SIGNED_IN, ok=to("idea_detail", pk="idea_a.pk"), pk="idea_a.pk"),
    "idea_comment": post(SIGNED_IN, ok=to("idea_detail", "#comments", pk="idea_a.pk"), pk="idea_a.pk"),
    "idea_edit": page(ALICE | CONTENT_ADMIN, denied="404", pk="idea_a.pk"),
    "idea_status": post(STAFF, ok=to("idea_detail", pk="idea_a.pk"), pk="idea_a.pk"),
    "idea_merge": page(CONTENT_ADMIN, pk="idea_a.pk"),
    "idea_hide": post(CONTENT_ADMIN, ok=to("idea_detail", pk="idea_a.pk"), pk="idea_a.pk"),
    # Community Q&A and moderation
    "question_list": page(SIGNED_IN),
    "question_new": page(SIGNED_IN),
    "question_detail": page(SIGNED_IN, pk="question_a.pk"),
    "question_edit": page(ALICE | CONTENT_ADMIN, denied="404", pk="question_a.pk"),
    "answer_new": post(SIGNED_IN, ok="400", pk="question_a.pk"),
    "question_hide": post(CONTENT_ADMIN, ok=to("question_detail", pk="question_a.pk"), pk="question_a.pk"),
    "answer_vote": post(SIGNED_IN, ok=TO_ANSWER_B, pk="answer_b.pk"),
    "answer_accept": post(ALICE | CONTENT_ADMIN, ok=TO_ANSWER_B, pk="answer_b.pk"),
    "answer_hide": post(CONTENT_ADMIN, ok=TO_ANSWER_B, pk="answer_b.pk"),
    "flag_new": post(SIGNED_IN, ok=to("question_list")),  # no target given: back to the questions
    "moderation_queue": page(CONTENT_ADMIN),
    "flag_resolve": post(CONTENT_ADMIN, ok=to("moderation_queue"), target="=idea", target_id="idea_b.pk"),
    # Roadmap and product updates
    "roadmap": page(SIGNED_IN),
    "update_list": page(SIGNED_IN),
    "updates_badge": page(SIGNED_IN),
    "update_detail": page(SIGNED_IN, pk="update.pk"),
    "studio_roadmap": page(CONTENT_ADMIN),
    "studio_roadmap_item_new": page(CONTENT_ADMIN),
    "studio_roadmap_item_edit": page(CONTENT_ADMIN, pk="roadmap_item.pk"),
    "studio_roadmap_item_ship": post(CONTENT_ADMIN, ok=to("studio_roadmap"), pk="roadmap_item.pk"),
    "studio_update_new": page(CONTENT_ADMIN),
    "studio_update_edit": page(CONTENT_ADMIN, pk="update.pk"),
    "studio_update_publish": post(CONTENT_ADMIN, ok=to("studio_roadmap"), pk="update.pk"),
    # Surveys: campaigns for CS managers; answering by signed link or in-app prompt
    "campaign_list": page(CS_MANAGER),
    "campaign_new": page(CS_MANAGER),
    "campaign_results": page(CS_MANAGER, pk="campaign.pk"),
    "campaign_edit": page(CS_MANAGER, pk="campaign.pk"),
    "campaign_activate": post(CS_MANAGER, ok=TO_CAMPAIGN, pk="campaign.pk"),
    "campaign_send": post(CS_MANAGER, ok=TO_CAMPAIGN, pk="campaign.pk"),
    "campaign_close": post(CS_MANAGER, ok=TO_CAMPAIGN, pk="campaign.pk"),
    "campaign_export": page(CS_MANAGER, pk="campaign.pk"),
    "survey_respond": public(token="tokens.survey"),
    "survey_unsubscribe": public(token="tokens.survey_unsubscribe"),
    "survey_prompt": page(SIGNED_IN),
    "survey_prompt_answer": post(ALICE, ok=to("home"), denied="404", invitation_id="invitation_a.pk"),
    "survey_prompt_dismiss": post(ALICE, ok=to("home"), denied="404", invitation_id="invitation_a.pk"),
    # Engagement: the CS manager's tasks, models, plans
    "task_inbox": page(CS_MANAGER),
    "task_new": page(CS_MANAGER),
    "task_detail": page(CS_MANAGER, pk="task.pk"),
    "task_complete": post(CS_MANAGER, ok="400", pk="task.pk"),
    "task_cancel": post(CS_MANAGER, ok=to("task_inbox"), pk="task.pk"),
    "detractor_task_redirect": page(
        CS_MANAGER, ok=to("task_detail", pk="task.pk"), interaction_id="detractor_answer.pk"
    ),
    "task_link_idea": post(CS_MANAGER, ok=to("task_detail", "#loop", pk="task.pk"), pk="task.pk"),
    "loop_report": page(CS_MANAGER),
    "model_list": page(CS_MANAGER),
    "model_new": page(CS_MANAGER),
    "model_detail": page(CS_MANAGER, pk="model.pk"),
    "model_edit": page(CS_MANAGER, pk="model.pk"),
    "moment_new": page(CS_MANAGER, pk="model.pk"),
    "moment_edit": page(CS_MANAGER, pk="moment.pk"),
    "moment_delete": post(CS_MANAGER, ok=to("model_detail", pk="model.pk"), pk="moment.pk"),
    "account_engagement": page(CS_MANAGER, pk="account_a.pk"),
    "account_model_change": post(CS_MANAGER, ok="400", pk="account_a.pk"),
    "onboarding_report": page(CS_MANAGER),
    "plan_list": page(CS_MANAGER),
    "plan_detail": page(CS_MANAGER, pk="account_a.pk"),
    "objective_new": page(CS_MANAGER, pk="account_a.pk"),
    "objective_edit": page(CS_MANAGER, pk="objective.pk"),
    "objective_delete": post(CS_MANAGER, ok=to("plan_detail", pk="account_a.pk"), pk="objective.pk"),
    # Analytics: CS managers' reports; the customer admin's own team training
    "portfolio": page(CS_MANAGER),
    "portfolio_export": page(CS_MANAGER),
    "account_360": page(CS_MANAGER, pk="account_a.pk"),
    "account_timeline": page(  # to account_360 unless htmx
        CS_MANAGER, ok=to("account_360", "#timeline", pk="account_a.pk"), pk="account_a.pk"
    ),
    "engagement_report": page(CS_MANAGER),
    "training_report": page(CS_MANAGER),
    "retention_report": page(CS_MANAGER),
    "health_settings": page(CS_MANAGER),
    "health_settings_edit": page(CS_MANAGER, segment="=mid_market"),
    "team_training": page(CUSTOMER_ADMIN),
}

# The Django admin site: none of the seven roles is `is_staff`, so every admin URL (the
# registered models' pages included, whatever is registered later) sends each of them to the
# admin's own sign-in page ("admin-login"); only the sign-in page itself and sign-out (POST only,
# back to the admin) answer otherwise.
ADMIN_LOGIN = page(NOBODY, ok="admin-login", denied="admin-login", anon="admin-login")
ADMIN: dict[str, Rule] = {
    "admin:login": public(),
    "admin:logout": post(EVERYONE, ok=to("admin:index")),
}

# --- API operations, keyed by "METHOD /path/from/the/schema/" -----------------------------------
# alice and bob are enrolled in the path, registered for the session and have an attempt open at
# the assessment; the other roles are not and have none.
ENROLLED_200 = dict.fromkeys(("alice", "bob"), "200")
ENROLLED_400 = dict.fromkeys(("alice", "bob"), "400")

API: dict[str, Rule] = {
    # Accounts and people, scoped to the caller's account (vendor staff see all)
    "GET /api/v1/me/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/accounts/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/accounts/{id}/": api(SIGNED_IN, ok="200", per_role={"bob": "404"}, id="account_a.pk"),
    "GET /api/v1/users/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/renewals/": api(STAFF, ok="200"),
    # Ingestion: integrations only, by bearer token
    "POST /api/v1/events/batch/": api(NOBODY, denied="401", anon="401"),
    # Notifications: the caller's own
    "GET /api/v1/notifications/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/notifications/read/": api(SIGNED_IN, ok="400"),
    # Learning
    "GET /api/v1/learning/content/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/learning/content/{slug}/": api(SIGNED_IN, ok="200", slug="article.slug"),
    "GET /api/v1/learning/paths/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/learning/paths/{slug}/": api(SIGNED_IN, ok="200", slug="path.slug"),
    "POST /api/v1/learning/paths/{slug}/enrol/": api(
        SIGNED_IN, ok="201", per_role=ENROLLED_400, slug="path.slug"
    ),
    "GET /api/v1/learning/enrolments/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/learning/steps/{id}/complete/": api(
        SIGNED_IN, ok="400", per_role=ENROLLED_200, id="step.pk"
    ),
    "GET /api/v1/learning/sessions/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/learning/sessions/{id}/registration/": api(
        SIGNED_IN, ok="201", per_role=ENROLLED_400, id="session.pk"
    ),
    "DELETE /api/v1/learning/sessions/{id}/registration/": api(
        SIGNED_IN, ok="400", per_role=ENROLLED_200, id="session.pk"
    ),
    "GET /api/v1/learning/recommendations/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/learning/team-progress/": api(CUSTOMER_ADMIN, ok="200"),
    # Assessments: attempts are their owner's
    "GET /api/v1/assessments/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/assessments/{slug}/attempts/": api(  # alice and bob have one open: 200, not 201
        SIGNED_IN, ok="201", per_role=ENROLLED_200, slug="assessment.slug"
    ),
    "GET /api/v1/attempts/{id}/": api(ALICE, ok="200", denied="404", id="open_attempt_a.pk"),
    "PUT /api/v1/attempts/{id}/answers/{question_id}/": api(
        ALICE, ok="400", denied="404", id="open_attempt_a.pk", question_id="item.question_id"
    ),
    "POST /api/v1/attempts/{id}/submit/": api(ALICE, ok="200", denied="404", id="open_attempt_a.pk"),
    "GET /api/v1/skills/proficiency/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/certifications/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/leaderboard/": api(SIGNED_IN, ok="200"),
    # Community
    "GET /api/v1/community/ideas/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/community/ideas/create/": api(SIGNED_IN, ok="400"),
    "GET /api/v1/community/ideas/demand/": api(STAFF, ok="200"),
    "GET /api/v1/community/ideas/{id}/": api(SIGNED_IN, ok="200", id="idea_a.pk"),
    "POST /api/v1/community/ideas/{id}/vote/": api(SIGNED_IN, ok="200", id="idea_a.pk"),
    "DELETE /api/v1/community/ideas/{id}/vote/": api(SIGNED_IN, ok="200", id="idea_a.pk"),
    "GET /api/v1/questions/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/questions/": api(SIGNED_IN, ok="400"),
    "GET /api/v1/questions/{id}/": api(SIGNED_IN, ok="200", id="question_a.pk"),
    "POST /api/v1/questions/{id}/answers/": api(SIGNED_IN, ok="400", id="question_a.pk"),
    "POST /api/v1/answers/{id}/vote/": api(  # not for one's own answer
        SIGNED_IN, ok="201", per_role={"bob": "400"}, id="answer_b.pk"
    ),
    "DELETE /api/v1/answers/{id}/vote/": api(SIGNED_IN, ok="400", id="answer_b.pk"),  # no vote to take back
    "POST /api/v1/answers/{id}/accept/": api(ALICE | CONTENT_ADMIN, ok="200", id="answer_b.pk"),
    # Roadmap
    "GET /api/v1/roadmap/": api(SIGNED_IN, ok="200"),
    "GET /api/v1/updates/": api(SIGNED_IN, ok="200"),
    "POST /api/v1/updates/{id}/read/": api(SIGNED_IN, ok="200", id="update.pk"),
    # Surveys: campaigns for CS managers; answering is authorised by the signed token, not a session
    "GET /api/v1/surveys/campaigns/": api(CS_MANAGER, ok="200"),
    "GET /api/v1/surveys/campaigns/{id}/results/": api(CS_MANAGER, ok="200", id="campaign.pk"),
    "POST /api/v1/surveys/responses/": api(EVERYONE, ok="400"),
    # Engagement: CS managers only
    "GET /api/v1/engagement/tasks/": api(CS_MANAGER, ok="200"),
    "POST /api/v1/engagement/tasks/{id}/complete/": api(CS_MANAGER, ok="400", id="task.pk"),
    "GET /api/v1/engagement/accounts/{id}/onboarding/": api(CS_MANAGER, ok="200", id="account_a.pk"),
    "GET /api/v1/engagement/accounts/{id}/plan/": api(CS_MANAGER, ok="200", id="account_a.pk"),
    # Analytics: CS managers; a customer admin's own team training
    "GET /api/v1/analytics/scores/": api(CS_MANAGER, ok="200"),
    "GET /api/v1/analytics/accounts/{id}/snapshots/": api(CS_MANAGER, ok="200", id="account_a.pk"),
    "GET /api/v1/analytics/metrics/retention/": api(CS_MANAGER, ok="200"),
    "GET /api/v1/analytics/metrics/engagement/": api(CS_MANAGER, ok="200"),
    "GET /api/v1/analytics/metrics/training/": api(CS_MANAGER, ok="200"),
    "GET /api/v1/analytics/my-account/training/": api(CUSTOMER_ADMIN, ok="200"),
}


# --- Walking the URL conf and the schema ---------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # "namespace:name", or the route for an unnamed pattern
    route: str  # the full route, e.g. "learn/c/<slug:slug>/"
    regex: bool  # a regular-expression pattern (only the admin has these)


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner or namespace)
        else:
            assert isinstance(entry, URLPattern)
            route = prefix + str(entry.pattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield Endpoint(key=name or route, route=route, regex=isinstance(entry.pattern, RegexPattern))


@cache
def url_endpoints() -> tuple[Endpoint, ...]:
    seen, found = set(), []
    for endpoint in _walk(get_resolver()):
        if endpoint not in seen:  # django.contrib.auth.urls repeats "login", shadowed by ours
            seen.add(endpoint)
            found.append(endpoint)
    return tuple(found)


def is_api(endpoint: Endpoint) -> bool:
    return endpoint.route.startswith("api/v1/")


def is_admin(endpoint: Endpoint) -> bool:
    return endpoint.route.startswith("admin/")


@cache
def schema_operations() -> dict[str, list[str]]:
    """{"METHOD /path/": path parameter names} for every operation of the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = {}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            operations[f"{method.upper()} {path}"] = names
    return operations


def _fill(route: str, values: dict) -> str:
    def one(match):
        return values.get(match.group(2), "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", one, route)


def page_rule(endpoint: Endpoint) -> Rule | None:
    if endpoint.key in PAGES:
        return PAGES[endpoint.key]
    if is_admin(endpoint):
        return ADMIN.get(endpoint.key, ADMIN_LOGIN)
    return None


def page_url(world, endpoint: Endpoint, rule: Rule) -> str:
    if endpoint.regex:  # the admin's app index and catch-all: the first alternative, or any text
        sample = re.sub(
            r"\(\?P<\w+>([^)]*)\)", lambda m: m.group(1).split("|")[0].strip(".*") or "x", endpoint.route
        )
        return "/" + sample.replace("^", "").replace("$", "")
    return _fill(endpoint.route, {name: _value(world, spec) for name, spec in rule.params.items()})


def api_url(world, key: str, rule: Rule) -> str:
    path = key.split(" ", 1)[1]
    values = {name: _value(world, spec) for name, spec in rule.params.items()}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


# --- Observing one request ----------------------------------------------------------------------


def observe_page(client, method: str, url: str) -> str:
    response = client.post(url) if method == "POST" else client.get(url)
    status = response.status_code
    if status == 302:
        target = response.url.split("?")[0]
        if target == reverse("login"):
            return "login"
        if target == reverse("admin:login"):
            return "admin-login"
        return f"302 {response.url}"
    return str(status)


def observe_api(client, method: str, url: str) -> str:
    response = client.generic(method, url, data="{}", content_type="application/json")
    return str(response.status_code)


def matches(world, outcome: str, expected: str | Redirect) -> bool:
    if isinstance(expected, Redirect):
        return expected.matches(world, outcome)
    return outcome == expected


def describe(world, expected: str | Redirect) -> str:
    return expected.describe(world) if isinstance(expected, Redirect) else expected


# --- The tests ----------------------------------------------------------------------------------


def test_every_url_pattern_has_an_expectation():
    endpoints = [e for e in url_endpoints() if not is_api(e)]
    missing = sorted(e.key for e in endpoints if page_rule(e) is None)
    assert not missing, f"URL patterns without an expectation in PAGES: {missing}"
    stale = sorted(set(PAGES) - {e.key for e in endpoints}) + sorted(
        set(ADMIN) - {e.key for e in endpoints if is_admin(e)}
    )
    assert not stale, f"Expectations for URL patterns that no longer exist: {stale}"


def test_every_api_route_is_in_the_schema():
    """So no API route escapes the operation table below by being left out of the schema."""
    paths = {key.split(" ", 1)[1] for key in schema_operations()}
    routes = {re.sub(r"<(?:\w+:)?\w+>", "{}", "/" + e.route) for e in url_endpoints() if is_api(e)}
    documented = {re.sub(r"\{\w+\}", "{}", path) for path in paths}
    assert routes - documented == set(), f"API routes missing from the OpenAPI schema: {routes - documented}"


def test_every_api_operation_has_an_expectation():
    operations = schema_operations()
    missing = sorted(set(operations) - set(API))
    assert not missing, f"API operations without an expectation in API: {missing}"
    stale = sorted(set(API) - set(operations))
    assert not stale, f"Expectations for API operations that no longer exist: {stale}"
    for key, names in operations.items():
        assert set(API[key].params) == set(names), f"{key}: give a value for each of {names}"


def _as_every_role(world, client_as, method: str, url: str, rule: Rule, observe, roles=ROLES) -> list[str]:
    """Request `url` as each role, each in a savepoint of its own (so one role's POST does not
    change what the next one sees); the mismatches, described."""
    problems = []
    for role in roles:
        with transaction.atomic():
            django_cache.clear()
            outcome = observe(client_as(role), method, url)
            transaction.set_rollback(True)
        expected = rule.expected(role)
        if not matches(world, outcome, expected):
            problems.append(f"as {role}: got {outcome}, expected {describe(world, expected)}")
    return problems


def _roles_for(endpoint: Endpoint, position: int) -> tuple[str, ...]:
    if is_admin(endpoint) and endpoint.key not in (*ADMIN, "admin:index"):
        return ("anonymous", ROLES[1 + position % (len(ROLES) - 1)])
    return ROLES


PAGE_CASES = [
    pytest.param(endpoint, _roles_for(endpoint, position), id=endpoint.key)
    for position, endpoint in enumerate(e for e in url_endpoints() if not is_api(e))
]


def test_none_of_the_roles_may_use_the_admin_site(world):
    """What lets the admin walk try most admin URLs as just two of the roles."""
    people = [getattr(world, role) for role in ROLES[1:]]
    assert not any(person.is_staff or person.is_superuser for person in people)


@pytest.mark.parametrize(("endpoint", "roles"), PAGE_CASES)
def test_page(world, client_as, endpoint, roles):
    rule = page_rule(endpoint)
    if rule is None:
        pytest.fail(f"{endpoint.key} has no expectation (see test_every_url_pattern_has_an_expectation)")
    url = page_url(world, endpoint, rule)
    problems = _as_every_role(world, client_as, rule.method, url, rule, observe_page, roles)
    assert not problems, f"{rule.method} {url} ({endpoint.key}) " + "; ".join(problems)


@pytest.mark.parametrize("key", list(API))
def test_api_operation(world, client_as, key):
    rule, method = API[key], key.split(" ", 1)[0]
    url = api_url(world, key, rule)
    problems = _as_every_role(world, client_as, method, url, rule, observe_api)
    assert not problems, f"{method} {url} " + "; ".join(problems)


def test_the_ingestion_endpoint_lets_its_integration_token_in(world, client_as):
    """The control for the 401s above: the bearer token of an integration gets through."""
    response = client_as("anonymous").post(
        "/api/v1/events/batch/",
        data={"events": []},
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.integration_token}"},
    )
    assert response.status_code not in (401, 403), response.content
