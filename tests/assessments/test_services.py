"""Tests of apps/assessments/services.py, selectors.py (proficiency, leaderboards) and tasks.py."""

import random
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import Account
from apps.accounts.services import PermissionDenied
from apps.assessments import kinds, selectors, services, tasks
from apps.assessments.models import (
    Answer,
    Attempt,
    AttemptStatus,
    Award,
    BadgeAward,
    IncentivePreference,
    PointEntry,
    QuestionKind,
    SkillResult,
)
from apps.assessments.services import AssessmentError
from apps.interactions.models import Interaction
from apps.interactions.services import record
from apps.learning import kinds as learning_kinds
from apps.learning import services as learning_services
from apps.learning.models import Enrolment, PathStep, StepCompletion, StepKind
from tests.assessments.factories import (
    AssessmentFactory,
    AttemptFactory,
    AwardFactory,
    BadgeFactory,
    CertificationFactory,
    PointRuleFactory,
    QuestionFactory,
)
from tests.factories import AccountFactory, UserFactory
from tests.learning.factories import (
    ContentItemFactory,
    EnrolmentFactory,
    LearningPathFactory,
    SkillFactory,
)


def logged(kind, user=None):
    rows = Interaction.objects.filter(kind=kind.name)
    return rows.filter(user=user) if user is not None else rows


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def right_answer(question) -> dict:
    if question.kind == QuestionKind.NUMERIC:
        return {"numeric_raw": str(question.numeric_answer)}
    return {"selected": [o.pk for o in question.options.all() if o.is_correct]}


def wrong_answer(question) -> dict:
    if question.kind == QuestionKind.NUMERIC:
        return {"numeric_raw": "-1"}
    return {"selected": [next(o.pk for o in question.options.all() if not o.is_correct)]}


def take(user, assessment, *, right=True) -> Attempt:
    """Start, answer every question (all right or all wrong) and submit, through the services."""
    attempt = services.attempt_start(user=user, assessment=assessment)
    for question in assessment.questions.prefetch_related("options"):
        answer = right_answer(question) if right else wrong_answer(question)
        services.answer_save(attempt=attempt, user=user, question_id=question.pk, **answer)
    return services.attempt_submit(attempt=attempt, user=user)


def complete_path(user, path):
    """Enrol and do every content step of the path through the learning services."""
    learning_services.path_enrol(user=user, path=path)
    for step in path.steps.filter(kind=StepKind.CONTENT):
        learning_services.content_complete(user=user, content=step.content)


@pytest.fixture
def mixed(db):
    """An assessment with one question of each kind, on two skills; 1 + 2 + 1 + 1 = 5 points."""
    dashboards, charts = SkillFactory(name="Dashboards"), SkillFactory(name="Charts")
    single = QuestionFactory(skills=[dashboards])
    multiple = QuestionFactory(multiple=True, partial_credit=True, points=2, skills=[dashboards, charts])
    numeric = QuestionFactory(numeric=True, skills=[charts])
    true_false = QuestionFactory(true_false=True, skills=[charts])
    assessment = AssessmentFactory(questions=[single, multiple, numeric, true_false], pass_mark=60)
    return {
        "assessment": assessment,
        "single": single,
        "multiple": multiple,
        "numeric": numeric,
        "true_false": true_false,
        "dashboards": dashboards,
        "charts": charts,
    }


# --- attempt_start -------------------------------------------------------------------------------


def test_attempt_start_refuses_an_unpublished_assessment(alice):
    assessment = AssessmentFactory(draft=True)
    with pytest.raises(AssessmentError, match="not open"):
        services.attempt_start(user=alice, assessment=assessment)
    assert not Attempt.objects.exists()


def test_attempt_start_refuses_an_assessment_without_questions(alice):
    with pytest.raises(AssessmentError, match="no questions"):
        services.attempt_start(user=alice, assessment=AssessmentFactory(questions=[]))
    assert not Attempt.objects.exists()


def test_attempt_start_draws_and_keeps_the_order_and_records_the_start(alice, mixed):
    assessment = mixed["assessment"]
    attempt = services.attempt_start(user=alice, assessment=assessment, rng=random.Random(3))
    assert attempt.number == 1 and attempt.is_open
    assert sorted(attempt.question_order) == sorted(assessment.items.values_list("question_id", flat=True))
    assert set(attempt.option_order) == {str(q) for q in attempt.question_order if q != mixed["numeric"].pk}
    multiple = mixed["multiple"]
    assert sorted(attempt.option_order[str(multiple.pk)]) == sorted(
        multiple.options.values_list("pk", flat=True)
    )
    started = logged(kinds.ASSESSMENT_STARTED, alice).get()
    assert (started.subject_type, started.subject_id) == ("assessments.assessment", str(assessment.pk))
    assert started.properties == {"attempt": 1}
    assert started.account_id == alice.account_id


def test_resume_returns_the_open_attempt_with_the_same_order(alice, mixed):
    first = services.attempt_start(user=alice, assessment=mixed["assessment"], rng=random.Random(1))
    again = services.attempt_start(user=alice, assessment=mixed["assessment"], rng=random.Random(99))
    assert again.pk == first.pk
    assert (again.question_order, again.option_order) == (first.question_order, first.option_order)
    assert Attempt.objects.count() == 1
    assert logged(kinds.ASSESSMENT_STARTED).count() == 1


def test_the_attempt_limit_is_enforced(alice):
    assessment = AssessmentFactory(attempt_limit=2)
    take(alice, assessment, right=False)
    take(alice, assessment, right=False)
    with pytest.raises(AssessmentError, match="used all 2 attempts"):
        services.attempt_start(user=alice, assessment=assessment)
    assert Attempt.objects.filter(user=alice).count() == 2


def test_the_cooldown_says_when_to_try_again(alice, bob):
    assessment = AssessmentFactory(cooldown_hours=24)
    graded = take(alice, assessment, right=False)
    with pytest.raises(AssessmentError, match=r"You can try again from \d\d \w{3} \d{4}, \d\d:\d\d"):
        services.attempt_start(user=alice, assessment=assessment)
    services.attempt_start(user=bob, assessment=assessment)  # the cooldown is per person

    Attempt.objects.filter(pk=graded.pk).update(submitted_at=ago(hours=25), started_at=ago(hours=26))
    assert services.attempt_start(user=alice, assessment=assessment).number == 2


def test_an_overdue_open_attempt_is_graded_on_the_next_start(alice, mixed):
    assessment = mixed["assessment"]
    assessment.time_limit_minutes = 10
    assessment.save()
    first = services.attempt_start(user=alice, assessment=assessment)
    assert first.deadline_at is not None
    single = mixed["single"]
    services.answer_save(attempt=first, user=alice, question_id=single.pk, **right_answer(single))
    Attempt.objects.filter(pk=first.pk).update(started_at=ago(minutes=30), deadline_at=ago(minutes=20))

    second = services.attempt_start(user=alice, assessment=assessment)
    first.refresh_from_db()
    assert first.status == AttemptStatus.SUBMITTED
    assert first.score == Decimal("20.00")  # what was saved in time counts: 1 of 5 points
    assert second.pk != first.pk and second.number == 2 and second.is_open
    assert logged(kinds.ASSESSMENT_FAILED, alice).count() == 1


def test_an_overdue_attempt_is_graded_even_when_the_next_start_is_refused(alice):
    """The cooldown (or the attempt limit) refuses the new attempt, but the overdue one still gets
    its grade: the refusal must not roll the grading back."""
    assessment = AssessmentFactory(time_limit_minutes=5, cooldown_hours=24, attempt_limit=1)
    first = services.attempt_start(user=alice, assessment=assessment)
    Attempt.objects.filter(pk=first.pk).update(started_at=ago(minutes=30), deadline_at=ago(minutes=25))
    with pytest.raises(AssessmentError):
        services.attempt_start(user=alice, assessment=assessment)
    first.refresh_from_db()
    assert first.status == AttemptStatus.SUBMITTED and first.passed is False
    assert SkillResult.objects.count() == 0  # no skills on these questions, but graded once
    assert logged(kinds.ASSESSMENT_SUBMITTED, alice).count() == 1
    with pytest.raises(AssessmentError):
        services.attempt_start(user=alice, assessment=assessment)
    assert logged(kinds.ASSESSMENT_SUBMITTED, alice).count() == 1


# --- answer_save ---------------------------------------------------------------------------------


def test_answer_save_stores_and_changes_an_answer(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    single = mixed["single"]
    wrong = wrong_answer(single)["selected"]
    services.answer_save(attempt=attempt, user=alice, question_id=single.pk, selected=wrong)
    answer = services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **right_answer(single))
    assert Answer.objects.get() == answer
    assert answer.selected == right_answer(single)["selected"]
    multiple = mixed["multiple"]
    ids = [str(pk) for pk in multiple.options.values_list("pk", flat=True)[:2]]
    saved = services.answer_save(attempt=attempt, user=alice, question_id=multiple.pk, selected=ids)
    assert saved.selected == sorted(int(i) for i in ids)
    numeric = services.answer_save(
        attempt=attempt, user=alice, question_id=mixed["numeric"].pk, numeric_raw=" 1,041.5 "
    )
    assert numeric.numeric_value == Decimal("1041.5")


def test_answer_save_refuses_someone_elses_attempt(alice, bob, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    single = mixed["single"]
    with pytest.raises(PermissionDenied):
        services.answer_save(attempt=attempt, user=bob, question_id=single.pk, **right_answer(single))
    assert not Answer.objects.exists()


def test_answer_save_refuses_a_question_that_is_not_in_the_attempt(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    other = QuestionFactory()
    with pytest.raises(AssessmentError, match="not part of this attempt"):
        services.answer_save(attempt=attempt, user=alice, question_id=other.pk, **right_answer(other))
    assert not Answer.objects.exists()


def test_answer_save_refuses_an_option_of_another_question(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    foreign = mixed["multiple"].options.first().pk
    with pytest.raises(AssessmentError, match="Choose one of the options shown"):
        services.answer_save(attempt=attempt, user=alice, question_id=mixed["single"].pk, selected=[foreign])
    with pytest.raises(AssessmentError, match="Choose one of the options shown"):
        services.answer_save(attempt=attempt, user=alice, question_id=mixed["single"].pk, selected=["x"])
    assert not Answer.objects.exists()


def test_answer_save_refuses_two_options_on_a_single_answer_question(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    for key in ("single", "true_false"):
        question = mixed[key]
        both = list(question.options.values_list("pk", flat=True)[:2])
        with pytest.raises(AssessmentError, match="only one option"):
            services.answer_save(attempt=attempt, user=alice, question_id=question.pk, selected=both)
    assert not Answer.objects.exists()


@pytest.mark.parametrize("raw", ["forty-two", "1.2.3", "NaN", "1e20"])
def test_answer_save_refuses_a_bad_number(alice, mixed, raw):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    with pytest.raises(AssessmentError, match="Enter a number"):
        services.answer_save(attempt=attempt, user=alice, question_id=mixed["numeric"].pk, numeric_raw=raw)
    assert not Answer.objects.exists()


def test_answer_save_refuses_changes_after_the_deadline_and_grace(alice, mixed):
    assessment = mixed["assessment"]
    assessment.time_limit_minutes = 5
    assessment.save()
    attempt = services.attempt_start(user=alice, assessment=assessment)
    single = mixed["single"]
    attempt.deadline_at = timezone.now() - services.GRACE + timedelta(seconds=3)  # within the grace
    services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **right_answer(single))
    attempt.deadline_at = timezone.now() - services.GRACE - timedelta(seconds=1)
    with pytest.raises(AssessmentError, match="Time is up"):
        services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **wrong_answer(single))
    assert Answer.objects.get().selected == right_answer(single)["selected"]


def test_answer_save_refuses_a_submitted_attempt(alice, mixed):
    attempt = take(alice, mixed["assessment"])
    single = mixed["single"]
    with pytest.raises(AssessmentError, match="already submitted"):
        services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **wrong_answer(single))


# --- attempt_submit ------------------------------------------------------------------------------


def test_attempt_submit_grades_scores_and_records(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    single, multiple, numeric = mixed["single"], mixed["multiple"], mixed["numeric"]
    services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **right_answer(single))
    one_right = [o.pk for o in multiple.options.all() if o.is_correct][:1]
    services.answer_save(attempt=attempt, user=alice, question_id=multiple.pk, selected=one_right)
    services.answer_save(attempt=attempt, user=alice, question_id=numeric.pk, numeric_raw="42.5")
    services.answer_save(
        attempt=attempt, user=alice, question_id=mixed["true_false"].pk, **wrong_answer(mixed["true_false"])
    )

    graded = services.attempt_submit(attempt=attempt, user=alice)
    graded.refresh_from_db()
    # single 1/1, multiple 1/2 (one of two right ones), numeric 1/1 (edge of the tolerance), t/f 0/1
    assert graded.status == AttemptStatus.SUBMITTED and graded.submitted_at is not None
    assert (graded.points_earned, graded.points_possible) == (Decimal("3"), Decimal("5"))
    assert graded.score == Decimal("60.00")
    assert graded.passed is True  # the pass mark (60) is inclusive
    dashboards, charts = mixed["dashboards"], mixed["charts"]
    # dashboards: single 1/1 + multiple 1/2 = 2/3; charts: multiple 1/2 + numeric 1/1 + t/f 0/1 = 2/4
    assert graded.skill_scores == {str(dashboards.pk): 66.67, str(charts.pk): 50.0}
    results = {r.skill_id: r for r in SkillResult.objects.filter(user=alice)}
    assert results[dashboards.pk].score == Decimal("66.67") and results[charts.pk].score == Decimal("50.00")
    assert all(r.attempt_id == graded.pk and r.achieved_at == graded.submitted_at for r in results.values())
    points = dict(Answer.objects.values_list("question_id", "points_awarded"))
    assert points == {single.pk: 1, multiple.pk: 1, numeric.pk: 1, mixed["true_false"].pk: 0}

    submitted = logged(kinds.ASSESSMENT_SUBMITTED, alice).get()
    assert submitted.value == 60.0 and submitted.subject_id == str(mixed["assessment"].pk)
    passed = logged(kinds.ASSESSMENT_PASSED, alice).get()
    assert passed.value == 60.0
    assert passed.properties == {"attempt": 1, "skills": graded.skill_scores}
    assert not logged(kinds.ASSESSMENT_FAILED).exists()


def test_unanswered_questions_count_as_wrong(alice, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    graded = services.attempt_submit(attempt=attempt, user=alice)
    assert graded.score == Decimal("0.00") and graded.passed is False
    assert logged(kinds.ASSESSMENT_FAILED, alice).get().value == 0.0
    assert not Answer.objects.exists()


def test_a_second_submit_is_refused_and_not_graded_twice(alice, mixed):
    attempt = take(alice, mixed["assessment"])
    before = (SkillResult.objects.count(), Interaction.objects.count())
    with pytest.raises(AssessmentError, match="already submitted"):
        services.attempt_submit(attempt=attempt, user=alice)
    stale = Attempt.objects.get(pk=attempt.pk)
    stale.status = AttemptStatus.IN_PROGRESS  # an old copy of the row, as a second request would hold
    with pytest.raises(AssessmentError, match="already submitted"):
        services.attempt_submit(attempt=stale, user=alice)
    assert (SkillResult.objects.count(), Interaction.objects.count()) == before
    assert logged(kinds.ASSESSMENT_SUBMITTED).count() == 1


def test_submitting_someone_elses_attempt_is_refused(alice, bob, mixed):
    attempt = services.attempt_start(user=alice, assessment=mixed["assessment"])
    with pytest.raises(PermissionDenied):
        services.attempt_submit(attempt=attempt, user=bob)
    attempt.refresh_from_db()
    assert attempt.is_open


def test_attempt_close_if_overdue_grades_what_was_saved_in_time(alice, mixed):
    assessment = mixed["assessment"]
    assessment.time_limit_minutes = 10
    assessment.save()
    attempt = services.attempt_start(user=alice, assessment=assessment)
    assert services.attempt_close_if_overdue(attempt=attempt).is_open  # not overdue yet
    single = mixed["single"]
    services.answer_save(attempt=attempt, user=alice, question_id=single.pk, **right_answer(single))
    Attempt.objects.filter(pk=attempt.pk).update(deadline_at=ago(minutes=1))
    attempt.refresh_from_db()
    closed = services.attempt_close_if_overdue(attempt=attempt)
    assert closed.status == AttemptStatus.SUBMITTED and closed.score == Decimal("20.00")
    services.attempt_close_if_overdue(attempt=Attempt.objects.get(pk=attempt.pk))
    assert logged(kinds.ASSESSMENT_SUBMITTED).count() == 1


def test_passing_completes_the_assessment_step_and_the_path(alice, mixed):
    assessment = mixed["assessment"]
    item = ContentItemFactory()
    path = LearningPathFactory(steps=[item])
    step = PathStep.objects.create(path=path, kind=StepKind.ASSESSMENT, ref_id=assessment.pk, position=1)
    enrolment = EnrolmentFactory(user=alice, path=path)
    learning_services.content_complete(user=alice, content=item)
    enrolment.refresh_from_db()
    assert enrolment.completed_at is None  # the assessment step is still open

    take(alice, assessment, right=False)
    assert not StepCompletion.objects.filter(step=step).exists()  # failing does not complete it
    take(alice, assessment)
    assert StepCompletion.objects.filter(step=step, enrolment=enrolment).exists()
    enrolment.refresh_from_db()
    assert enrolment.completed_at is not None
    assert Interaction.objects.filter(kind=learning_kinds.PATH_COMPLETED.name, user=alice).count() == 1


# --- Certifications ------------------------------------------------------------------------------


@pytest.fixture
def certification(db):
    exam = AssessmentFactory(exam=True, title="Dashboards exam")
    path = LearningPathFactory(title="Reporting", steps=[ContentItemFactory()])
    cert = CertificationFactory(title="Certified Dashboard Designer", assessments=[exam], paths=[path])
    cert.exam, cert.path = exam, path
    return cert


def test_a_certification_is_awarded_once_its_requirements_are_met(
    alice, certification, django_capture_on_commit_callbacks
):
    take(alice, certification.exam)
    assert not Award.objects.exists()  # the path is still missing
    with django_capture_on_commit_callbacks(execute=True):
        complete_path(alice, certification.path)  # the path_completed signal checks certifications
    award = Award.objects.get()
    assert (award.user, award.certification, award.cycle) == (alice, certification, 1)
    assert award.status == "valid"
    assert award.expires_at - award.issued_at == timedelta(days=365)
    earned = logged(kinds.CERTIFICATION_EARNED, alice).get()
    assert earned.subject_id == str(certification.pk)
    assert earned.properties == {"award": award.code, "cycle": 1}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert message.subject == "You are certified: Certified Dashboard Designer"
    assert f"/verify/{award.code}/" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body


def test_passing_the_exam_last_also_awards(alice, certification):
    complete_path(alice, certification.path)
    assert not Award.objects.exists()
    take(alice, certification.exam)
    assert Award.objects.filter(user=alice, certification=certification).count() == 1


def test_a_certification_is_not_awarded_twice_while_valid(alice, certification):
    complete_path(alice, certification.path)
    take(alice, certification.exam)
    assert services.certifications_check(user=alice) == []
    take(alice, certification.exam)  # passing again changes nothing
    assert Award.objects.count() == 1
    assert logged(kinds.CERTIFICATION_EARNED).count() == 1


def test_drafts_and_certifications_without_requirements_are_not_awarded(alice):
    exam = AssessmentFactory(exam=True)
    CertificationFactory(assessments=[exam], draft=True)
    CertificationFactory()  # no requirements at all
    take(alice, exam)
    assert services.certifications_check(user=alice) == []
    assert not Award.objects.exists()


def test_evidence_older_than_the_validity_does_not_count(alice, certification):
    complete_path(alice, certification.path)
    take(alice, certification.exam, right=False)
    AttemptFactory(user=alice, assessment=certification.exam, submitted_at=ago(days=366))
    assert services.certifications_check(user=alice) == []
    Enrolment.objects.filter(user=alice).update(completed_at=ago(days=400))
    take(alice, certification.exam)
    assert not Award.objects.exists()


def _expire(award, *, days_ago=10):
    validity = timedelta(days=award.certification.validity_days)
    Award.objects.filter(pk=award.pk).update(
        issued_at=ago(days=days_ago) - validity, expires_at=ago(days=days_ago)
    )
    award.refresh_from_db()
    # The evidence is as old as the award.
    Attempt.objects.filter(user=award.user).update(submitted_at=award.issued_at - timedelta(hours=1))
    Enrolment.objects.filter(user=award.user).update(completed_at=award.issued_at - timedelta(hours=2))


def test_after_expiry_a_new_cycle_needs_new_evidence(alice):
    exam = AssessmentFactory(exam=True)
    certification = CertificationFactory(assessments=[exam], validity_days=365)
    take(alice, exam)
    first = Award.objects.get()
    _expire(first)
    assert first.status == "expired"
    assert services.certifications_check(user=alice) == []  # the old pass does not renew it

    take(alice, exam)  # new evidence
    second = Award.objects.get(cycle=2)
    assert (second.user, second.certification) == (alice, certification)
    assert second.code != first.code and second.status == "valid"
    assert logged(kinds.CERTIFICATION_EARNED, alice).count() == 2


def test_renewing_a_certification_with_paths_takes_the_recertification_path(alice, certification):
    refresher = LearningPathFactory(title="What's new for designers", steps=[ContentItemFactory()])
    certification.recertification_path = refresher
    certification.save()
    complete_path(alice, certification.path)
    take(alice, certification.exam)
    _expire(Award.objects.get())

    take(alice, certification.exam)  # a fresh pass, but the path was completed long ago
    assert Award.objects.count() == 1
    complete_path(alice, refresher)  # renewal evidence: the recertification path
    assert Award.objects.filter(user=alice, cycle=2).count() == 1


def test_renewal_evidence_gathered_before_expiry_renews_when_the_award_expires(alice, certification):
    refresher = LearningPathFactory(steps=[ContentItemFactory()])
    certification.recertification_path = refresher
    certification.save()
    complete_path(alice, certification.path)
    take(alice, certification.exam)
    first = Award.objects.get()
    # Reminded a month before expiry, she retakes the exam and follows the recertification path.
    Award.objects.filter(pk=first.pk).update(
        issued_at=ago(days=340), expires_at=ago(days=340) + timedelta(days=365)
    )
    Attempt.objects.filter(user=alice).update(submitted_at=ago(days=341))
    Enrolment.objects.filter(user=alice).update(completed_at=ago(days=342))
    take(alice, certification.exam)
    complete_path(alice, refresher)
    assert Award.objects.count() == 1  # still valid: nothing to renew yet

    Award.objects.filter(pk=first.pk).update(issued_at=ago(days=366), expires_at=ago(minutes=5))
    assert services.awards_record_expired() == 1
    renewed = Award.objects.get(cycle=2)
    assert renewed.user == alice and renewed.status == "valid"


def test_a_revoked_certification_is_not_renewed_from_the_same_evidence(alice, content, certification):
    complete_path(alice, certification.path)
    take(alice, certification.exam)
    award = Award.objects.get()
    services.award_revoke(award=award, by=content, reason="Exam answers were shared publicly.")
    assert services.certifications_check(user=alice) == []  # the same pass and path: not again
    take(alice, certification.exam)  # a new pass after the revocation is new evidence
    assert list(Award.objects.order_by("cycle").values_list("cycle", flat=True)) == [1, 2]


def test_without_a_recertification_path_a_fresh_pass_renews_an_expired_certification(alice, certification):
    complete_path(alice, certification.path)
    take(alice, certification.exam)
    _expire(Award.objects.get())
    assert services.certifications_check(user=alice) == []
    take(alice, certification.exam)  # the path stays done; the exam shows the skills are current
    assert Award.objects.filter(user=alice, cycle=2).count() == 1


def test_a_certification_of_paths_alone_is_not_renewed_without_new_evidence(alice):
    path = LearningPathFactory(steps=[ContentItemFactory()])
    CertificationFactory(paths=[path])
    complete_path(alice, path)
    _expire(Award.objects.get())
    assert services.certifications_check(user=alice) == []
    assert services.awards_record_expired() == 1
    assert Award.objects.count() == 1


def test_an_exam_only_certification_is_earned_again_after_revocation_with_a_new_pass(alice, content):
    exam = AssessmentFactory(exam=True)
    CertificationFactory(assessments=[exam])
    take(alice, exam)
    services.award_revoke(award=Award.objects.get(), by=content, reason="Issued in error.")
    assert services.certifications_check(user=alice) == []
    take(alice, exam)
    assert list(Award.objects.order_by("cycle").values_list("cycle", flat=True)) == [1, 2]


def test_the_database_refuses_a_second_award_for_the_same_period(alice, certification):
    AwardFactory(certification=certification, user=alice, cycle=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AwardFactory(certification=certification, user=alice, cycle=1)
    AwardFactory(certification=certification, user=alice, cycle=2)
    assert Award.objects.count() == 2


def test_award_revoke_needs_a_content_admin_and_a_reason(alice, carol, content):
    award = AwardFactory(user=alice)
    for person in (alice, carol):
        with pytest.raises(PermissionDenied):
            services.award_revoke(award=award, by=person, reason="Because.")
    with pytest.raises(AssessmentError, match="Say why"):
        services.award_revoke(award=award, by=content, reason="   ")
    award.refresh_from_db()
    assert award.revoked_at is None and not logged(kinds.CERTIFICATION_REVOKED).exists()

    services.award_revoke(award=award, by=content, reason="  Exam taken by someone else.  ")
    award.refresh_from_db()
    assert award.status == "revoked" and award.revoke_reason == "Exam taken by someone else."
    revoked = logged(kinds.CERTIFICATION_REVOKED, alice).get()
    assert revoked.properties == {"award": award.code, "reason": "Exam taken by someone else."}
    with pytest.raises(AssessmentError, match="already revoked"):
        services.award_revoke(award=award, by=content, reason="Again.")


def test_awards_record_expired_records_each_expiry_once(alice, bob):
    expired = AwardFactory(user=alice, expired=True)
    AwardFactory(user=bob, expired=True, revoked=True)  # revoked: its end was recorded then
    AwardFactory(user=bob)  # still valid
    assert services.awards_record_expired() == 1
    assert services.awards_record_expired() == 0
    row = logged(kinds.CERTIFICATION_EXPIRED).get()
    assert row.user == alice and row.occurred_at == expired.expires_at
    assert row.properties == {"award": expired.code}
    expired.refresh_from_db()
    assert expired.expiry_recorded_at is not None


def test_the_award_status(alice):
    assert AwardFactory(user=alice).status == "valid"
    assert AwardFactory(user=alice, expired=True).status == "expired"
    assert AwardFactory(user=alice, revoked=True).status == "revoked"
    assert AwardFactory(user=alice, expired=True, revoked=True).status == "revoked"
    assert Award.objects.valid().count() == 1


# --- Points and badges ---------------------------------------------------------------------------


def test_a_point_rule_awards_points_once_per_subject(alice):
    rule = PointRuleFactory(kind="learning.path_completed", points=100)
    first, second = LearningPathFactory(), LearningPathFactory()
    record(kind="learning.path_completed", user=alice, subject=first)
    record(kind="learning.path_completed", user=alice, subject=first)  # the same path again
    record(kind="learning.path_completed", user=alice, subject=second)
    entries = PointEntry.objects.filter(user=alice)
    assert entries.count() == 2 and {e.rule for e in entries} == {rule}
    assert {e.subject_id for e in entries} == {str(first.pk), str(second.pk)}
    assert all(e.account_id == alice.account_id and e.points == 100 for e in entries)
    assert selectors.points_total(user=alice) == 200
    awarded = logged(kinds.POINTS_AWARDED, alice)
    assert awarded.count() == 2 and {a.value for a in awarded} == {100.0}
    assert awarded.first().properties["rule"] == "learning.path_completed"


def test_inactive_rules_and_other_kinds_earn_nothing(alice):
    PointRuleFactory(kind="learning.path_completed", active=False)
    PointRuleFactory(kind="learning.course_completed", points=50)
    record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    record(kind="learning.content_viewed", user=alice, subject=ContentItemFactory())
    assert not PointEntry.objects.exists() and not logged(kinds.POINTS_AWARDED).exists()


def test_points_rules_never_pay_for_incentive_interactions(alice):
    PointRuleFactory(kind="incentives.badge_earned", points=10)
    badge = BadgeFactory()
    record(kind="incentives.badge_earned", user=alice, subject=badge)
    assert not PointEntry.objects.exists()


def test_interactions_without_a_person_earn_nothing(account_a):
    PointRuleFactory(kind="learning.path_completed")
    record(kind="learning.path_completed", account=account_a, subject=LearningPathFactory())
    assert not PointEntry.objects.exists()


def test_passing_an_assessment_earns_its_points_once(alice):
    PointRuleFactory(kind="assessment.passed", points=40)
    assessment = AssessmentFactory()
    take(alice, assessment)
    Attempt.objects.filter(user=alice).update(submitted_at=ago(days=2))
    take(alice, assessment)
    assert selectors.points_total(user=alice) == 40


def test_points_badges_are_awarded_once_at_their_threshold(alice):
    PointRuleFactory(kind="learning.path_completed", points=60)
    centurion = BadgeFactory(name="Centurion", threshold=100)
    BadgeFactory(name="High flyer", threshold=1000)
    record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    assert not BadgeAward.objects.exists()
    record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    assert list(BadgeAward.objects.filter(user=alice).values_list("badge", flat=True)) == [centurion.pk]
    earned = logged(kinds.BADGE_EARNED, alice).get()
    assert (earned.subject_type, earned.subject_id) == ("assessments.badge", str(centurion.pk))
    assert services.badges_check(user=alice) == []


def test_kind_count_badges_are_awarded_once_at_their_threshold(alice, bob):
    PointRuleFactory(kind="learning.path_completed", points=10)
    pathfinder = BadgeFactory(name="Pathfinder", kind_count=True)  # 3 completed paths
    BadgeFactory(name="Unrelated", kind_count=True, kind="learning.course_completed", threshold=1)
    for _ in range(2):
        record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    record(kind="learning.path_completed", user=bob, subject=LearningPathFactory())
    assert not BadgeAward.objects.exists()
    for _ in range(2):
        record(kind="learning.path_completed", user=alice, subject=LearningPathFactory())
    assert list(BadgeAward.objects.values_list("badge", "user")) == [(pathfinder.pk, alice.pk)]
    assert logged(kinds.BADGE_EARNED).count() == 1


def test_incentive_preference_set_is_an_upsert(alice):
    services.incentive_preference_set(user=alice, global_leaderboard=True)
    services.incentive_preference_set(user=alice, global_leaderboard=False)
    assert IncentivePreference.objects.get(user=alice).global_leaderboard is False


# --- Leaderboards --------------------------------------------------------------------------------


def _points(user, points, subject="1"):
    rule = PointRuleFactory(kind=f"demo.kind_{points}", points=points)
    PointEntry.objects.create(user=user, account=user.account, rule=rule, points=points, subject_id=subject)


def test_the_account_leaderboard_shows_only_that_account(alice, carol, bob):
    _points(alice, 50)
    _points(carol, 120)
    _points(bob, 500)
    rows = selectors.leaderboard(account=alice.account)
    assert [(r["rank"], r["name"], r["points"]) for r in rows] == [
        (1, "Carol Chen", 120),
        (2, "Alice Archer", 50),
    ]


def test_the_global_leaderboard_lists_only_people_who_opted_in(alice, carol, bob):
    _points(alice, 50)
    _points(carol, 120)
    _points(bob, 500)
    services.incentive_preference_set(user=alice, global_leaderboard=True)
    services.incentive_preference_set(user=bob, global_leaderboard=True)
    services.incentive_preference_set(user=carol, global_leaderboard=False)
    rows = selectors.leaderboard()
    assert [(r["name"], r["account"], r["points"]) for r in rows] == [
        ("Bob Baker", "Account B", 500),
        ("Alice Archer", "Account A", 50),
    ]


# --- Proficiency ---------------------------------------------------------------------------------


def _result(user, skill, score, *, days_ago=1):
    attempt = AttemptFactory(user=user, submitted_at=ago(days=days_ago))
    SkillResult.objects.create(
        user=user, skill=skill, attempt=attempt, score=Decimal(score), achieved_at=ago(days=days_ago)
    )


def test_user_proficiency_takes_the_best_recent_score_and_decays_to_unverified(alice):
    dashboards = SkillFactory(name="Dashboards", validity_days=365)
    sso = SkillFactory(name="Single sign-on", validity_days=180)
    _result(alice, dashboards, "45", days_ago=10)
    _result(alice, dashboards, "85", days_ago=300)  # best and still within a year
    _result(alice, sso, "95", days_ago=181)  # too old
    levels = {p.skill.name: (p.level, p.score) for p in selectors.user_proficiency(user=alice)}
    assert levels == {"Dashboards": ("expert", Decimal("85")), "Single sign-on": ("unverified", None)}
    assert {p.label for p in selectors.user_proficiency(user=alice)} == {"Expert", "Unverified"}


def test_proficiency_is_practitioner_from_50_inclusive(alice):
    skill = SkillFactory()
    _result(alice, skill, "50.00")
    assert selectors.user_proficiency(user=alice)[0].level == "practitioner"


def test_team_proficiency_is_a_member_by_skill_grid(alice, carol, sam, bob):
    charts = SkillFactory(name="Charts")
    sso = SkillFactory(name="SSO", validity_days=180)
    _result(alice, charts, "90")
    _result(carol, charts, "60")
    _result(carol, sso, "70", days_ago=200)
    _result(bob, charts, "10")  # another account
    grid = selectors.team_proficiency(account=alice.account)
    columns = [s.name for s in grid["skills"]]
    rows = {member.full_name: dict(zip(columns, cells, strict=True)) for member, cells in grid["rows"]}
    assert rows == {
        "Alice Archer": {"Charts": "expert", "SSO": ""},
        "Carol Chen": {"Charts": "practitioner", "SSO": "unverified"},
        "Sam Sponsor": {"Charts": "", "SSO": ""},
    }


def test_accounts_proficiency_shares_with_n_and_none_for_no_people(alice, carol, sam, bob):
    charts = SkillFactory(name="Charts")
    _result(alice, charts, "90")
    _result(carol, charts, "55")
    _result(sam, charts, "30")
    _result(bob, charts, "20")
    empty = AccountFactory(name="Empty Co")
    data = selectors.accounts_proficiency()
    assert [s.name for s in data["skills"]] == ["Charts"]
    rows = {account.name: (account.people, cells) for account, cells in data["rows"]}
    assert rows["Account A"] == (3, [(2, 67)])  # 2 of 3 at practitioner or above
    assert rows["Account B"] == (1, [(0, 0)])
    assert rows["Empty Co"] == (0, [(0, None)])  # no people: no data, not 0%
    experts = selectors.accounts_proficiency(
        target="expert", accounts=Account.objects.filter(pk__in=[empty.pk, alice.account_id])
    )
    assert {a.name: cells for a, cells in experts["rows"]} == {
        "Account A": [(1, 33)],
        "Empty Co": [(0, None)],
    }


def test_accounts_proficiency_query_count_does_not_grow_with_accounts(db):
    skills = [SkillFactory() for _ in range(3)]

    def populate(n):
        for _ in range(n):
            account = AccountFactory()
            for score in ("40", "90"):
                person = UserFactory(account=account)
                for skill in skills:
                    _result(person, skill, score)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            data = selectors.accounts_proficiency()
            assert all(len(cells) == len(skills) for _, cells in data["rows"])
        return len(captured)

    populate(1)
    one = queries()
    populate(9)
    assert queries() == one


# --- Tasks ---------------------------------------------------------------------------------------


def test_certification_reminders_are_sent_once(alice, bob, carol, sam):
    refresher = LearningPathFactory(title="Designer refresher")
    certification = CertificationFactory(
        title="Certified Dashboard Designer", reminder_days=30, recertification_path=refresher
    )
    due = AwardFactory(
        certification=certification, user=alice, expires_at=timezone.now() + timedelta(days=20)
    )
    AwardFactory(certification=certification, user=bob, expires_at=timezone.now() + timedelta(days=45))
    AwardFactory(
        certification=certification, user=carol, expires_at=timezone.now() + timedelta(days=5), revoked=True
    )
    AwardFactory(certification=certification, user=sam, expired=True)

    assert tasks.send_certification_reminders() == 1
    assert tasks.send_certification_reminders() == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    expires = timezone.localtime(due.expires_at)
    assert message.to == [alice.email]
    assert message.subject == f"Your Certified Dashboard Designer certification expires on {expires:%d %B %Y}"
    assert f"expires on {expires.day} {expires:%B %Y}." in message.body
    assert refresher.get_absolute_url() in message.body
    assert f"/verify/{due.code}/" in message.body
    due.refresh_from_db()
    assert due.reminder_sent_at is not None


def test_a_reminder_without_a_recertification_path_says_how_to_renew(alice):
    exam = AssessmentFactory(exam=True, title="Dashboards exam")
    certification = CertificationFactory(assessments=[exam])
    AwardFactory(certification=certification, user=alice, expires_at=timezone.now() + timedelta(days=3))
    tasks.send_certification_reminders()
    body = mail.outbox[0].body
    assert "To renew it, pass this assessment again:\n- Dashboards exam: " in body
    assert "learn/paths/" not in body
    assert "renewed for another 365 days" in body


def test_a_reminder_for_a_certification_that_cannot_be_renewed_online_says_so(alice):
    certification = CertificationFactory(paths=[LearningPathFactory()])
    AwardFactory(certification=certification, user=alice, expires_at=timezone.now() + timedelta(days=3))
    tasks.send_certification_reminders()
    body = mail.outbox[0].body
    assert "cannot be renewed online" in body and "renewed for another" not in body


def test_record_expired_awards_task(alice):
    AwardFactory(user=alice, expired=True)
    assert tasks.record_expired_awards() == 1
    assert tasks.record_expired_awards() == 0
    assert logged(kinds.CERTIFICATION_EXPIRED, alice).count() == 1


def test_award_email_is_not_sent_for_an_award_that_is_no_longer_valid(alice):
    award = AwardFactory(user=alice, revoked=True)
    tasks.award_email(award_id=award.pk, template="earned")
    tasks.award_email(award_id=0, template="earned")
    assert mail.outbox == []


# --- Concurrency (PostgreSQL only: SQLite serialises writers anyway) --------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_award_a_certification_once():
    person = UserFactory()
    exam = AssessmentFactory(exam=True)
    certification = CertificationFactory(assessments=[exam])
    AttemptFactory(user=person, assessment=exam)
    barrier = threading.Barrier(6)
    errors = []

    def check():
        try:
            barrier.wait(timeout=10)
            services.certifications_check(user=person)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert Award.objects.filter(certification=certification, user=person).count() == 1
    assert logged(kinds.CERTIFICATION_EARNED, person).count() == 1


def test_equal_points_share_a_rank(account_a):
    from apps.assessments import selectors
    from apps.assessments.models import PointEntry, PointRule

    rule = PointRule.objects.create(kind="learning.content_completed", points=5, description="Done")
    people = [UserFactory(account=account_a, full_name=name) for name in ("Ann", "Ben", "Cat", "Dan")]
    for person, points in zip(people, (30, 20, 20, 10), strict=True):
        PointEntry.objects.create(
            user=person, account=account_a, rule=rule, points=points, subject_id=person.email
        )
    assert [(r["name"], r["rank"]) for r in selectors.leaderboard(account=account_a)] == [
        ("Ann", 1),
        ("Ben", 2),
        ("Cat", 2),
        ("Dan", 4),
    ]


def test_kind_count_badge_without_a_point_rule(alice):
    from apps.assessments.models import Badge, BadgeAward
    from apps.interactions.services import record

    Badge.objects.create(
        name="Explorer",
        description="Viewed 2 items",
        metric="kind_count",
        kind="learning.content_viewed",
        threshold=2,
    )
    record(kind="learning.content_viewed", user=alice)
    assert not BadgeAward.objects.filter(user=alice).exists()
    record(kind="learning.content_viewed", user=alice)
    assert BadgeAward.objects.filter(user=alice, badge__name="Explorer").count() == 1


def test_an_answer_saved_after_a_concurrent_submit_is_refused(alice):
    """The caller's copy of the attempt still says 'open'; the database row says submitted."""
    from apps.assessments.models import Attempt as AttemptModel

    assessment = AssessmentFactory()
    attempt = services.attempt_start(user=alice, assessment=assessment)
    stale = AttemptModel.objects.get(pk=attempt.pk)
    services.attempt_submit(attempt=attempt, user=alice)
    question_id = stale.question_order[0]
    with pytest.raises(services.AssessmentError, match="already submitted"):
        services.answer_save(attempt=stale, user=alice, question_id=question_id, numeric_raw="1")


def test_proficiency_query_count_does_not_grow_with_the_taxonomy(alice, django_assert_num_queries):
    def add_skills(n, validity):
        for _ in range(n):
            _result(alice, SkillFactory(validity_days=validity), "70")

    add_skills(1, 365)
    with CaptureQueriesContext(connection) as few:
        selectors.user_proficiency(user=alice)
    add_skills(12, 90)  # more skills, and a second validity period
    with django_assert_num_queries(len(few)):
        assert len(selectors.user_proficiency(user=alice)) == 13
