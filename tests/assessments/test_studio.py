"""The assessments Studio: content admins' pages for questions, assessments, certifications,
awards, point rules and badges."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.assessments.models import (
    Answer,
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    BadgeAward,
    BadgeMetric,
    Certification,
    Option,
    PointEntry,
    PointRule,
    Question,
    QuestionKind,
)
from apps.core.studio import unique_slug
from apps.interactions.models import Interaction
from apps.learning.models import LearningPath, SkillArea, Status
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Small builders --------------------------------------------------------------------------------


def make_question(
    text="Which chart shows a trend?", *, kind=QuestionKind.SINGLE, options=None, skills=(), **fields
):
    question = Question.objects.create(text=text, kind=kind, **fields)
    if options is None:
        options = [] if kind == QuestionKind.NUMERIC else [("Line chart", True), ("Pie chart", False)]
    for position, (option_text, correct) in enumerate(options):
        Option.objects.create(question=question, text=option_text, is_correct=correct, position=position)
    question.skills.set(skills)
    return question


def make_assessment(title="Reporting check", *, status=Status.DRAFT, questions=(), **fields):
    assessment = Assessment.objects.create(
        title=title,
        slug=unique_slug(Assessment, title),
        status=status,
        published_at=timezone.now() if status == Status.PUBLISHED else None,
        **fields,
    )
    for question in questions:
        add_item(assessment, question)
    return assessment


def add_item(assessment, question):
    return AssessmentQuestion.objects.create(
        assessment=assessment, question=question, position=assessment.items.count()
    )


def make_path(title="Reporting path", *, status=Status.PUBLISHED):
    return LearningPath.objects.create(
        title=title, slug=unique_slug(LearningPath, title), summary=f"About {title}.", status=status
    )


def make_certification(title="Certified analyst", *, status=Status.DRAFT, assessments=(), paths=()):
    certification = Certification.objects.create(
        title=title,
        slug=unique_slug(Certification, title),
        description="Builds reports.",
        criteria="Pass the check.",
        status=status,
    )
    certification.required_assessments.set(assessments)
    certification.required_paths.set(paths)
    return certification


def make_award(certification, user, *, days_ago=10, days_left=300, revoked=False, cycle=1):
    now = timezone.now()
    return Award.objects.create(
        certification=certification,
        user=user,
        cycle=cycle,
        issued_at=now - timedelta(days=days_ago),
        expires_at=now + timedelta(days=days_left),
        revoked_at=now if revoked else None,
        revoke_reason="Shared answers." if revoked else "",
    )


def submitted_attempt(user, assessment, *, passed=True, answered=True, number=1):
    order = list(assessment.items.order_by("position").values_list("question_id", flat=True))
    attempt = Attempt.objects.create(
        user=user,
        assessment=assessment,
        number=number,
        status=AttemptStatus.SUBMITTED,
        question_order=order,
        submitted_at=timezone.now(),
        score=Decimal(90 if passed else 20),
        passed=passed,
    )
    if answered:
        for question_id in order:
            Answer.objects.create(attempt=attempt, question_id=question_id, selected=[])
    return attempt


def make_rule(kind="learning.path_completed", points=50, **fields):
    fields.setdefault("description", "Complete a learning path")
    return PointRule.objects.create(kind=kind, points=points, **fields)


def make_badge(name="Centurion", *, metric=BadgeMetric.POINTS, kind="", threshold=100, **fields):
    return Badge.objects.create(
        name=name, description=f"{name} badge.", metric=metric, kind=kind, threshold=threshold, **fields
    )


def item_order(assessment):
    return list(assessment.items.order_by("position", "pk").values_list("question_id", flat=True))


def item_positions(assessment):
    return list(assessment.items.order_by("position", "pk").values_list("position", flat=True))


@pytest.fixture
def skill(db):
    area = SkillArea.objects.create(name="Reporting")
    return area.skills.create(name="Dashboards", slug="dashboards")


@pytest.fixture
def questions(db):
    return [make_question(f"Question {n}") for n in range(1, 4)]


@pytest.fixture
def assessment(questions):
    return make_assessment(questions=questions)


@pytest.fixture
def certification(db, assessment):
    return make_certification(assessments=[assessment])


@pytest.fixture
def award(certification, alice):
    return make_award(certification, alice)


@pytest.fixture
def rule(db):
    return make_rule()


@pytest.fixture
def badge(db):
    return make_badge()


@pytest.fixture
def objects(questions, assessment, certification, award, rule, badge):
    return {
        "question": questions[0],
        "assessment": assessment,
        "item": assessment.items.first(),
        "certification": certification,
        "award": award,
        "rule": rule,
        "badge": badge,
    }


PAGES = [
    ("studio_assessments_home", None),
    ("studio_question_new", None),
    ("studio_question_edit", "question"),
    ("studio_assessment_new", None),
    ("studio_assessment_edit", "assessment"),
    ("studio_certification_new", None),
    ("studio_certification_edit", "certification"),
    ("studio_certification_awards", "certification"),
    ("studio_award_revoke", "award"),
    ("studio_rule_new", None),
    ("studio_rule_edit", "rule"),
    ("studio_badge_new", None),
    ("studio_badge_edit", "badge"),
]
ACTIONS = [
    ("studio_assessment_publish", "assessment", {"published": "1"}),
    ("studio_assessment_questions_add", "assessment", {"questions": []}),
    ("studio_assessment_question_move", "item", {"direction": "down"}),
    ("studio_assessment_question_remove", "item", {}),
    ("studio_certification_publish", "certification", {"published": "1"}),
    ("studio_award_revoke", "award", {"reason": "Sneaky"}),
    ("studio_rule_delete", "rule", {}),
    ("studio_badge_delete", "badge", {}),
    (
        "studio_assessment_new",
        None,
        {"title": "Sneaky", "kind": "exam", "pass_mark": "70", "cooldown_hours": "0"},
    ),
    (
        "studio_rule_edit",
        "rule",
        {"kind": "account.login", "points": "5", "description": "x", "active": "on"},
    ),
]


def url_of(name, key, objects):
    return reverse(name, args=[objects[key].pk]) if key else reverse(name)


def snapshot():
    """What the refused requests must leave unchanged."""
    return (
        list(Question.objects.order_by("pk").values_list("pk", "text", "kind")),
        list(Option.objects.order_by("pk").values_list("pk", "text", "is_correct", "position")),
        list(Assessment.objects.order_by("pk").values_list("pk", "title", "status")),
        list(AssessmentQuestion.objects.order_by("pk").values_list("pk", "question", "position")),
        list(Certification.objects.order_by("pk").values_list("pk", "status")),
        list(Award.objects.order_by("pk").values_list("pk", "revoked_at", "revoke_reason")),
        list(PointRule.objects.order_by("pk").values_list("pk", "kind", "points", "active")),
        list(Badge.objects.order_by("pk").values_list("pk", "name", "threshold")),
    )


# --- Who may use the Studio ---------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(("name", "key"), PAGES)
    def test_content_admin_sees_every_page(self, client_of, content, objects, name, key):
        response = client_of(content).get(url_of(name, key, objects))
        assert response.status_code == 200
        assert "<html" in response.text

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_other_roles_are_refused_every_page(self, request, client_of, objects, who):
        client = client_of(request.getfixturevalue(who))
        for name, key in PAGES:
            assert client.get(url_of(name, key, objects)).status_code == 403, name
        for tab in ("questions", "certifications", "points", "badges"):
            assert client.get(reverse("studio_assessments_home"), {"tab": tab}).status_code == 403

    @pytest.mark.parametrize("who", ["alice", "carol", "csm"])
    def test_other_roles_change_nothing(self, request, client_of, objects, who):
        client = client_of(request.getfixturevalue(who))
        before = snapshot()
        for name, key, data in ACTIONS:
            assert client.post(url_of(name, key, objects), data).status_code == 403, name
            assert client.post(url_of(name, key, objects), data, **HTMX).status_code == 403, name
        assert snapshot() == before
        assert not Interaction.objects.filter(kind="certification.revoked").exists()

    def test_anonymous_is_sent_to_sign_in(self, client, objects):
        before = snapshot()
        for name, key in PAGES:
            response = client.get(url_of(name, key, objects))
            assert response.status_code == 302 and response.url.startswith(reverse("login")), name
        for name, key, data in ACTIONS:
            response = client.post(url_of(name, key, objects), data)
            assert response.status_code == 302 and response.url.startswith(reverse("login")), name
        assert snapshot() == before

    def test_actions_refuse_get(self, client_of, content, objects):
        client = client_of(content)
        for name, key, _ in ACTIONS:
            if name not in ("studio_award_revoke", "studio_assessment_new", "studio_rule_edit"):
                assert client.get(url_of(name, key, objects)).status_code == 405, name

    def test_unknown_objects_are_404(self, client_of, content):
        client = client_of(content)
        assert client.get(reverse("studio_assessment_edit", args=[999])).status_code == 404
        assert client.get(reverse("studio_question_edit", args=[999])).status_code == 404
        assert client.get(reverse("studio_award_revoke", args=[999])).status_code == 404
        response = client.post(reverse("studio_assessment_question_move", args=[999]), {"direction": "up"})
        assert response.status_code == 404

    def test_the_learning_studio_links_here(self, client_of, content):
        page = client_of(content).get(reverse("studio_home")).text
        assert f'href="{reverse("studio_assessments_home")}"' in page
        assert "Assessments &amp; certifications" in page


# --- Overview ---------------------------------------------------------------------------------------


class TestHome:
    url = reverse("studio_assessments_home")

    def test_lists_assessments_with_their_results(self, client_of, content, assessment, alice, bob):
        submitted_attempt(alice, assessment, passed=True)
        submitted_attempt(bob, assessment, passed=False)
        Attempt.objects.create(user=alice, assessment=assessment, number=2)  # in progress: not counted
        text = client_of(content).get(self.url).text
        assert "Reporting check" in text and "Draft" in text
        assert '<td class="num">3</td>' in text  # questions
        assert '<td class="num">2</td>' in text  # attempts taken
        assert '<td class="num">50%</td>' in text

    def test_lists_certifications_with_holders(self, client_of, content, certification, alice, bob, carol):
        make_award(certification, alice)
        make_award(certification, bob, days_ago=400, days_left=-5)
        make_award(certification, carol, revoked=True)
        text = client_of(content).get(self.url, {"tab": "certifications"}).text
        assert "Certified analyst" in text and "1 requirement" in text
        assert text.count('<td class="num">1</td>') == 3

    def test_lists_rules_and_badges(self, client_of, content, rule, badge, alice):
        make_badge("Pathfinder", metric=BadgeMetric.KIND_COUNT, kind="learning.path_completed", threshold=3)
        PointEntry.objects.create(user=alice, rule=rule, points=50, subject_type="path", subject_id="1")
        client = client_of(content)
        text = client.get(self.url, {"tab": "points"}).text
        assert "Complete a learning path" in text and "Completed a learning path" in text
        assert "1 time" in text and "Active" in text
        text = client.get(self.url, {"tab": "badges"}).text
        assert "Centurion" in text and "100 points" in text
        assert "3 \N{MULTIPLICATION SIGN} Completed a learning path" in text

    def test_filters_by_status(self, client_of, content, assessment):
        make_assessment("Live exam", status=Status.PUBLISHED)
        make_rule("account.login", 5, description="Sign in", active=False)
        make_rule()
        client = client_of(content)
        text = client.get(self.url, {"status": "published"}).text
        assert "Live exam" in text and "Reporting check" not in text
        text = client.get(self.url, {"status": "draft"}).text
        assert "Reporting check" in text and "Live exam" not in text
        text = client.get(self.url, {"tab": "points", "status": "inactive"}).text
        assert "Sign in" in text and "Complete a learning path" not in text
        assert client.get(self.url, {"status": "nonsense", "tab": "nonsense"}).status_code == 200

    def test_question_bank_search(self, client_of, content, skill):
        make_question("How do you filter a dashboard?", skills=[skill])
        make_question("What is a pivot table?", kind=QuestionKind.MULTIPLE)
        make_question("How many days in a week?", kind=QuestionKind.NUMERIC, numeric_answer=7)
        client = client_of(content)
        text = client.get(self.url, {"tab": "questions"}).text
        assert "How do you filter" in text and "pivot table" in text and "days in a week" in text
        text = client.get(self.url, {"tab": "questions", "skill": skill.pk}).text
        assert "How do you filter" in text and "pivot table" not in text
        text = client.get(self.url, {"tab": "questions", "kind": "numeric"}).text
        assert "days in a week" in text and "pivot table" not in text
        text = client.get(self.url, {"tab": "questions", "q": "PIVOT"}).text
        assert "pivot table" in text and "How do you filter" not in text
        text = client.get(self.url, {"tab": "questions", "q": "nothing like it"}).text
        assert "Nothing matches this search" in text and "Clear the search" in text
        assert client.get(self.url, {"tab": "questions", "skill": "x", "kind": "essay"}).status_code == 200

    def test_question_bank_paginates_by_twenty(self, client_of, content):
        for n in range(25):
            make_question(f"Bank question {n:02}")
        client = client_of(content)
        assert "Page 1 of 2" in client.get(self.url, {"tab": "questions"}).text
        second = client.get(self.url, {"tab": "questions", "page": 2}).text
        assert second.count("Bank question") == 5

    def test_empty_states_call_to_action(self, client_of, content):
        client = client_of(content)
        assert "Create an assessment" in client.get(self.url).text
        assert "Write the first question" in client.get(self.url, {"tab": "questions"}).text
        assert "Create a certification" in client.get(self.url, {"tab": "certifications"}).text
        assert "Add a point rule" in client.get(self.url, {"tab": "points"}).text
        assert "Create a badge" in client.get(self.url, {"tab": "badges"}).text
        assert "Clear the filter" in client.get(self.url, {"status": "draft"}).text

    @pytest.mark.parametrize("tab", ["assessments", "questions", "certifications", "points", "badges"])
    def test_query_count_does_not_grow(
        self, client_of, content, alice, skill, django_assert_max_num_queries, tab
    ):
        kinds = iter(["account.login", "learning.path_completed", "learning.content_viewed"] * 20)

        def add_rows(start):
            for n in range(start, start + 20):
                question = make_question(f"Question {n}", skills=[skill])
                assessment = make_assessment(f"Assessment {n}", questions=[question])
                submitted_attempt(alice, assessment)
                certification = make_certification(f"Certification {n}", assessments=[assessment])
                make_award(certification, alice)
                badge = make_badge(f"Badge {n}")
                BadgeAward.objects.create(badge=badge, user=alice)
            for n, kind in zip(range(3), kinds, strict=False):
                if not PointRule.objects.filter(kind=kind).exists():
                    make_rule(kind, 10 + n)

        add_rows(0)
        client = client_of(content)
        # session, user, five tab totals, page count, page rows; the bank adds the rows' skills and
        # the skills of its filter.
        with django_assert_max_num_queries(11 if tab == "questions" else 9) as small:
            assert client.get(self.url, {"tab": tab}).status_code == 200
        add_rows(20)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(self.url, {"tab": tab}).status_code == 200


# --- Questions -----------------------------------------------------------------------------------------


def question_data(options=(("Line chart", True), ("Pie chart", False)), existing=(), **changes):
    """POST data of the question form; `existing` rows are (option, text, correct, delete)."""
    data = {
        "text": "Which chart shows a trend over time?",
        "kind": "single",
        "points": "2",
        "numeric_answer": "",
        "numeric_tolerance": "0",
        "explanation": "Lines show change.",
        "options-TOTAL_FORMS": str(len(existing) + len(options)),
        "options-INITIAL_FORMS": str(len(existing)),
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    rows = [(option.pk, text, correct, delete) for option, text, correct, delete in existing]
    rows += [(None, text, correct, False) for text, correct in options]
    for n, (pk, text, correct, delete) in enumerate(rows):
        data[f"options-{n}-text"] = text
        data[f"options-{n}-position"] = str(n)
        if pk:
            data[f"options-{n}-id"] = str(pk)
        if correct:
            data[f"options-{n}-is_correct"] = "on"
        if delete:
            data[f"options-{n}-DELETE"] = "on"
    data.update(changes)
    return data


class TestQuestions:
    url = reverse("studio_question_new")

    def test_create_with_options_and_skills(self, client_of, content, skill):
        response = client_of(content).post(self.url, question_data(skills=[skill.pk]))
        question = Question.objects.get()
        assert response.status_code == 302 and response.url == reverse(
            "studio_question_edit", args=[question.pk]
        )
        assert (question.kind, question.points, question.numeric_answer) == ("single", 2, None)
        assert list(question.skills.all()) == [skill]
        assert list(question.options.values_list("text", "is_correct", "position")) == [
            ("Line chart", True, 0),
            ("Pie chart", False, 1),
        ]

    def test_create_numeric(self, client_of, content):
        response = client_of(content).post(
            self.url,
            question_data(options=(), kind="numeric", numeric_answer="42", numeric_tolerance="0.5"),
        )
        question = Question.objects.get()
        assert response.status_code == 302
        assert (question.numeric_answer, question.numeric_tolerance) == (Decimal(42), Decimal("0.5"))
        assert not question.options.exists()
        page = client_of(content).get(reverse("studio_question_edit", args=[question.pk])).text
        assert 'value="42"' in page and "Right answer: 42 ± 0.5" in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"text": ""}, "This field is required"),
            ({"points": "0"}, "greater than or equal to 1"),
            ({"kind": "essay"}, "Select a valid choice"),
            ({"kind": "numeric", "options": ()}, "A numeric question needs its right answer."),
            (
                {"kind": "numeric", "numeric_answer": "3", "numeric_tolerance": "-1", "options": ()},
                "The tolerance cannot be negative",
            ),
            ({"kind": "numeric", "numeric_answer": "3"}, "A numeric question has no options"),
            ({"kind": "numeric", "numeric_answer": "three", "options": ()}, "Enter a number"),
            (
                {"options": (("A", True), ("B", True))},
                "A single-choice question needs exactly one correct option.",
            ),
            (
                {"options": (("A", False), ("B", False))},
                "A single-choice question needs exactly one correct option.",
            ),
            ({"options": (("A", True),)}, "A single-choice question needs at least two options."),
            (
                {"kind": "true_false", "options": (("True", True), ("False", False), ("Maybe", False))},
                "A true-or-false question needs exactly two options",
            ),
            (
                {"kind": "true_false", "options": (("True", True), ("False", True))},
                "A true-or-false question needs exactly one correct option.",
            ),
            (
                {"kind": "multiple", "options": (("A", False), ("B", False))},
                "A multiple-choice question needs at least one correct option.",
            ),
            (
                {"kind": "multiple", "options": (("A", True),)},
                "A multiple-choice question needs at least two options.",
            ),
            ({"options": (("A", True), ("", True))}, "This field is required"),
            ({"options-0-position": "-1"}, "greater than or equal to 0"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        options = changes.pop("options", (("Line chart", True), ("Pie chart", False)))
        response = client_of(content).post(self.url, question_data(options=options, **changes))
        assert response.status_code == 400
        assert message in response.text
        assert not Question.objects.exists() and not Option.objects.exists()

    def test_a_good_multiple_choice_and_true_false(self, client_of, content):
        client = client_of(content)
        multiple = question_data(
            kind="multiple", partial_credit="on", options=(("A", True), ("B", True), ("C", False))
        )
        assert client.post(self.url, multiple).status_code == 302
        true_false = question_data(kind="true_false", options=(("True", False), ("False", True)))
        assert client.post(self.url, true_false).status_code == 302
        assert list(Question.objects.values_list("kind", "partial_credit")) == [
            ("multiple", True),
            ("true_false", False),
        ]

    def test_edit_options_inline(self, client_of, content):
        question = make_question(options=[("A", True), ("B", False), ("C", False)])
        a, b, c = question.options.all()
        url = reverse("studio_question_edit", args=[question.pk])
        data = question_data(
            existing=[(a, "A", False, False), (b, "B, reworded", True, False), (c, "C", False, True)],
            options=(("D", False),),
        )
        data["options-3-position"] = ""  # a blank order puts the new option last
        response = client_of(content).post(url, data)
        assert response.status_code == 302
        assert list(question.options.values_list("text", "is_correct", "position")) == [
            ("A", False, 0),
            ("B, reworded", True, 1),
            ("D", False, 2),
        ]

    def test_deleting_below_the_minimum_is_refused(self, client_of, content):
        question = make_question()
        right, wrong = question.options.all()
        url = reverse("studio_question_edit", args=[question.pk])
        response = client_of(content).post(
            url,
            question_data(
                existing=[(right, "Line chart", True, False), (wrong, "Pie chart", False, True)], options=()
            ),
        )
        assert response.status_code == 400
        assert "A single-choice question needs at least two options." in response.text
        assert question.options.count() == 2

    def test_a_choice_question_drops_its_numeric_answer(self, client_of, content):
        client_of(content).post(self.url, question_data(numeric_answer="5", numeric_tolerance="1"))
        question = Question.objects.get()
        assert (question.numeric_answer, question.numeric_tolerance) == (None, 0)

    def test_edit_page_shows_where_it_is_used(self, client_of, content, assessment, alice):
        question = assessment.items.first().question
        submitted_attempt(alice, assessment)
        page = client_of(content).get(reverse("studio_question_edit", args=[question.pk])).text
        assert "Reporting check" in page and "Answered 1 time in submitted attempts" in page


# --- Assessments ---------------------------------------------------------------------------------------


def assessment_data(**changes):
    data = {
        "title": "Dashboards exam",
        "kind": "exam",
        "description": "Ten minutes.",
        "pass_mark": "80",
        "attempt_limit": "3",
        "cooldown_hours": "24",
        "time_limit_minutes": "30",
        "shuffle_questions": "on",
    }
    data.update(changes)
    return data


class TestAssessments:
    def test_create_makes_a_draft(self, client_of, content):
        client = client_of(content)
        response = client.post(reverse("studio_assessment_new"), assessment_data())
        assessment = Assessment.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("studio_assessment_edit", args=[assessment.pk])
        assert (assessment.slug, assessment.status, assessment.pass_mark) == ("dashboards-exam", "draft", 80)
        assert (assessment.attempt_limit, assessment.cooldown_hours, assessment.time_limit_minutes) == (
            3,
            24,
            30,
        )
        assert (assessment.shuffle_questions, assessment.shuffle_options) == (True, False)
        client.post(reverse("studio_assessment_new"), assessment_data())
        assert Assessment.objects.filter(slug="dashboards-exam-2").exists()

    def test_a_placement_test_suggests_paths(self, client_of, content):
        path = make_path(status=Status.DRAFT)
        response = client_of(content).post(
            reverse("studio_assessment_new"), assessment_data(kind="placement", placement_paths=[path.pk])
        )
        assert response.status_code == 302
        assert list(Assessment.objects.get().placement_paths.all()) == [path]

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": ""}, "This field is required"),
            ({"pass_mark": "0"}, "The pass mark is a percentage from 1 to 100."),
            ({"pass_mark": "101"}, "The pass mark is a percentage from 1 to 100."),
            ({"attempt_limit": "0"}, "greater than or equal to 1"),
            ({"time_limit_minutes": "0"}, "greater than or equal to 1"),
            ({"cooldown_hours": "-1"}, "greater than or equal to 0"),
            # Beyond the calendar (year 9999) the start and result pages would fail with a 500.
            ({"cooldown_hours": "2000000000"}, "less than or equal to 87600"),
            ({"time_limit_minutes": "9000000000"}, "less than or equal to 525600"),
            ({"kind": "quiz"}, "Select a valid choice"),
            ({"placement_paths": ["PATH"]}, "Only a placement test suggests paths"),
            ({"description": "x" * 20_001}, "at most 20000 characters"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        path = make_path()
        if "placement_paths" in changes:
            changes["placement_paths"] = [path.pk]
        response = client_of(content).post(reverse("studio_assessment_new"), assessment_data(**changes))
        assert response.status_code == 400 and message in response.text
        assert not Assessment.objects.exists()

    def test_edit_keeps_the_slug(self, client_of, content, assessment):
        response = client_of(content).post(
            reverse("studio_assessment_edit", args=[assessment.pk]), assessment_data(title="Renamed")
        )
        assert response.status_code == 302
        assessment.refresh_from_db()
        assert (assessment.title, assessment.slug) == ("Renamed", "reporting-check")

    def test_publishing_without_questions_is_refused(self, client_of, content):
        empty = make_assessment("Empty")
        response = client_of(content).post(
            reverse("studio_assessment_publish", args=[empty.pk]), {"published": "1"}, follow=True
        )
        assert "Add at least one question before publishing the assessment." in response.text
        empty.refresh_from_db()
        assert empty.status == Status.DRAFT

    def test_publish_and_unpublish(self, client_of, content, assessment):
        client = client_of(content)
        url = reverse("studio_assessment_publish", args=[assessment.pk])
        assert "is published" in client.post(url, {"published": "1"}, follow=True).text
        assessment.refresh_from_db()
        assert assessment.is_published and assessment.published_at
        page = client.get(reverse("studio_assessment_edit", args=[assessment.pk])).text
        assert 'data-confirm="Unpublish' in page
        client.post(url, {"published": "0"})
        assessment.refresh_from_db()
        assert not assessment.is_published

    def test_an_assessment_that_is_a_step_of_a_published_path_stays_published(
        self, client_of, content, assessment
    ):
        from tests.learning.factories import LearningPathFactory

        client = client_of(content)
        url = reverse("studio_assessment_publish", args=[assessment.pk])
        client.post(url, {"published": "1"})
        path = LearningPathFactory(title="Certified analyst")
        path.steps.create(kind="assessment", ref_id=assessment.pk, position=0)
        path.status = "published"
        path.save()
        page = client.post(url, {"published": "0"}, follow=True).text
        assert "It is a step of published paths: Certified analyst" in page
        assessment.refresh_from_db()
        assert assessment.is_published

    def test_add_questions_from_the_bank(self, client_of, content, assessment, questions, skill):
        tagged = make_question("Tagged question", skills=[skill])
        other = make_question("Other question", kind=QuestionKind.NUMERIC, numeric_answer=1)
        client = client_of(content)
        url = reverse("studio_assessment_edit", args=[assessment.pk])
        page = client.get(url).text
        assert f'name="questions" value="{tagged.pk}"' in page
        assert f'name="questions" value="{questions[0].pk}"' not in page  # already in it
        page = client.get(url, {"skill": skill.pk}).text
        assert f'value="{tagged.pk}"' in page and f'name="questions" value="{other.pk}"' not in page
        response = client.post(
            reverse("studio_assessment_questions_add", args=[assessment.pk]),
            {"questions": [other.pk, tagged.pk], "skill": str(skill.pk), "q": ""},
        )
        assert response.status_code == 302 and response.url == f"{url}?skill={skill.pk}#questions"
        assert item_order(assessment) == [*(q.pk for q in questions), tagged.pk, other.pk]
        assert item_positions(assessment) == [0, 1, 2, 3, 4]

    def test_adding_nothing_or_a_question_already_there_is_refused(
        self, client_of, content, assessment, questions
    ):
        client = client_of(content)
        url = reverse("studio_assessment_questions_add", args=[assessment.pk])
        response = client.post(url, {})
        assert response.status_code == 400 and "Tick the questions to add." in response.text
        response = client.post(url, {"questions": [questions[0].pk]})
        assert response.status_code == 400 and "Select a valid choice" in response.text
        assert assessment.items.count() == 3

    def test_move_without_javascript(self, client_of, content, assessment):
        a, b, c = assessment.items.order_by("position")
        client = client_of(content)
        response = client.post(reverse("studio_assessment_question_move", args=[c.pk]), {"direction": "up"})
        assert response.status_code == 302 and response.url.endswith("#questions")
        assert item_order(assessment) == [a.question_id, c.question_id, b.question_id]
        client.post(reverse("studio_assessment_question_move", args=[a.pk]), {"direction": "up"})  # first
        assert item_order(assessment) == [a.question_id, c.question_id, b.question_id]
        client.post(reverse("studio_assessment_question_move", args=[a.pk]), {"direction": "down"})
        assert item_order(assessment) == [c.question_id, a.question_id, b.question_id]
        assert item_positions(assessment) == [0, 1, 2]

    def test_move_with_htmx_returns_only_the_question_list(self, client_of, content, assessment):
        a, b, c = assessment.items.order_by("position")
        response = client_of(content).post(
            reverse("studio_assessment_question_move", args=[a.pk]), {"direction": "down"}, **HTMX
        )
        assert response.status_code == 200
        assert "<html" not in response.text
        assert response.text.lstrip().startswith('<section class="card stack" id="questions"')
        assert "Questions (3)" in response.text
        assert item_order(assessment) == [b.question_id, a.question_id, c.question_id]

    def test_bad_direction_is_explained(self, client_of, content, assessment):
        item = assessment.items.first()
        response = client_of(content).post(
            reverse("studio_assessment_question_move", args=[item.pk]), {"direction": "sideways"}, **HTMX
        )
        assert response.status_code == 200 and "Move a question up or down." in response.text

    def test_remove_renumbers(self, client_of, content, assessment):
        a, b, c = assessment.items.order_by("position")
        client = client_of(content)
        page = client.get(reverse("studio_assessment_edit", args=[assessment.pk])).text
        assert 'data-confirm="Remove question 1' in page
        response = client.post(reverse("studio_assessment_question_remove", args=[b.pk]), follow=True)
        assert "The question was removed." in response.text
        assert item_order(assessment) == [a.question_id, c.question_id]
        assert item_positions(assessment) == [0, 1]
        assert Question.objects.filter(pk=b.question_id).exists()  # still in the bank

    def test_remove_with_htmx_returns_only_the_question_list(self, client_of, content, assessment):
        a, b, c = assessment.items.order_by("position")
        response = client_of(content).post(reverse("studio_assessment_question_remove", args=[a.pk]), **HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text and "Questions (2)" in response.text
        assert item_order(assessment) == [b.question_id, c.question_id] and item_positions(assessment) == [
            0,
            1,
        ]

    @pytest.mark.parametrize("answered", [True, False])
    def test_a_question_of_a_submitted_attempt_stays(self, client_of, content, assessment, alice, answered):
        submitted_attempt(alice, assessment, answered=answered)
        item = assessment.items.first()
        client = client_of(content)
        response = client.post(reverse("studio_assessment_question_remove", args=[item.pk]), **HTMX)
        assert response.status_code == 200 and "<html" not in response.text
        assert "Learners have submitted attempts with this question" in response.text
        response = client.post(reverse("studio_assessment_question_remove", args=[item.pk]), follow=True)
        assert "Learners have submitted attempts with this question" in response.text
        assert assessment.items.count() == 3

    def test_an_open_attempt_does_not_lock_a_question(self, client_of, content, assessment, alice):
        Attempt.objects.create(
            user=alice, assessment=assessment, number=1, question_order=item_order(assessment)
        )
        item = assessment.items.first()
        client_of(content).post(reverse("studio_assessment_question_remove", args=[item.pk]))
        assert assessment.items.count() == 2

    def test_edit_page_query_count_does_not_grow(
        self, client_of, content, assessment, alice, skill, django_assert_max_num_queries
    ):
        make_question("In the bank", skills=[skill])
        client = client_of(content)
        url = reverse("studio_assessment_edit", args=[assessment.pk])
        # session, user, assessment, its placement paths, items with questions and skills, bank
        # candidates with skills, attempt counts, certifications, and the choices of paths and skills.
        with django_assert_max_num_queries(12) as small:
            assert client.get(url).status_code == 200
        for n in range(20):
            add_item(assessment, make_question(f"Extra {n}", skills=[skill]))
            make_question(f"Bank {n}", skills=[skill])
            make_path(f"Path {n}")
            make_certification(f"Certification {n}", assessments=[assessment])
        submitted_attempt(alice, assessment)
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(url)
        assert response.text.count("/studio/assessments/items/") >= 3 * 23


# --- Certifications and awards ------------------------------------------------------------------------


def certification_data(**changes):
    data = {
        "title": "Certified reporter",
        "description": "Builds dashboards.",
        "criteria": "Pass the exam.",
        "validity_days": "365",
        "reminder_days": "30",
        "recertification_path": "",
    }
    data.update(changes)
    return data


class TestCertifications:
    def test_create_with_requirements(self, client_of, content, assessment):
        path = make_path()
        response = client_of(content).post(
            reverse("studio_certification_new"),
            certification_data(
                required_assessments=[assessment.pk], required_paths=[path.pk], recertification_path=path.pk
            ),
        )
        certification = Certification.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("studio_certification_edit", args=[certification.pk])
        assert (certification.slug, certification.status) == ("certified-reporter", "draft")
        assert list(certification.required_assessments.all()) == [assessment]
        assert list(certification.required_paths.all()) == [path]
        assert certification.recertification_path == path

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"title": ""}, "This field is required"),
            ({"description": ""}, "This field is required"),
            ({"criteria": ""}, "This field is required"),
            ({"validity_days": "0"}, "A certification is valid for at least one day."),
            ({"reminder_days": "365"}, "choose fewer days than it is valid"),
            ({"reminder_days": "-1"}, "greater than or equal to 0"),
            # An award would expire after year 9999: grading the attempt that earns it failed (500).
            ({"validity_days": "3000000"}, "less than or equal to 36500"),
            ({"required_assessments": ["999"]}, "Select a valid choice"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        response = client_of(content).post(reverse("studio_certification_new"), certification_data(**changes))
        assert response.status_code == 400 and message in response.text
        assert not Certification.objects.exists()

    def test_publishing_without_requirements_is_refused(self, client_of, content):
        bare = make_certification("Bare")
        response = client_of(content).post(
            reverse("studio_certification_publish", args=[bare.pk]), {"published": "1"}, follow=True
        )
        assert "Add at least one assessment to pass or path to complete" in response.text
        bare.refresh_from_db()
        assert bare.status == Status.DRAFT

    def test_publishing_with_draft_requirements_is_refused(self, client_of, content, certification):
        response = client_of(content).post(
            reverse("studio_certification_publish", args=[certification.pk]), {"published": "1"}, follow=True
        )
        assert "Publish its requirements first: Reporting check." in response.text
        certification.refresh_from_db()
        assert certification.status == Status.DRAFT

    def test_publish_and_unpublish(self, client_of, content, certification, assessment):
        Assessment.objects.filter(pk=assessment.pk).update(status=Status.PUBLISHED)
        client = client_of(content)
        url = reverse("studio_certification_publish", args=[certification.pk])
        assert "is published" in client.post(url, {"published": "1"}, follow=True).text
        certification.refresh_from_db()
        assert certification.status == Status.PUBLISHED
        page = client.get(reverse("studio_certification_edit", args=[certification.pk])).text
        assert 'data-confirm="Unpublish' in page
        client.post(url, {"published": "0"})
        certification.refresh_from_db()
        assert certification.status == Status.DRAFT

    def test_a_published_certification_keeps_a_requirement(self, client_of, content, certification):
        Certification.objects.filter(pk=certification.pk).update(status=Status.PUBLISHED)
        response = client_of(content).post(
            reverse("studio_certification_edit", args=[certification.pk]), certification_data()
        )
        assert response.status_code == 400 and "A published certification needs at least one" in response.text
        assert certification.required_assessments.count() == 1

    def test_a_published_certification_takes_only_published_requirements(
        self, client_of, content, certification, assessment
    ):
        Certification.objects.filter(pk=certification.pk).update(status=Status.PUBLISHED)
        draft_path = make_path("Draft path", status=Status.DRAFT)
        response = client_of(content).post(
            reverse("studio_certification_edit", args=[certification.pk]),
            certification_data(required_assessments=[assessment.pk], required_paths=[draft_path.pk]),
        )
        assert response.status_code == 400
        assert "Publish these first: Reporting check, Draft path." in response.text
        assert not certification.required_paths.exists()


class TestAwards:
    def test_lists_holders(self, client_of, content, certification, alice, bob, carol):
        make_award(certification, alice)
        make_award(certification, bob, days_ago=400, days_left=-5)
        make_award(certification, carol, revoked=True)
        client = client_of(content)
        url = reverse("studio_certification_awards", args=[certification.pk])
        text = client.get(url).text
        assert "Alice Archer" in text and "Account A" in text and "Bob Baker" in text
        assert "Valid" in text and "Expired" in text and "Shared answers." in text
        assert text.count("Revoke…") == 2  # not for the revoked one
        text = client.get(url, {"status": "expired"}).text
        assert "Bob Baker" in text and "Alice Archer" not in text
        text = client.get(url, {"status": "revoked"}).text
        assert "Carol Chen" in text and "Alice Archer" not in text

    def test_paginates_by_twenty(self, client_of, content, certification):
        for _ in range(23):
            make_award(certification, UserFactory())
        client = client_of(content)
        url = reverse("studio_certification_awards", args=[certification.pk])
        assert "Page 1 of 2" in client.get(url).text
        assert client.get(url, {"page": 2}).text.count("Revoke…") == 3

    def test_revoke_records_the_interaction(self, client_of, content, award, alice):
        client = client_of(content)
        url = reverse("studio_award_revoke", args=[award.pk])
        page = client.get(url).text
        assert 'data-confirm="Revoke the certification of Alice Archer' in page
        response = client.post(url, {"reason": "  Answers were shared.  "})
        assert response.status_code == 302
        assert response.url == reverse("studio_certification_awards", args=[award.certification_id])
        award.refresh_from_db()
        assert award.revoked_at is not None and award.revoke_reason == "Answers were shared."
        interaction = Interaction.objects.get(kind="certification.revoked")
        assert interaction.user_id == alice.pk
        assert interaction.properties == {"award": award.code, "reason": "Answers were shared."}
        assert "The certification of Alice Archer was revoked." in client.get(response.url).text

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
    def test_revoke_needs_a_reason(self, client_of, content, award, reason):
        response = client_of(content).post(
            reverse("studio_award_revoke", args=[award.pk]), {"reason": reason}
        )
        assert response.status_code == 400
        assert "Say why the certification is revoked." in response.text or "at most 300" in response.text
        award.refresh_from_db()
        assert award.revoked_at is None
        assert not Interaction.objects.filter(kind="certification.revoked").exists()

    def test_revoking_twice_is_explained(self, client_of, content, certification, alice):
        revoked = make_award(certification, alice, revoked=True)
        client = client_of(content)
        assert "already revoked" in client.get(reverse("studio_award_revoke", args=[revoked.pk])).text
        response = client.post(reverse("studio_award_revoke", args=[revoked.pk]), {"reason": "Again"})
        assert response.status_code == 400 and "This certification is already revoked." in response.text
        revoked.refresh_from_db()
        assert revoked.revoke_reason == "Shared answers."


# --- Incentives -----------------------------------------------------------------------------------------


class TestPointRules:
    url = reverse("studio_rule_new")

    def test_create(self, client_of, content):
        response = client_of(content).post(
            self.url,
            {
                "kind": "learning.path_completed",
                "points": "50",
                "description": "Finish a path",
                "active": "on",
            },
        )
        assert response.status_code == 302 and response.url.endswith("?tab=points")
        rule = PointRule.objects.get()
        assert (rule.kind, rule.points, rule.description, rule.active) == (
            "learning.path_completed",
            50,
            "Finish a path",
            True,
        )

    def test_choices_are_registered_kinds_but_not_incentives(self, client_of, content):
        page = client_of(content).get(self.url).text
        assert 'value="learning.path_completed"' in page and 'value="assessment.passed"' in page
        assert "incentives." not in page

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"kind": "incentives.points_awarded"}, "Select a valid choice"),
            ({"kind": "made.up"}, "Select a valid choice"),
            ({"kind": ""}, "This field is required"),
            ({"points": "0"}, "Give at least 1 point."),
            ({"points": "10001"}, "Give at most 10,000 points."),
            ({"description": ""}, "This field is required"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        data = {"kind": "assessment.passed", "points": "20", "description": "Pass", "active": "on", **changes}
        response = client_of(content).post(self.url, data)
        assert response.status_code == 400 and message in response.text
        assert not PointRule.objects.exists()

    def test_one_rule_per_kind(self, client_of, content, rule):
        response = client_of(content).post(
            self.url, {"kind": rule.kind, "points": "5", "description": "Again", "active": "on"}
        )
        assert response.status_code == 400 and "There is already a rule for this" in response.text
        assert PointRule.objects.count() == 1

    def test_edit(self, client_of, content, rule):
        response = client_of(content).post(
            reverse("studio_rule_edit", args=[rule.pk]),
            {"kind": rule.kind, "points": "75", "description": "Finish any path"},
        )
        assert response.status_code == 302
        rule.refresh_from_db()
        assert (rule.points, rule.description, rule.active) == (75, "Finish any path", False)

    def test_delete_only_when_never_earned(self, client_of, content, rule, alice):
        client = client_of(content)
        PointEntry.objects.create(user=alice, rule=rule, points=50, subject_type="path", subject_id="1")
        response = client.post(reverse("studio_rule_delete", args=[rule.pk]), follow=True)
        assert "People have earned points from this rule" in response.text
        assert PointRule.objects.filter(pk=rule.pk).exists()
        fresh = make_rule("assessment.passed", 10, description="Pass")
        page = client.get(reverse("studio_rule_edit", args=[fresh.pk])).text
        assert 'data-confirm="Delete the rule' in page
        response = client.post(reverse("studio_rule_delete", args=[fresh.pk]), follow=True)
        assert "was deleted" in response.text and not PointRule.objects.filter(pk=fresh.pk).exists()


class TestBadges:
    url = reverse("studio_badge_new")

    def badge_data(self, **changes):
        return {
            "name": "Pathfinder",
            "description": "Completed three paths.",
            "metric": "kind_count",
            "kind": "learning.path_completed",
            "threshold": "3",
            "active": "on",
            **changes,
        }

    def test_create(self, client_of, content):
        response = client_of(content).post(self.url, self.badge_data())
        assert response.status_code == 302 and response.url.endswith("?tab=badges")
        badge = Badge.objects.get()
        assert (badge.metric, badge.kind, badge.threshold) == ("kind_count", "learning.path_completed", 3)

    def test_a_points_badge_has_no_kind(self, client_of, content):
        client_of(content).post(self.url, self.badge_data(metric="points", threshold="100"))
        assert Badge.objects.get().kind == ""

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"kind": ""}, "Choose which interactions count toward this badge."),
            ({"kind": "incentives.badge_earned"}, "Select a valid choice"),
            ({"threshold": "0"}, "The threshold is at least 1."),
            ({"metric": "streak"}, "Select a valid choice"),
            ({"name": ""}, "This field is required"),
        ],
    )
    def test_bad_input_is_explained_and_nothing_written(self, client_of, content, changes, message):
        response = client_of(content).post(self.url, self.badge_data(**changes))
        assert response.status_code == 400 and message in response.text
        assert not Badge.objects.exists()

    def test_names_are_unique(self, client_of, content, badge):
        response = client_of(content).post(self.url, self.badge_data(name=badge.name))
        assert response.status_code == 400 and "Another badge has this name" in response.text

    def test_delete_only_when_nobody_holds_it(self, client_of, content, badge, alice):
        client = client_of(content)
        BadgeAward.objects.create(badge=badge, user=alice)
        response = client.post(reverse("studio_badge_delete", args=[badge.pk]), follow=True)
        assert "1 person holds this badge" in response.text
        assert Badge.objects.filter(pk=badge.pk).exists()
        fresh = make_badge("Newcomer", threshold=10)
        assert (
            'data-confirm="Delete the badge' in client.get(reverse("studio_badge_edit", args=[fresh.pk])).text
        )
        response = client.post(reverse("studio_badge_delete", args=[fresh.pk]), follow=True)
        assert "was deleted" in response.text and not Badge.objects.filter(pk=fresh.pk).exists()
