"""The learner's assessment pages: catalogue, taking an attempt (htmx autosave and the plain form),
results, achievements, team and account proficiency, and the leaderboard."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from apps.assessments import services
from apps.assessments.models import (
    Answer,
    Assessment,
    AssessmentQuestion,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    Certification,
    IncentivePreference,
    Option,
    PointEntry,
    PointRule,
    Question,
    SkillResult,
)
from apps.interactions.models import Interaction
from apps.learning.models import LearningPath, Skill, SkillArea
from tests.factories import AccountFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}

# --- Data helpers (small on purpose: the shared factories live with the service tests) -------------


def make_skill(name="Dashboards", validity_days=365):
    area, _ = SkillArea.objects.get_or_create(name="Analytics")
    return Skill.objects.create(area=area, name=name, slug=slugify(name), validity_days=validity_days)


def make_question(text, kind="single", options=(), skills=(), points=1, explanation="", **fields):
    question = Question.objects.create(text=text, kind=kind, points=points, explanation=explanation, **fields)
    for position, (option_text, right) in enumerate(options):
        Option.objects.create(question=question, text=option_text, is_correct=right, position=position)
    question.skills.set(skills)
    return question


def make_assessment(title="Dashboard check", questions=(), status="published", **fields):
    fields.setdefault("shuffle_questions", False)
    fields.setdefault("shuffle_options", False)
    assessment = Assessment.objects.create(
        title=title,
        slug=slugify(title),
        status=status,
        published_at=timezone.now() if status == "published" else None,
        description=fields.pop("description", "You will show you can **build dashboards**."),
        **fields,
    )
    for position, question in enumerate(questions):
        AssessmentQuestion.objects.create(assessment=assessment, question=question, position=position)
    return assessment


def make_path(title, skills=(), status="published"):
    path = LearningPath.objects.create(
        title=title, slug=slugify(title), summary="A path.", status=status, published_at=timezone.now()
    )
    path.skills.set(skills)
    return path


def option(question, text) -> Option:
    return question.options.get(text=text)


def record_result(user, skill, score, *, days_ago=0, assessment=None):
    """A graded attempt with one skill result, written directly (fast, for grids and proficiency)."""
    assessment = assessment or make_assessment(f"Check {Assessment.objects.count() + 1}")
    when = timezone.now() - timedelta(days=days_ago)
    attempt = Attempt.objects.create(
        user=user,
        assessment=assessment,
        number=Attempt.objects.filter(user=user, assessment=assessment).count() + 1,
        status=AttemptStatus.SUBMITTED,
        started_at=when,
        submitted_at=when,
        score=Decimal(score),
        passed=score >= assessment.pass_mark,
        skill_scores={str(skill.pk): float(score)},
    )
    SkillResult.objects.create(
        user=user, skill=skill, attempt=attempt, score=Decimal(score), achieved_at=when
    )
    return attempt


def make_skills():
    return {"dashboards": make_skill("Dashboards"), "sharing": make_skill("Sharing")}


def make_quiz(skills):
    """Four questions, one of each kind; the right answers are 'Line chart', 'Dashboards' +
    'Reports', 1234.5 and 'False'."""
    single = make_question(
        "Which chart shows a **trend**?",
        options=[("Line chart", True), ("Pie chart", False)],
        skills=[skills["dashboards"]],
        explanation="Lines show change over time.",
    )
    multiple = make_question(
        "What can you share?",
        kind="multiple",
        options=[("Dashboards", True), ("Reports", True), ("Passwords", False)],
        skills=[skills["sharing"]],
    )
    numeric = make_question(
        "Type the magic number.",
        kind="numeric",
        numeric_answer=Decimal("1234.5"),
        numeric_tolerance=Decimal("0.1"),
        skills=[skills["dashboards"]],
    )
    true_false = make_question(
        "Drafts are visible to learners.",
        kind="true_false",
        options=[("True", False), ("False", True)],
        skills=[skills["sharing"]],
    )
    return make_assessment(questions=[single, multiple, numeric, true_false])


@pytest.fixture
def skills(db):
    return make_skills()


@pytest.fixture
def quiz(skills):
    return make_quiz(skills)


def questions_of(assessment):
    return {q.kind: q for q in assessment.questions.all()}


def answer_all_right(attempt, user):
    q = questions_of(attempt.assessment)
    save = services.answer_save
    save(
        attempt=attempt,
        user=user,
        question_id=q["single"].pk,
        selected=[option(q["single"], "Line chart").pk],
    )
    save(
        attempt=attempt,
        user=user,
        question_id=q["multiple"].pk,
        selected=[option(q["multiple"], "Dashboards").pk, option(q["multiple"], "Reports").pk],
    )
    save(attempt=attempt, user=user, question_id=q["numeric"].pk, numeric_raw="1234.5")
    save(
        attempt=attempt,
        user=user,
        question_id=q["true_false"].pk,
        selected=[option(q["true_false"], "False").pk],
    )


@pytest.fixture
def attempt(quiz, alice):
    return services.attempt_start(user=alice, assessment=quiz)


def answer_url(attempt):
    return reverse("attempt_answer", args=[attempt.pk])


# --- Catalogue -----------------------------------------------------------------------------------


class TestAssessmentList:
    url = reverse("assessment_list")

    def test_lists_published_with_my_record(self, client_of, alice, quiz):
        make_assessment("Secret draft", status="draft")
        quiz.attempt_limit, quiz.time_limit_minutes = 3, 20
        quiz.save()
        record_result(alice, Skill.objects.first(), 90, assessment=quiz)
        text = client_of(alice).get(self.url).text
        assert "Dashboard check" in text and "Secret draft" not in text
        assert "4 questions" in text and "20 min" in text
        assert "✓ Passed" in text and "Best score 90%" in text
        assert "2 of 3 attempts left" in text

    def test_open_attempt_can_be_resumed(self, client_of, alice, attempt):
        text = client_of(alice).get(self.url).text
        assert reverse("attempt_take", args=[attempt.pk]) in text and "resume" in text

    def test_content_admin_sees_drafts(self, client_of, content):
        make_assessment("Secret draft", status="draft")
        assert "Secret draft" in client_of(content).get(self.url).text

    def test_empty_state(self, client_of, alice):
        assert "There are no assessments yet" in client_of(alice).get(self.url).text

    def test_anonymous_is_sent_to_sign_in(self, client, db):
        assert client.get(self.url).status_code == 302

    def test_query_count_does_not_grow(self, client_of, alice, quiz, django_assert_max_num_queries):
        client = client_of(alice)
        services.attempt_start(user=alice, assessment=quiz)
        with django_assert_max_num_queries(5):
            client.get(self.url)
        skill = Skill.objects.first()
        for n in range(10):
            other = make_assessment(f"Extra {n}", questions=[make_question(f"Q{n}", options=[("A", True)])])
            record_result(alice, skill, 40, assessment=other)
            services.attempt_start(user=alice, assessment=other)
        with django_assert_max_num_queries(5):
            assert client.get(self.url).text.count("resume") == 11


class TestAssessmentDetail:
    def test_shows_description_rules_and_history(self, client_of, alice, quiz):
        quiz.attempt_limit, quiz.cooldown_hours = 3, 0
        quiz.save()
        first = record_result(alice, Skill.objects.first(), 40, assessment=quiz)
        text = client_of(alice).get(quiz.get_absolute_url()).text
        assert "<strong>build dashboards</strong>" in text
        assert "Pass mark" in text and "70%" in text and "1 of 3 used" in text
        assert reverse("attempt_result", args=[first.pk]) in text and "Not passed" in text
        assert "Start a new attempt" in text

    def test_limit_reached_is_said_and_start_refused(self, client_of, alice, quiz):
        quiz.attempt_limit = 1
        quiz.save()
        record_result(alice, Skill.objects.first(), 40, assessment=quiz)
        client = client_of(alice)
        text = client.get(quiz.get_absolute_url()).text
        assert "You have used all 1 attempts" in text and "Start a new attempt" not in text
        response = client.post(reverse("assessment_start", args=[quiz.slug]), follow=True)
        assert "You have used all 1 attempts" in response.text
        assert Attempt.objects.filter(user=alice).count() == 1

    def test_cooldown_is_said(self, client_of, alice, quiz):
        quiz.cooldown_hours = 24
        quiz.save()
        record_result(alice, Skill.objects.first(), 40, assessment=quiz)
        client = client_of(alice)
        assert "You can try again from" in client.get(quiz.get_absolute_url()).text
        response = client.post(reverse("assessment_start", args=[quiz.slug]), follow=True)
        assert "You can try again from" in response.text
        assert not Attempt.objects.filter(user=alice, status=AttemptStatus.IN_PROGRESS).exists()

    def test_draft_is_404_for_learners(self, client_of, alice):
        draft = make_assessment("Secret draft", status="draft")
        client = client_of(alice)
        assert client.get(draft.get_absolute_url()).status_code == 404
        assert client.post(reverse("assessment_start", args=[draft.slug])).status_code == 404


class TestStart:
    def test_start_then_resume_the_same_attempt(self, client_of, alice, quiz):
        client = client_of(alice)
        url = reverse("assessment_start", args=[quiz.slug])
        response = client.post(url)
        attempt = Attempt.objects.get(user=alice)
        assert response.status_code == 302 and response["Location"] == attempt.get_absolute_url()
        assert client.post(url)["Location"] == attempt.get_absolute_url()
        assert Attempt.objects.filter(user=alice).count() == 1
        assert "Resume attempt 1" in client.get(quiz.get_absolute_url()).text

    def test_needs_post(self, client_of, alice, quiz):
        assert client_of(alice).get(reverse("assessment_start", args=[quiz.slug])).status_code == 405


# --- Taking an attempt ---------------------------------------------------------------------------


class TestTake:
    def test_shows_each_kind_of_question_with_saved_answers(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)
        services.answer_save(
            attempt=attempt,
            user=alice,
            question_id=q["single"].pk,
            selected=[option(q["single"], "Pie chart").pk],
        )
        services.answer_save(attempt=attempt, user=alice, question_id=q["numeric"].pk, numeric_raw="12.50")
        text = client_of(alice).get(attempt.get_absolute_url()).text
        assert "<strong>trend</strong>" in text  # markdown
        assert f'type="radio" name="q{q["single"].pk}-option"' in text
        assert f'type="checkbox" name="q{q["multiple"].pk}-option"' in text
        assert f'type="radio" name="q{q["true_false"].pk}-option"' in text
        assert 'inputmode="decimal"' in text and 'value="12.5"' in text
        assert f'value="{option(q["single"], "Pie chart").pk}" checked' in text
        assert f'hx-post="{answer_url(attempt)}"' in text and 'hx-trigger="change"' in text
        assert "Save answers" in text and "Submit for grading" in text
        assert 'data-confirm="Submit your answers? You cannot change them afterwards."' in text

    def test_page_does_not_give_the_answers_away(self, client_of, alice, attempt):
        text = client_of(alice).get(attempt.get_absolute_url()).text
        assert "is_correct" not in text and "correct" not in text.lower()
        assert "1234.5" not in text  # the numeric answer
        assert "Lines show change over time" not in text  # explanations wait for the result

    def test_shows_time_left(self, client_of, alice, quiz):
        quiz.time_limit_minutes = 30
        quiz.save()
        attempt = services.attempt_start(user=alice, assessment=quiz)
        text = client_of(alice).get(attempt.get_absolute_url()).text
        assert "Time left" in text and 'data-seconds-left="' in text and "js/assessments.js" in text

    def test_overdue_attempt_is_graded_and_result_shown(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)
        services.answer_save(
            attempt=attempt,
            user=alice,
            question_id=q["single"].pk,
            selected=[option(q["single"], "Line chart").pk],
        )
        Attempt.objects.filter(pk=attempt.pk).update(deadline_at=timezone.now() - timedelta(minutes=5))
        response = client_of(alice).get(attempt.get_absolute_url(), follow=True)
        assert response.redirect_chain[-1][0] == reverse("attempt_result", args=[attempt.pk])
        assert "Time ran out; your saved answers were graded." in response.text
        attempt.refresh_from_db()
        assert attempt.status == AttemptStatus.SUBMITTED and attempt.points_earned == 1

    def test_submitted_attempt_redirects_to_result(self, client_of, alice, attempt):
        services.attempt_submit(attempt=attempt, user=alice)
        response = client_of(alice).get(attempt.get_absolute_url())
        assert response["Location"] == reverse("attempt_result", args=[attempt.pk])

    def test_it_checks_ownership(self, client_of, bob, alice, attempt):
        client = client_of(bob)
        q = questions_of(attempt.assessment)["single"]
        assert client.get(attempt.get_absolute_url()).status_code == 404
        assert client.get(reverse("attempt_result", args=[attempt.pk])).status_code == 404
        data = {"question": q.pk, "option": [option(q, "Line chart").pk]}
        assert client.post(answer_url(attempt), data).status_code == 404
        assert client.post(answer_url(attempt), data, **HTMX).status_code == 404
        assert client.post(reverse("attempt_submit", args=[attempt.pk])).status_code == 404
        attempt.refresh_from_db()
        assert attempt.is_open and not attempt.answers.exists()

    def test_query_count_does_not_grow(self, client_of, alice, skills, django_assert_max_num_queries):
        def sized(n, title):
            questions = [
                make_question(f"{title} {i}", options=[("A", True), ("B", False)], skills=[skills["sharing"]])
                for i in range(n)
            ]
            return services.attempt_start(user=alice, assessment=make_assessment(title, questions=questions))

        small, large = sized(3, "Small"), sized(13, "Large")
        client = client_of(alice)
        with django_assert_max_num_queries(6):
            client.get(small.get_absolute_url())
        with django_assert_max_num_queries(6):
            assert client.get(large.get_absolute_url()).text.count('type="radio"') == 26


class TestAnswer:
    def test_htmx_autosave_returns_the_status_partial(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)["multiple"]
        chosen = [option(q, "Dashboards").pk, option(q, "Passwords").pk]
        # what the page's fieldset sends: the whole form, with `question` narrowed by hx-vals
        response = client_of(alice).post(
            answer_url(attempt), {"question": q.pk, f"q{q.pk}-option": chosen}, **HTMX
        )
        assert response.status_code == 200
        assert "<html" not in response.text and "Saved ✓" in response.text
        assert f'id="answer-status-{q.pk}"' in response.text
        assert Answer.objects.get(attempt=attempt, question=q).selected == sorted(chosen)

    def test_single_question_shape(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)["numeric"]
        response = client_of(alice).post(answer_url(attempt), {"question": q.pk, "numeric": "1,234.5"})
        assert response["Location"] == attempt.get_absolute_url()
        assert Answer.objects.get(attempt=attempt, question=q).numeric_value == Decimal("1234.5")

    def test_plain_form_saves_every_question(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)
        data = {
            "question": [q[k].pk for k in ("single", "multiple", "numeric", "true_false")],
            f"q{q['single'].pk}-option": option(q["single"], "Line chart").pk,
            f"q{q['multiple'].pk}-option": [option(q["multiple"], "Dashboards").pk],
            f"q{q['numeric'].pk}-numeric": "7",
            f"q{q['true_false'].pk}-numeric": "",  # untouched: nothing saved for it
        }
        response = client_of(alice).post(answer_url(attempt), data, follow=True)
        assert "Your answers are saved." in response.text
        saved = {a.question_id: a for a in attempt.answers.all()}
        assert set(saved) == {q["single"].pk, q["multiple"].pk, q["numeric"].pk}
        assert saved[q["numeric"].pk].numeric_value == 7

    def test_plain_form_can_clear_an_answer(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)["multiple"]
        services.answer_save(
            attempt=attempt, user=alice, question_id=q.pk, selected=[option(q, "Reports").pk]
        )
        other = questions_of(attempt.assessment)["single"]
        client_of(alice).post(answer_url(attempt), {"question": [q.pk, other.pk]})
        assert Answer.objects.get(attempt=attempt, question=q).selected == []

    def test_plain_form_reports_the_bad_question_and_saves_the_others(self, client_of, alice, attempt):
        q = questions_of(attempt.assessment)
        data = {
            "question": [q["single"].pk, q["numeric"].pk],
            f"q{q['single'].pk}-option": option(q["single"], "Line chart").pk,
            f"q{q['numeric'].pk}-numeric": "twelve",
        }
        text = client_of(alice).post(answer_url(attempt), data, follow=True).text
        assert "Enter a number, such as 42 or 3.5. (question 3)" in text
        assert list(attempt.answers.values_list("question_id", flat=True)) == [q["single"].pk]

    @pytest.mark.parametrize("tamper", ["foreign_question", "foreign_option", "two_singles", "not_a_number"])
    def test_tampered_answers_are_refused(self, client_of, alice, attempt, tamper):
        q = questions_of(attempt.assessment)
        stranger = make_question("Not in this attempt", options=[("Yes", True)])
        data = {
            "foreign_question": {"question": stranger.pk, "option": [option(stranger, "Yes").pk]},
            "foreign_option": {"question": q["single"].pk, "option": [option(stranger, "Yes").pk]},
            "two_singles": {
                "question": q["single"].pk,
                "option": [option(q["single"], "Line chart").pk, option(q["single"], "Pie chart").pk],
            },
            "not_a_number": {"question": q["numeric"].pk, "numeric": "12abc"},
        }[tamper]
        client = client_of(alice)
        response = client.post(answer_url(attempt), data, **HTMX)
        assert response.status_code == 400 and "<html" not in response.text
        assert "field__error" in response.text
        plain = client.post(answer_url(attempt), data, follow=True)
        assert plain.redirect_chain[0][1] == 302 and 'class="message message--error"' in plain.text
        assert not Answer.objects.filter(question=stranger).exists()
        assert not attempt.answers.exists()

    def test_malformed_question_id_is_400(self, client_of, alice, attempt):
        response = client_of(alice).post(answer_url(attempt), {"question": "x"}, **HTMX)
        assert response.status_code == 400 and not attempt.answers.exists()

    def test_number_that_rounds_past_the_stored_precision_is_refused_not_a_500(
        self, client_of, alice, attempt
    ):
        q = questions_of(attempt.assessment)["numeric"]
        data = {"question": q.pk, "numeric": "999999999999.9999999"}
        response = client_of(alice).post(answer_url(attempt), data, **HTMX)
        assert response.status_code == 400 and "Enter a number" in response.text
        assert not attempt.answers.exists()

    def test_answer_after_the_deadline_is_refused(self, client_of, alice, quiz):
        quiz.time_limit_minutes = 10
        quiz.save()
        attempt = services.attempt_start(user=alice, assessment=quiz)
        Attempt.objects.filter(pk=attempt.pk).update(deadline_at=timezone.now() - timedelta(minutes=1))
        q = questions_of(quiz)["single"]
        response = client_of(alice).post(
            answer_url(attempt), {"question": q.pk, "option": [option(q, "Line chart").pk]}, **HTMX
        )
        assert response.status_code == 400 and "Time is up" in response.text
        assert not attempt.answers.exists()

    def test_answer_after_submission_is_refused(self, client_of, alice, attempt):
        services.attempt_submit(attempt=attempt, user=alice)
        q = questions_of(attempt.assessment)["single"]
        response = client_of(alice).post(
            answer_url(attempt), {"question": q.pk, "option": [option(q, "Line chart").pk]}, **HTMX
        )
        assert response.status_code == 400 and "already submitted" in response.text

    def test_needs_post(self, client_of, alice, attempt):
        assert client_of(alice).get(answer_url(attempt)).status_code == 405


class TestSubmit:
    def test_submit_grades_once(self, client_of, alice, attempt):
        answer_all_right(attempt, alice)
        client = client_of(alice)
        url = reverse("attempt_submit", args=[attempt.pk])
        response = client.post(url, follow=True)
        assert response.redirect_chain[-1][0] == reverse("attempt_result", args=[attempt.pk])
        assert "Your answers are graded: 100% — you passed." in response.text
        again = client.post(url, follow=True)
        assert again.redirect_chain[-1][0] == reverse("attempt_result", args=[attempt.pk])
        assert "already submitted and graded" in again.text
        assert Interaction.objects.filter(kind="assessment.submitted", user=alice).count() == 1
        assert SkillResult.objects.filter(attempt=attempt).count() == 2

    def test_certification_earned_is_announced(self, client_of, alice, attempt):
        certification = Certification.objects.create(
            title="Certified analyst",
            slug="certified-analyst",
            description="-",
            criteria="-",
            status="published",
        )
        certification.required_assessments.add(attempt.assessment)
        answer_all_right(attempt, alice)
        response = client_of(alice).post(reverse("attempt_submit", args=[attempt.pk]), follow=True)
        assert "You earned the certification “Certified analyst”." in response.text
        assert Award.objects.filter(user=alice, certification=certification).count() == 1


# --- Results -------------------------------------------------------------------------------------


class TestResult:
    def test_score_skills_weak_paths_and_answers(self, client_of, alice, attempt, skills):
        teaching = make_path("Sharing made simple", skills=[skills["sharing"]])
        make_path("Unpublished sharing", skills=[skills["sharing"]], status="draft")
        q = questions_of(attempt.assessment)
        services.answer_save(
            attempt=attempt,
            user=alice,
            question_id=q["single"].pk,
            selected=[option(q["single"], "Line chart").pk],
        )
        services.answer_save(attempt=attempt, user=alice, question_id=q["numeric"].pk, numeric_raw="1234.45")
        services.answer_save(
            attempt=attempt,
            user=alice,
            question_id=q["true_false"].pk,
            selected=[option(q["true_false"], "True").pk],
        )
        services.attempt_submit(attempt=attempt, user=alice)
        text = client_of(alice).get(reverse("attempt_result", args=[attempt.pk])).text
        assert "50%" in text and "Pass mark 70%" in text and "Not passed" in text and "2 / 4" in text
        assert "Expert" in text and "Novice" in text  # dashboards 100%, sharing 0%
        assert teaching.get_absolute_url() in text and "Unpublished sharing" not in text
        assert "✓ Right" in text and "✗ Wrong" in text and "Not answered" in text
        assert "Lines show change over time." in text and "1234.5" in text
        assert "Try again" in text

    def test_placement_test_suggests_a_path(self, client_of, alice, skills):
        beginner = make_path("Start here", skills=[skills["dashboards"]])
        question = make_question("Pick A", options=[("A", True), ("B", False)], skills=[skills["dashboards"]])
        placement = make_assessment("Where do I start", questions=[question], kind="placement")
        placement.placement_paths.add(beginner)
        attempt = services.attempt_start(user=alice, assessment=placement)
        services.attempt_submit(attempt=attempt, user=alice)
        text = client_of(alice).get(reverse("attempt_result", args=[attempt.pk])).text
        assert "Your score suggests this path" in text and beginner.get_absolute_url() in text

    def test_no_try_again_when_the_limit_is_reached(self, client_of, alice, quiz):
        quiz.attempt_limit = 1
        quiz.save()
        attempt = services.attempt_start(user=alice, assessment=quiz)
        services.attempt_submit(attempt=attempt, user=alice)
        text = client_of(alice).get(reverse("attempt_result", args=[attempt.pk])).text
        assert "Try again" not in text and "You have used all 1 attempts" in text

    def test_open_attempt_has_no_result_yet(self, client_of, alice, attempt):
        response = client_of(alice).get(reverse("attempt_result", args=[attempt.pk]))
        assert response["Location"] == attempt.get_absolute_url()


# --- Achievements and proficiency ---------------------------------------------------------------


class TestSkillsMine:
    url = reverse("skills_mine")

    def test_levels_with_unverified_explained(self, client_of, alice):
        recent = make_skill("Alerts")
        old = make_skill("Imports", validity_days=30)
        record_result(alice, recent, 85)
        record_result(alice, old, 90, days_ago=60)
        text = client_of(alice).get(self.url).text
        assert "Alerts" in text and "Expert" in text and "85%" in text
        assert "Unverified" in text and "older than 30 days" in text

    def test_certifications_earned_and_in_progress(self, client_of, alice, quiz):
        earned = Certification.objects.create(
            title="Dashboard pro", slug="dashboard-pro", description="-", criteria="-", status="published"
        )
        Award.objects.create(certification=earned, user=alice, expires_at=timezone.now() + timedelta(days=30))
        pending = Certification.objects.create(
            title="Sharing pro", slug="sharing-pro", description="-", criteria="-", status="published"
        )
        pending.required_assessments.add(quiz)
        pending.required_paths.add(make_path("Sharing made simple"))
        award = Award.objects.get(user=alice)
        text = client_of(alice).get(self.url).text
        assert "Dashboard pro" in text and "✓ Valid" in text
        assert f"/verify/{award.code}/" in text
        assert "Sharing pro" in text and "0 of 2 requirements met" in text
        assert quiz.get_absolute_url() in text and "To do" in text

    def test_expired_and_revoked(self, client_of, alice):
        certification = Certification.objects.create(
            title="Dashboard pro", slug="dashboard-pro", description="-", criteria="-", status="published"
        )
        Award.objects.create(
            certification=certification,
            user=alice,
            issued_at=timezone.now() - timedelta(days=60),
            expires_at=timezone.now() - timedelta(days=1),
        )
        assert "Expired" in client_of(alice).get(self.url).text

    def test_points_and_badges(self, client_of, alice, attempt):
        PointRule.objects.create(kind="assessment.submitted", points=25, description="Submit an assessment")
        Badge.objects.create(name="First steps", description="Your first points", threshold=10)
        services.attempt_submit(attempt=attempt, user=alice)
        text = client_of(alice).get(self.url).text
        assert ">25<" in text and "First steps" in text and reverse("leaderboard") in text

    def test_empty(self, client_of, alice):
        text = client_of(alice).get(self.url).text
        assert "No skills assessed yet" in text and "No certifications yet" in text


class TestSkillsTeam:
    url = reverse("skills_team")

    def test_grid_of_my_team_only(self, client_of, carol, alice, bob, skills):
        record_result(alice, skills["dashboards"], 60)
        record_result(bob, skills["sharing"], 95)
        text = client_of(carol).get(self.url).text
        assert "Alice Archer" in text and "Practitioner" in text
        assert "Bob Baker" not in text and "Sharing" not in text

    def test_team_certifications(self, client_of, carol, alice, bob):
        certification = Certification.objects.create(
            title="Dashboard pro", slug="dashboard-pro", description="-", criteria="-", status="published"
        )
        for person in (alice, bob):
            Award.objects.create(
                certification=certification, user=person, expires_at=timezone.now() + timedelta(1)
            )
        text = client_of(carol).get(self.url).text
        assert "Dashboard pro" in text and "Alice Archer" in text and "Bob Baker" not in text

    @pytest.mark.parametrize("who", ["alice", "csm", "content", "dana_of_b"])
    def test_only_customer_admins(self, client_of, request, who, dana):
        if who == "dana_of_b":  # a customer admin sees their own account's page
            assert client_of(dana).get(self.url).status_code == 200
            return
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_query_count_does_not_grow(self, client_of, carol, alice, skills, django_assert_max_num_queries):
        certification = Certification.objects.create(
            title="Dashboard pro", slug="dashboard-pro", description="-", criteria="-", status="published"
        )
        record_result(alice, skills["dashboards"], 60)
        client = client_of(carol)
        with django_assert_max_num_queries(9):
            client.get(self.url)
        for n in range(10):
            member = UserFactory(account=carol.account, full_name=f"Member {n}")
            record_result(member, skills["sharing"], 50 + n)
            Award.objects.create(
                certification=certification, user=member, expires_at=timezone.now() + timedelta(1)
            )
        with django_assert_max_num_queries(9):
            assert "Member 9" in client.get(self.url).text


class TestSkillsAccounts:
    url = reverse("skills_accounts")

    def test_share_per_account_and_skill(self, client_of, csm, alice, carol, skills):
        AccountFactory(name="Empty Co")
        record_result(alice, skills["dashboards"], 60)
        record_result(carol, skills["dashboards"], 30)
        client = client_of(csm)
        text = client.get(self.url).text
        assert "Account A" in text and "1 (50%)" in text  # alice of alice+carol is a practitioner
        assert "Empty Co" in text and "no data" in text
        expert = client.get(self.url, {"target": "expert"}).text
        assert "0 (0%)" in expert and "1 (50%)" not in expert
        assert "1 (50%)" in client.get(self.url, {"target": "wizard"}).text  # invalid -> practitioner

    def test_htmx_returns_the_grid(self, client_of, csm, alice, skills):
        record_result(alice, skills["dashboards"], 60)
        response = client_of(csm).get(self.url, {"target": "novice"}, **HTMX)
        assert "<html" not in response.text and 'id="grid"' in response.text and "Account A" in response.text

    def test_paginates_accounts(self, client_of, csm):
        for n in range(30):
            AccountFactory(name=f"Customer {n:02}")
        client = client_of(csm)
        first = client.get(self.url).text
        assert "Customer 00" in first and "Customer 29" not in first and "Page 1 of 2" in first
        assert "Customer 29" in client.get(self.url, {"page": 2}).text

    @pytest.mark.parametrize("who", ["alice", "carol", "content"])
    def test_only_cs_managers(self, client_of, request, who):
        assert client_of(request.getfixturevalue(who)).get(self.url).status_code == 403

    def test_query_count_does_not_grow(self, client_of, csm, alice, skills, django_assert_max_num_queries):
        record_result(alice, skills["dashboards"], 60)
        client = client_of(csm)
        with django_assert_max_num_queries(10):
            client.get(self.url)
        for n in range(10):
            person = UserFactory(account=AccountFactory(name=f"Customer {n:02}"))
            record_result(person, skills["sharing"], 90)
        with django_assert_max_num_queries(10):
            assert "Customer 09" in client.get(self.url).text


class TestLeaderboard:
    url = reverse("leaderboard")

    @pytest.fixture
    def points(self, alice, carol, bob):
        rule = PointRule.objects.create(kind="learning.path_completed", points=10, description="-")
        for user, n in ((alice, 3), (carol, 1), (bob, 5)):
            for i in range(n):
                PointEntry.objects.create(
                    user=user, account=user.account, rule=rule, points=10, subject_id=str(i)
                )

    def test_account_board_and_opt_in_global_board(self, client_of, alice, bob, points):
        IncentivePreference.objects.create(user=bob, global_leaderboard=True)
        client = client_of(alice)
        text = client.get(self.url).text
        assert "Alice Archer</strong>" in text and "Carol Chen" in text  # my account, me highlighted
        assert "Bob Baker" in text  # opted in to the global board
        assert "Join the global leaderboard" in text
        response = client.post(self.url, {"global_leaderboard": "on"}, follow=True)
        assert "You now appear on the leaderboard across all customers." in response.text
        assert IncentivePreference.objects.get(user=alice).global_leaderboard is True
        assert "Leave the global leaderboard" in response.text
        client.post(self.url, {})
        assert IncentivePreference.objects.get(user=alice).global_leaderboard is False

    def test_my_row_shows_when_i_rank_below_the_top(self, client_of, alice):
        rule = PointRule.objects.create(kind="learning.path_completed", points=10, description="-")
        PointEntry.objects.create(user=alice, account=alice.account, rule=rule, points=5)
        for n in range(21):
            colleague = UserFactory(account=alice.account, full_name=f"Colleague {n:02}")
            PointEntry.objects.create(user=colleague, account=alice.account, rule=rule, points=100)
        text = client_of(alice).get(self.url).text
        assert "Colleague 19" in text and "Colleague 20" not in text  # the top 20
        assert "<strong>22</strong>" in text and "<strong>Alice Archer</strong>" in text

    def test_people_who_did_not_opt_in_stay_off_the_global_board(self, client_of, bob, points):
        text = client_of(bob).get(self.url).text
        assert "Alice Archer" not in text and "Nobody has joined the global leaderboard yet." in text

    def test_vendor_staff_see_only_the_global_board(self, client_of, csm, bob, points):
        IncentivePreference.objects.create(user=bob, global_leaderboard=True)
        client = client_of(csm)
        text = client.get(self.url).text
        assert "Bob Baker" in text and "At " not in text and "Join the global" not in text
        assert client.post(self.url, {"global_leaderboard": "on"}).status_code == 403


def test_navigation_links(client_of, alice, csm):
    text = client_of(alice).get(reverse("assessment_list")).text
    # Skills is the section in the bar; its pages carry tabs for assessments and the leaderboard.
    assert ">Skills</a>" in text and ">Assessments</a>" in text and ">Leaderboard</a>" in text
    # For CS managers, skills across customers is a tab of the Health section.
    assert ">Health</a>" in client_of(csm).get(reverse("home")).text
    assert ">Skills</a>" in client_of(csm).get(reverse("skills_accounts")).text
