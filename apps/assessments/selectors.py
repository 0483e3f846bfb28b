"""Reads of the assessments app: attempts, results, proficiency, certifications, leaderboards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from apps.accounts.models import Account, Level, User
from apps.assessments import grading
from apps.assessments.models import (
    Assessment,
    Attempt,
    AttemptStatus,
    Award,
    BadgeAward,
    Certification,
    IncentivePreference,
    Option,
    PointEntry,
    Question,
    SkillResult,
)
from apps.learning.models import Enrolment, LearningPath, Skill

LEVELS = ["novice", "practitioner", "expert"]
LEVEL_LABELS = {
    "novice": "Novice",
    "practitioner": "Practitioner",
    "expert": "Expert",
    "unverified": "Unverified",
}


def assessment_list(*, user: User) -> list[Assessment]:
    """Assessments the person may take, with `.my_attempts`, `.best_score` and `.passed`."""
    assessments = list(Assessment.objects.visible_to(user).annotate(question_count=Count("items")))
    stats = {
        row["assessment"]: row
        for row in Attempt.objects.filter(user=user, status=AttemptStatus.SUBMITTED)
        .values("assessment")
        .annotate(n=Count("id"), best=Max("score"), passes=Count("id", filter=Q(passed=True)))
    }
    for assessment in assessments:
        row = stats.get(assessment.pk, {})
        assessment.my_attempts = row.get("n", 0)
        assessment.best_score = row.get("best")
        assessment.passed = bool(row.get("passes"))
    return assessments


@dataclass
class QuestionView:
    question: Question
    options: list[Option]
    selected: set[int]
    numeric: str
    number: int


def attempt_questions(*, attempt: Attempt) -> list[QuestionView]:
    """The attempt's questions in its own order, options shuffled as drawn, with saved answers.
    Nothing here says which option is right."""
    questions = {q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order)}
    options = {
        o.pk: o
        for o in Option.objects.filter(question__in=attempt.question_order).only("pk", "question_id", "text")
    }
    answers = {a.question_id: a for a in attempt.answers.all()}
    views = []
    for number, question_id in enumerate(attempt.question_order, start=1):
        answer = answers.get(question_id)
        views.append(
            QuestionView(
                question=questions[question_id],
                options=[
                    options[pk] for pk in attempt.option_order.get(str(question_id), []) if pk in options
                ],
                selected=set(answer.selected) if answer else set(),
                numeric=""
                if not answer or answer.numeric_value is None
                else f"{answer.numeric_value.normalize():f}",
                number=number,
            )
        )
    return views


@dataclass
class SkillOutcome:
    skill: Skill
    score: float
    level: str
    weak: bool
    paths: list[LearningPath] = field(default_factory=list)


def attempt_result(*, attempt: Attempt) -> dict:
    """Score, per-skill scores with levels, and for each weak skill the paths that teach it;
    for a placement test, the path the score suggests."""
    skills = {s.pk: s for s in Skill.objects.filter(pk__in=[int(k) for k in attempt.skill_scores])}
    weak_ids = [int(k) for k, v in attempt.skill_scores.items() if v < attempt.assessment.pass_mark]
    teaching: dict[int, list[LearningPath]] = defaultdict(list)
    for path in (
        LearningPath.objects.published().filter(skills__in=weak_ids).prefetch_related("skills").distinct()
    ):
        for skill in path.skills.all():
            if skill.pk in weak_ids:
                teaching[skill.pk].append(path)
    outcomes = sorted(
        (
            SkillOutcome(
                skill=skills[int(k)],
                score=v,
                level=grading.proficiency_level(v),
                weak=int(k) in weak_ids,
                paths=teaching.get(int(k), []),
            )
            for k, v in attempt.skill_scores.items()
            if int(k) in skills
        ),
        key=lambda o: (o.score, o.skill.name),
    )
    suggested = None
    if attempt.assessment.kind == "placement":
        level = {"novice": Level.BEGINNER, "practitioner": Level.INTERMEDIATE, "expert": Level.ADVANCED}[
            grading.proficiency_level(attempt.score)
        ]
        placement = attempt.assessment.placement_paths.published()
        suggested = placement.filter(level=level).first() or placement.order_by("level").first()
    return {"skills": outcomes, "suggested_path": suggested}


# --- Proficiency ----------------------------------------------------------------------------


@dataclass
class Proficiency:
    skill: Skill
    level: str  # novice / practitioner / expert / unverified
    score: Decimal | None
    achieved_at: object = None

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self.level]


def _best_results(users_filter: Q, now=None) -> dict[tuple[int, int], tuple[Decimal | None, object]]:
    """(user, skill) -> (best score within the skill's validity or None, latest result time).

    Two queries whatever the size of the taxonomy: the distinct validity periods, then one grouped
    pass whose "recent" filter ORs one window per validity period."""
    now = now or timezone.now()
    validities = set(Skill.objects.values_list("validity_days", flat=True).distinct())
    if not validities:
        return {}
    recent = Q()
    for days in validities:
        recent |= Q(skill__validity_days=days, achieved_at__gte=now - timedelta(days=days))
    rows = (
        SkillResult.objects.filter(users_filter)
        .order_by()
        .values("user", "skill")
        .annotate(recent=Max("score", filter=recent), last=Max("achieved_at"))
    )
    return {(row["user"], row["skill"]): (row["recent"], row["last"]) for row in rows}


def user_proficiency(*, user: User) -> list[Proficiency]:
    """The person's level per skill they were assessed on; 'unverified' once results are too old."""
    best = _best_results(Q(user=user))
    skills = {s.pk: s for s in Skill.objects.filter(pk__in={k[1] for k in best}).select_related("area")}
    result = []
    for (_, skill_id), (score, last) in best.items():
        level = grading.proficiency_level(score) if score is not None else "unverified"
        result.append(Proficiency(skill=skills[skill_id], level=level, score=score, achieved_at=last))
    return sorted(result, key=lambda p: (p.skill.area.position, p.skill.name))


def team_proficiency(*, account: Account) -> dict:
    """A member x skill grid of levels for one account."""
    members = list(account.users.filter(is_active=True).order_by("full_name"))
    best = _best_results(Q(user__account=account))
    skills = list(Skill.objects.filter(pk__in={k[1] for k in best}).select_related("area"))
    grid = []
    for member in members:
        cells = []
        for skill in skills:
            score, _ = best.get((member.pk, skill.pk), (None, None))
            known = (member.pk, skill.pk) in best
            cells.append(
                grading.proficiency_level(score) if score is not None else ("unverified" if known else "")
            )
        grid.append((member, cells))
    return {"skills": skills, "rows": grid}


def accounts_proficiency(*, target: str = "practitioner", accounts: QuerySet[Account] | None = None) -> dict:
    """Per account and skill: the share of its active users at or above `target` (METRICS.md)."""
    accounts = list(
        (accounts if accounts is not None else Account.objects.active())
        .annotate(people=Count("users", filter=Q(users__is_active=True)))
        .order_by("name")
    )
    best = _best_results(Q(user__account__in=accounts, user__is_active=True))
    user_account = dict(User.objects.filter(account__in=accounts).values_list("pk", "account_id"))
    threshold = LEVELS.index(target)
    reached: dict[tuple[int, int], int] = defaultdict(int)
    for (user_id, skill_id), (score, _) in best.items():
        if score is not None and LEVELS.index(grading.proficiency_level(score)) >= threshold:
            reached[(user_account[user_id], skill_id)] += 1
    skills = list(Skill.objects.filter(pk__in={k[1] for k in best}).select_related("area"))
    rows = []
    for account in accounts:
        cells = [
            (
                reached.get((account.pk, s.pk), 0),
                round(100 * reached.get((account.pk, s.pk), 0) / account.people) if account.people else None,
            )
            for s in skills
        ]
        rows.append((account, cells))
    return {"skills": skills, "rows": rows, "target": target}


# --- Certifications -----------------------------------------------------------------------


@dataclass
class CertificationProgress:
    certification: Certification
    award: Award | None
    assessments: list[tuple[Assessment, bool]]
    paths: list[tuple[LearningPath, bool]]

    @property
    def done(self) -> int:
        return sum(ok for _, ok in self.assessments) + sum(ok for _, ok in self.paths)

    @property
    def total(self) -> int:
        return len(self.assessments) + len(self.paths)


def certification_progress(*, user: User) -> list[CertificationProgress]:
    certifications = list(
        Certification.objects.published()
        .select_related("recertification_path")
        .prefetch_related("required_assessments", "required_paths")
    )
    awards = {}
    for award in Award.objects.filter(user=user).order_by("cycle"):
        awards[award.certification_id] = award  # the latest cycle wins
    passed = set(Attempt.objects.filter(user=user, passed=True).values_list("assessment_id", flat=True))
    completed = set(
        Enrolment.objects.filter(user=user, completed_at__isnull=False).values_list("path_id", flat=True)
    )
    return [
        CertificationProgress(
            certification=c,
            award=awards.get(c.pk),
            assessments=[(a, a.pk in passed) for a in c.required_assessments.all()],
            paths=[(p, p.pk in completed) for p in c.required_paths.all()],
        )
        for c in certifications
    ]


def award_by_code(*, code: str) -> Award | None:
    return Award.objects.select_related("certification", "user").filter(code=code).first()


def team_awards(*, account: Account) -> QuerySet[Award]:
    return (
        Award.objects.filter(user__account=account)
        .select_related("certification", "user")
        .order_by("user__full_name", "-issued_at")
    )


# --- Incentives ---------------------------------------------------------------------------


def points_total(*, user: User) -> int:
    return PointEntry.objects.filter(user=user).aggregate(s=Sum("points"))["s"] or 0


def leaderboard(*, account: Account | None = None, limit: int = 20) -> list[dict]:
    """Top people by points: within one account, or across accounts among those who opted in."""
    entries = PointEntry.objects.all()
    if account is not None:
        entries = entries.filter(user__account=account)
    else:
        opted = IncentivePreference.objects.filter(global_leaderboard=True).values("user")
        entries = entries.filter(user__in=opted)
    rows = list(
        entries.values("user", "user__full_name", "user__account__name")
        .annotate(points=Sum("points"))
        .order_by("-points", "user__full_name")[:limit]
    )
    board, rank = [], 0
    for position, row in enumerate(rows, start=1):
        if not board or row["points"] != board[-1]["points"]:
            rank = position  # competition ranking: equal points share a rank (1, 2, 2, 4)
        board.append(
            {
                "rank": rank,
                "user_id": row["user"],
                "name": row["user__full_name"],
                "account": row["user__account__name"],
                "points": row["points"],
            }
        )
    return board


def user_badges(*, user: User) -> QuerySet[BadgeAward]:
    return BadgeAward.objects.filter(user=user).select_related("badge")
