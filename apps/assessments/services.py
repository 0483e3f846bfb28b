"""Writes of the assessments app: attempts and grading, certifications, incentive points.
Each public function is one transaction and records its interactions in it."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.services import PermissionDenied, ServiceError
from apps.assessments import grading, kinds
from apps.assessments.models import (
    Answer,
    Assessment,
    Attempt,
    AttemptStatus,
    Award,
    Badge,
    BadgeAward,
    BadgeMetric,
    Certification,
    IncentivePreference,
    Option,
    PointEntry,
    PointRule,
    Question,
    QuestionKind,
    SkillResult,
)
from apps.interactions.models import Interaction
from apps.interactions.services import record
from apps.learning import services as learning_services
from apps.learning.models import Enrolment

GRACE = timedelta(seconds=10)  # network latency allowance on the server-side time limit


class AssessmentError(ServiceError):
    pass


# --- Attempts --------------------------------------------------------------------------------


def attempt_start(*, user: User, assessment: Assessment, rng: random.Random | None = None) -> Attempt:
    """Open an attempt, or return the open one to resume it.

    Refused when the assessment is not published, the attempt limit is reached or the cooldown
    since the last attempt has not passed. Question and option order are drawn now and kept.
    """
    if not assessment.is_published:
        raise AssessmentError("This assessment is not open.")
    overdue = Attempt.objects.filter(
        user=user, assessment=assessment, status=AttemptStatus.IN_PROGRESS
    ).first()
    if overdue is not None:
        # Graded in its own transaction, so that refusing the new attempt below (limit, cooldown)
        # does not roll the grade back and leave the overdue attempt open for ever.
        attempt_close_if_overdue(attempt=overdue)
    with transaction.atomic():
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()  # one start at a time
        open_attempt = Attempt.objects.filter(
            user=user, assessment=assessment, status=AttemptStatus.IN_PROGRESS
        ).first()
        if open_attempt is not None:
            if open_attempt.deadline_at and timezone.now() > open_attempt.deadline_at + GRACE:
                _grade(open_attempt)
            else:
                return open_attempt
        previous = Attempt.objects.filter(user=user, assessment=assessment).order_by("-number")
        last = previous.first()
        count = previous.count()
        if assessment.attempt_limit and count >= assessment.attempt_limit:
            raise AssessmentError(
                f"You have used all {assessment.attempt_limit} attempts of this assessment."
            )
        if last and assessment.cooldown_hours:
            ready_at = (last.submitted_at or last.started_at) + timedelta(hours=assessment.cooldown_hours)
            if timezone.now() < ready_at:
                when = timezone.localtime(ready_at).strftime("%d %b %Y, %H:%M")
                raise AssessmentError(f"You can try again from {when}.")
        rng = rng or random.SystemRandom()
        items = list(assessment.items.select_related("question").order_by("position", "pk"))
        if not items:
            raise AssessmentError("This assessment has no questions yet.")
        order = [item.question_id for item in items]
        if assessment.shuffle_questions:
            rng.shuffle(order)
        option_order = {}
        options = defaultdict(list)
        for option in Option.objects.filter(question__in=order).order_by("position", "pk"):
            options[option.question_id].append(option.pk)
        for question_id, ids in options.items():
            if assessment.shuffle_options and len(ids) > 1:
                rng.shuffle(ids)
            option_order[str(question_id)] = ids
        now = timezone.now()
        attempt = Attempt.objects.create(
            user=user,
            assessment=assessment,
            number=(last.number + 1) if last else 1,
            question_order=order,
            option_order=option_order,
            started_at=now,
            deadline_at=now + timedelta(minutes=assessment.time_limit_minutes)
            if assessment.time_limit_minutes
            else None,
        )
        record(
            kind=kinds.ASSESSMENT_STARTED.name,
            user=user,
            subject=assessment,
            properties={"attempt": attempt.number},
        )
    return attempt


def answer_save(
    *,
    attempt: Attempt,
    user: User,
    question_id: int,
    selected: list | None = None,
    numeric_raw: str | None = None,
) -> Answer:
    """Save (or change) one answer of an open attempt. Refused after the time limit."""
    if attempt.user_id != user.pk:
        raise PermissionDenied("This is not your attempt.")
    if not attempt.is_open:
        raise AssessmentError("This attempt is already submitted.")
    if attempt.deadline_at and timezone.now() > attempt.deadline_at + GRACE:
        raise AssessmentError("Time is up: answers can no longer be changed. Submit to see your result.")
    if question_id not in attempt.question_order:
        raise AssessmentError("That question is not part of this attempt.")
    question = Question.objects.get(pk=question_id)
    numeric_value = None
    chosen: list[int] = []
    if question.kind == QuestionKind.NUMERIC:
        numeric_value = grading.parse_numeric(numeric_raw or "")
        if numeric_raw and numeric_value is None:
            raise AssessmentError("Enter a number, such as 42 or 3.5.")
    else:
        try:
            chosen = sorted({int(x) for x in (selected or [])})
        except (TypeError, ValueError) as exc:
            raise AssessmentError("Choose one of the options shown.") from exc
        allowed = set(attempt.option_order.get(str(question_id), []))
        if not set(chosen) <= allowed:
            raise AssessmentError("Choose one of the options shown.")
        if question.kind != QuestionKind.MULTIPLE and len(chosen) > 1:
            raise AssessmentError("Choose only one option.")
    with transaction.atomic():
        # Lock the attempt so a save racing a submit either lands before grading or is refused.
        if not Attempt.objects.select_for_update().get(pk=attempt.pk).is_open:
            raise AssessmentError("This attempt is already submitted.")
        answer, _ = Answer.objects.update_or_create(
            attempt=attempt,
            question=question,
            defaults={"selected": chosen, "numeric_value": numeric_value, "saved_at": timezone.now()},
        )
    return answer


def attempt_submit(*, attempt: Attempt, user: User) -> Attempt:
    """Grade the attempt once. A second submit, or one for someone else's attempt, is refused."""
    if attempt.user_id != user.pk:
        raise PermissionDenied("This is not your attempt.")
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not locked.is_open:
            raise AssessmentError("This attempt was already submitted and graded.")
        return _grade(locked)


def attempt_close_if_overdue(*, attempt: Attempt) -> Attempt:
    """Grade an attempt whose time ran out while nobody was looking (what was saved in time counts)."""
    if attempt.is_open and attempt.deadline_at and timezone.now() > attempt.deadline_at + GRACE:
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if locked.is_open:
                return _grade(locked)
            return locked
    return attempt


def _grade(attempt: Attempt) -> Attempt:
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=attempt.question_order).prefetch_related("skills", "options")
    }
    answers = {a.question_id: a for a in attempt.answers.all()}
    earned = possible = Decimal(0)
    by_skill: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for question_id in attempt.question_order:
        question = questions[question_id]
        options = list(question.options.all())
        answer = answers.get(question_id)
        points = grading.grade(
            question,
            selected=answer.selected if answer else None,
            numeric_value=answer.numeric_value if answer else None,
            correct_ids={o.pk for o in options if o.is_correct},
            option_ids={o.pk for o in options},
        )
        if answer is not None:
            answer.points_awarded = points
            answer.save(update_fields=["points_awarded"])
        earned += points
        possible += question.points
        for skill in question.skills.all():
            by_skill[skill.pk][0] += points
            by_skill[skill.pk][1] += question.points
    now = timezone.now()
    attempt.status = AttemptStatus.SUBMITTED
    attempt.submitted_at = now
    attempt.points_earned = earned
    attempt.points_possible = possible
    attempt.score = (100 * earned / possible).quantize(Decimal("0.01")) if possible else Decimal(0)
    attempt.passed = attempt.score >= attempt.assessment.pass_mark
    attempt.skill_scores = {
        str(k): float((100 * e / p).quantize(Decimal("0.01"))) for k, (e, p) in by_skill.items() if p
    }
    attempt.save()
    SkillResult.objects.bulk_create(
        [
            SkillResult(
                user=attempt.user, skill_id=int(k), attempt=attempt, score=Decimal(str(v)), achieved_at=now
            )
            for k, v in attempt.skill_scores.items()
        ]
    )
    user, assessment = attempt.user, attempt.assessment
    record(
        kind=kinds.ASSESSMENT_SUBMITTED.name,
        user=user,
        subject=assessment,
        value=float(attempt.score),
        properties={"attempt": attempt.number},
    )
    outcome = kinds.ASSESSMENT_PASSED if attempt.passed else kinds.ASSESSMENT_FAILED
    record(
        kind=outcome.name,
        user=user,
        subject=assessment,
        value=float(attempt.score),
        properties={"attempt": attempt.number, "skills": attempt.skill_scores},
    )
    if attempt.passed:
        learning_services.steps_satisfied_by_ref(user=user, kind="assessment", ref_id=assessment.pk)
        certifications_check(user=user)
    return attempt


# --- Certifications --------------------------------------------------------------------------


def certifications_check(*, user: User) -> list[Award]:
    """Award every published certification whose requirements the person now meets.

    Evidence counts when it is recent (within the validity period) and newer than the person's
    previous award of the same certification, so an expired or revoked award is not renewed from
    the same old results. A path is completed once, so a renewal takes the recertification path
    instead of the required paths if the certification has one, and fresh passes of the required
    assessments alone if not.

    One person's checks take turns on their user row: two requests that each complete one
    requirement at the same moment (both exams submitted at once) would otherwise each miss the
    other's uncommitted evidence, and neither would award. The unique (certification, user,
    cycle) constraint settles the rest.
    """
    with transaction.atomic():
        # FOR NO KEY UPDATE conflicts with itself only, not with the key-share locks that the
        # caller's own inserts referencing this person hold, so waiting here cannot deadlock.
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).first()
        return _certifications_award(user=user)


def _certifications_award(*, user: User) -> list[Award]:
    now = timezone.now()
    awarded = []
    for certification in (
        Certification.objects.published()
        .select_related("recertification_path")
        .prefetch_related("required_assessments", "required_paths")
    ):
        assessments = list(certification.required_assessments.all())
        paths = list(certification.required_paths.all())
        if not assessments and not paths:
            continue
        previous = Award.objects.filter(certification=certification, user=user).order_by("-cycle").first()
        if previous and previous.status == "valid":
            continue
        since = now - timedelta(days=certification.validity_days)
        if previous:
            since = max(since, previous.revoked_at or previous.issued_at)
            recertification = certification.recertification_path
            paths = [recertification] if recertification is not None else []
            if not assessments and not paths:
                continue  # nothing new could show the requirements are met again
        passed = set(
            Attempt.objects.filter(
                user=user, assessment__in=assessments, passed=True, submitted_at__gt=since
            ).values_list("assessment_id", flat=True)
        )
        completed = set(
            Enrolment.objects.filter(user=user, path__in=paths, completed_at__gt=since).values_list(
                "path_id", flat=True
            )
        )
        if passed != {a.pk for a in assessments} or completed != {p.pk for p in paths}:
            continue
        from apps.assessments.tasks import award_email

        try:
            with transaction.atomic():  # the award and its interaction together, or neither
                award = Award.objects.create(
                    certification=certification,
                    user=user,
                    cycle=(previous.cycle + 1) if previous else 1,
                    issued_at=now,
                    expires_at=now + timedelta(days=certification.validity_days),
                )
                record(
                    kind=kinds.CERTIFICATION_EARNED.name,
                    user=user,
                    subject=certification,
                    properties={"award": award.code, "cycle": award.cycle},
                )
                transaction.on_commit(lambda pk=award.pk: award_email.delay(award_id=pk, template="earned"))
        except IntegrityError:
            continue  # a concurrent request awarded this period already
        awarded.append(award)
    return awarded


def award_revoke(*, award: Award, by: User, reason: str) -> Award:
    if not by.is_content_admin:
        raise PermissionDenied("Only content admins can revoke certifications.")
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError("Say why the certification is revoked; the holder and verifiers will see it.")
    if award.revoked_at:
        raise AssessmentError("This certification is already revoked.")
    with transaction.atomic():
        award.revoked_at = timezone.now()
        award.revoke_reason = reason[:300]
        award.save(update_fields=["revoked_at", "revoke_reason"])
        record(
            kind=kinds.CERTIFICATION_REVOKED.name,
            user=award.user,
            subject=award.certification,
            properties={"award": award.code, "reason": award.revoke_reason},
        )
    return award


def awards_record_expired() -> int:
    """Record each award that has expired, once (daily beat), and renew it at once when the holder
    gathered the renewal evidence before it ended (nothing else would check them again)."""
    now = timezone.now()
    count = 0
    for pk in list(
        Award.objects.filter(
            expires_at__lte=now, expiry_recorded_at__isnull=True, revoked_at__isnull=True
        ).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            award = (
                Award.objects.select_for_update()
                .select_related("user", "certification")
                .filter(pk=pk, expiry_recorded_at__isnull=True)
                .first()
            )
            if award is None:
                continue
            award.expiry_recorded_at = now
            award.save(update_fields=["expiry_recorded_at"])
            record(
                kind=kinds.CERTIFICATION_EXPIRED.name,
                user=award.user,
                subject=award.certification,
                occurred_at=award.expires_at,
                properties={"award": award.code},
            )
            certifications_check(user=award.user)
            count += 1
    return count


# --- Incentives ------------------------------------------------------------------------------


def points_award(*, interaction: Interaction) -> PointEntry | None:
    """Points for an interaction, if an active rule covers its kind; once per rule and subject."""
    if interaction.user_id is None or interaction.kind.startswith("incentives."):
        return None
    rule = PointRule.objects.filter(kind=interaction.kind, active=True).first()
    if rule is None:
        # No points, but a "number of interactions" badge may still count this kind.
        if Badge.objects.filter(active=True, metric=BadgeMetric.KIND_COUNT, kind=interaction.kind).exists():
            badges_check(user=User.objects.get(pk=interaction.user_id), trigger_kind=interaction.kind)
        return None
    try:
        with transaction.atomic():
            entry = PointEntry.objects.create(
                user_id=interaction.user_id,
                account_id=interaction.account_id,
                rule=rule,
                points=rule.points,
                subject_type=interaction.subject_type,
                subject_id=interaction.subject_id,
                earned_at=interaction.occurred_at,
            )
    except IntegrityError:
        return None  # already earned for this subject
    user = User.objects.get(pk=interaction.user_id)
    record(
        kind=kinds.POINTS_AWARDED.name,
        user=user,
        value=float(rule.points),
        properties={
            "rule": rule.kind,
            "subject_type": interaction.subject_type,
            "subject_id": interaction.subject_id,
        },
    )
    badges_check(user=user, trigger_kind=interaction.kind)
    return entry


def badges_check(*, user: User, trigger_kind: str | None = None) -> list[BadgeAward]:
    owned = set(BadgeAward.objects.filter(user=user).values_list("badge_id", flat=True))
    candidates = [
        b
        for b in Badge.objects.filter(active=True)
        if b.pk not in owned
        and (b.metric == BadgeMetric.POINTS or trigger_kind is None or b.kind == trigger_kind)
    ]
    if not candidates:
        return []
    total = PointEntry.objects.filter(user=user).aggregate(s=Sum("points"))["s"] or 0
    counts: dict[str, int] = {}
    earned = []
    for badge in candidates:
        if badge.metric == BadgeMetric.POINTS:
            reached = total >= badge.threshold
        else:
            if badge.kind not in counts:
                counts[badge.kind] = Interaction.objects.filter(user=user, kind=badge.kind).count()
            reached = counts[badge.kind] >= badge.threshold
        if not reached:
            continue
        try:
            with transaction.atomic():
                award = BadgeAward.objects.create(badge=badge, user=user)
        except IntegrityError:
            continue
        record(kind=kinds.BADGE_EARNED.name, user=user, subject=badge)
        earned.append(award)
    return earned


def incentive_preference_set(*, user: User, global_leaderboard: bool) -> IncentivePreference:
    preference, _ = IncentivePreference.objects.update_or_create(
        user=user, defaults={"global_leaderboard": global_leaderboard}
    )
    return preference


def latest_attempt_number(*, user: User, assessment: Assessment) -> int:
    return Attempt.objects.filter(user=user, assessment=assessment).aggregate(n=Max("number"))["n"] or 0
