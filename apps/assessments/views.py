"""The learner's assessment pages: the catalogue, taking an attempt (autosaved with htmx, one
plain form without JavaScript), results; achievements, the team's and the accounts' proficiency,
and the leaderboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import Account, Role
from apps.accounts.permissions import customer_admin_required, role_required
from apps.assessments import selectors, services
from apps.assessments.forms import LeaderboardPreferenceForm, ProficiencyTargetForm, posted_answers
from apps.assessments.models import (
    Assessment,
    Attempt,
    AttemptStatus,
    Award,
    IncentivePreference,
    Option,
    Question,
    QuestionKind,
)

# --- Helpers ---------------------------------------------------------------------------------


def _visible_assessment(request, slug) -> Assessment:
    return get_object_or_404(Assessment.objects.visible_to(request.user), slug=slug)


def _own_attempt(request, pk) -> Attempt:
    """Someone else's attempt is a 404, not a 403: its existence is not theirs to know."""
    return get_object_or_404(Attempt.objects.select_related("assessment"), pk=pk, user=request.user)


@dataclass
class Availability:
    """Whether the person may start (or resume) the assessment now, and if not, why."""

    open_attempt: Attempt | None
    used: int
    blocked: str

    @property
    def can_start(self) -> bool:
        return self.open_attempt is not None or not self.blocked


def _availability(*, assessment: Assessment, attempts: list[Attempt]) -> Availability:
    """Mirrors the rules `services.attempt_start` enforces, to say them before anyone clicks;
    the service stays the judge (its message is shown if the two ever disagree)."""
    open_attempt = next((a for a in attempts if a.is_open), None)
    used = len(attempts)
    left = None if assessment.attempt_limit is None else max(assessment.attempt_limit - used, 0)
    blocked = ""
    if not assessment.is_published:
        blocked = "This assessment is a draft: learners cannot take it yet."
    elif open_attempt is None and left == 0:
        blocked = f"You have used all {assessment.attempt_limit} attempts of this assessment."
    elif open_attempt is None and attempts and assessment.cooldown_hours:
        last = max(attempts, key=lambda a: a.number)
        ready_at = (last.submitted_at or last.started_at) + timedelta(hours=assessment.cooldown_hours)
        if timezone.now() < ready_at:
            when = timezone.localtime(ready_at).strftime("%d %b %Y, %H:%M")
            blocked = f"You can try again from {when}."
    return Availability(open_attempt=open_attempt, used=used, blocked=blocked)


def _my_attempts(request, assessment: Assessment) -> list[Attempt]:
    attempts = list(Attempt.objects.filter(user=request.user, assessment=assessment).order_by("-number"))
    for i, attempt in enumerate(attempts):
        if attempt.is_open and attempt.deadline_at:
            attempts[i] = services.attempt_close_if_overdue(attempt=attempt)
    return attempts


def _number(value: Decimal | None) -> str:
    """12.500000 -> '12.5', 100.000000 -> '100'."""
    return "" if value is None else f"{value.normalize():f}"


@dataclass
class QuestionOutcome:
    number: int
    question: Question
    options: list[tuple[Option, bool, bool]]  # (option, chosen, right)
    numeric: Decimal | None
    answered: bool
    points: Decimal

    @property
    def numeric_text(self) -> str:
        return _number(self.numeric)

    @property
    def right_numeric_text(self) -> str:
        return _number(self.question.numeric_answer)

    @property
    def tolerance_text(self) -> str:
        return _number(self.question.numeric_tolerance) if self.question.numeric_tolerance else ""

    @property
    def verdict(self) -> str:
        if not self.answered:
            return "unanswered"
        if self.points >= self.question.points:
            return "right"
        return "partly" if self.points > 0 else "wrong"


def _question_outcomes(attempt: Attempt) -> list[QuestionOutcome]:
    """Each question of a graded attempt with the person's answer and the right one.
    Only for submitted attempts: this is where the right answers are finally shown."""
    questions = {
        q.pk: q for q in Question.objects.filter(pk__in=attempt.question_order).prefetch_related("options")
    }
    answers = {a.question_id: a for a in attempt.answers.all()}
    outcomes = []
    for number, question_id in enumerate(attempt.question_order, start=1):
        question = questions.get(question_id)
        if question is None:
            continue
        answer = answers.get(question_id)
        chosen = set(answer.selected) if answer else set()
        by_id = {o.pk: o for o in question.options.all()}
        order = attempt.option_order.get(str(question_id)) or list(by_id)
        outcomes.append(
            QuestionOutcome(
                number=number,
                question=question,
                options=[(by_id[pk], pk in chosen, by_id[pk].is_correct) for pk in order if pk in by_id],
                numeric=answer.numeric_value if answer else None,
                answered=bool(answer and (answer.selected or answer.numeric_value is not None)),
                points=(answer.points_awarded or Decimal(0)) if answer else Decimal(0),
            )
        )
    return outcomes


# --- Catalogue -------------------------------------------------------------------------------


@login_required
def assessment_list(request):
    assessments = selectors.assessment_list(user=request.user)
    open_attempts = dict(
        Attempt.objects.filter(user=request.user, status=AttemptStatus.IN_PROGRESS).values_list(
            "assessment_id", "pk"
        )
    )
    for assessment in assessments:
        assessment.open_attempt_id = open_attempts.get(assessment.pk)
        used = assessment.my_attempts + (1 if assessment.open_attempt_id else 0)
        assessment.attempts_left = (
            None if assessment.attempt_limit is None else max(assessment.attempt_limit - used, 0)
        )
    return TemplateResponse(request, "assessments/assessment_list.html", {"assessments": assessments})


@login_required
def assessment_detail(request, slug):
    assessment = _visible_assessment(request, slug)
    attempts = _my_attempts(request, assessment)
    return TemplateResponse(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "attempts": attempts,
            "availability": _availability(assessment=assessment, attempts=attempts),
            "question_count": assessment.items.count(),
        },
    )


@require_POST
@login_required
def assessment_start(request, slug):
    assessment = _visible_assessment(request, slug)
    try:
        attempt = services.attempt_start(user=request.user, assessment=assessment)
    except services.AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect(assessment.get_absolute_url())
    return redirect(attempt.get_absolute_url())


# --- Taking an attempt -----------------------------------------------------------------------


@login_required
def attempt_take(request, pk):
    attempt = _own_attempt(request, pk)
    if attempt.is_open:
        attempt = services.attempt_close_if_overdue(attempt=attempt)
        if not attempt.is_open:
            messages.warning(request, "Time ran out; your saved answers were graded.")
    if not attempt.is_open:
        return redirect("attempt_result", pk=attempt.pk)
    time_left = attempt.time_left()
    return TemplateResponse(
        request,
        "assessments/attempt_take.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "questions": selectors.attempt_questions(attempt=attempt),
            "seconds_left": int(time_left.total_seconds()) if time_left is not None else None,
            "kinds": QuestionKind,
        },
    )


def _answer_status(request, attempt, *, question_id, error="", status=200):
    return TemplateResponse(
        request,
        "assessments/attempt_take.html#answer-status",
        {"attempt": attempt, "status_question_id": question_id, "error": error, "saved_at": timezone.now()},
        status=status,
    )


def _save_answers(request, attempt, posted) -> tuple[int, dict[str, list[int]]]:
    """Save each posted answer through the service; returns how many were saved and the
    refusals as {message: [question ids]}."""
    answered_before = set(attempt.answers.values_list("question_id", flat=True)) if len(posted) > 1 else set()
    errors: dict[str, list[int]] = {}
    saved = 0
    for answer in posted:
        if len(posted) > 1 and answer.is_blank and answer.question_id not in answered_before:
            continue  # untouched on the page: nothing to save
        try:
            services.answer_save(
                attempt=attempt,
                user=request.user,
                question_id=answer.question_id,
                selected=answer.selected,
                numeric_raw=answer.numeric,
            )
        except services.AssessmentError as exc:
            errors.setdefault(str(exc), []).append(answer.question_id)
        else:
            saved += 1
    return saved, errors


@require_POST
@login_required
def attempt_answer(request, pk):
    """Save answers: one question (the htmx autosave) or every question of the page's form."""
    attempt = _own_attempt(request, pk)
    try:
        posted = posted_answers(request.POST)
    except forms.ValidationError as exc:
        if request.htmx:
            return _answer_status(request, attempt, question_id=None, error=exc.messages[0], status=400)
        messages.error(request, exc.messages[0])
        return redirect(attempt.get_absolute_url())
    saved, errors = _save_answers(request, attempt, posted)
    if request.htmx:
        first_error = next(iter(errors), "")
        return _answer_status(
            request,
            attempt,
            question_id=posted[0].question_id,
            error=first_error,
            status=400 if first_error else 200,
        )
    for message, question_ids in errors.items():
        numbers = [
            str(attempt.question_order.index(q) + 1) for q in question_ids if q in attempt.question_order
        ]
        where = f" (question {', '.join(numbers)})" if numbers and len(posted) > 1 else ""
        messages.error(request, f"{message}{where}")
    if saved and not errors:
        messages.success(request, "Your answers are saved.")
    elif saved:
        messages.info(request, f"The other answers are saved ({saved}).")
    elif not errors:
        messages.info(request, "Nothing to save yet: choose or type an answer first.")
    return redirect(attempt.get_absolute_url())


@require_POST
@login_required
def attempt_submit(request, pk):
    attempt = _own_attempt(request, pk)
    try:
        attempt = services.attempt_submit(attempt=attempt, user=request.user)
    except services.AssessmentError as exc:
        messages.info(request, str(exc))
        return redirect("attempt_result", pk=attempt.pk)
    verdict = "you passed" if attempt.passed else f"the pass mark is {attempt.assessment.pass_mark}%"
    messages.success(request, f"Your answers are graded: {attempt.score.normalize():f}% — {verdict}.")
    for award in Award.objects.filter(user=request.user, issued_at__gte=attempt.submitted_at).select_related(
        "certification"
    ):
        messages.success(request, f"You earned the certification “{award.certification.title}”.")
    return redirect("attempt_result", pk=attempt.pk)


@login_required
def attempt_result(request, pk):
    attempt = _own_attempt(request, pk)
    if attempt.is_open:
        attempt = services.attempt_close_if_overdue(attempt=attempt)
    if attempt.is_open:
        messages.info(request, "Submit your answers to see your result.")
        return redirect(attempt.get_absolute_url())
    assessment = attempt.assessment
    result = selectors.attempt_result(attempt=attempt)
    suggested = result["suggested_path"]
    if suggested is not None and not (suggested.is_published or request.user.is_content_admin):
        suggested = None  # a draft path would be a dead link for the learner
    attempts = list(Attempt.objects.filter(user=request.user, assessment=assessment))
    return TemplateResponse(
        request,
        "assessments/attempt_result.html",
        {
            "attempt": attempt,
            "assessment": assessment,
            "skills": result["skills"],
            "weak_skills": [s for s in result["skills"] if s.weak],
            "suggested_path": suggested,
            "outcomes": _question_outcomes(attempt),
            "availability": _availability(assessment=assessment, attempts=attempts),
        },
    )


# --- Achievements and proficiency ------------------------------------------------------------


@login_required
def skills_mine(request):
    user = request.user
    progress = selectors.certification_progress(user=user)
    earned = [p for p in progress if p.award]
    return TemplateResponse(
        request,
        "assessments/skills_mine.html",
        {
            "proficiency": selectors.user_proficiency(user=user),
            "earned": earned,
            "valid_count": sum(p.award.status == "valid" for p in earned),
            "in_progress": [p for p in progress if not p.award and p.total],
            "points": selectors.points_total(user=user),
            "badges": selectors.user_badges(user=user),
        },
    )


@customer_admin_required
def skills_team(request):
    account = request.user.account
    awards = selectors.team_awards(account=account)
    return TemplateResponse(
        request,
        "assessments/skills_team.html",
        {"account": account, "team": selectors.team_proficiency(account=account), "awards": awards},
    )


@role_required(Role.CS_MANAGER)
def skills_accounts(request):
    target = ProficiencyTargetForm(request.GET or None).target_level()
    page = Paginator(Account.objects.active().order_by("name", "pk"), 25).get_page(request.GET.get("page"))
    data = selectors.accounts_proficiency(
        target=target, accounts=Account.objects.filter(pk__in=[a.pk for a in page.object_list])
    )
    query = request.GET.copy()
    query.pop("page", None)
    query["target"] = target
    context = {
        "page": page,
        "data": data,
        "target": target,
        "target_label": selectors.LEVEL_LABELS[target],
        "levels": [(level, selectors.LEVEL_LABELS[level]) for level in selectors.LEVELS],
        "query": query.urlencode(),
    }
    template = "assessments/skills_accounts.html#grid" if request.htmx else "assessments/skills_accounts.html"
    return TemplateResponse(request, template, context)


# --- Leaderboard -----------------------------------------------------------------------------

BOARD_SIZE = 20
BOARD_REACH = 1000  # how far down we look for the person's own row


def _board(rows: list[dict], user) -> dict:
    """The top of a leaderboard, plus the person's own row when they rank below it."""
    me = next((row for row in rows if row["user_id"] == user.pk), None)
    return {"rows": rows[:BOARD_SIZE], "me": me if me and me["rank"] > BOARD_SIZE else None}


@require_http_methods(["GET", "POST"])
@login_required
def leaderboard(request):
    user = request.user
    if request.method == "POST":
        if not user.is_customer:
            raise PermissionDenied("Only customers' people appear on the leaderboard.")
        form = LeaderboardPreferenceForm(request.POST)
        form.is_valid()  # a boolean: anything missing means "off"
        on = form.cleaned_data.get("global_leaderboard", False)
        services.incentive_preference_set(user=user, global_leaderboard=on)
        messages.success(
            request,
            "You now appear on the leaderboard across all customers."
            if on
            else "You no longer appear on the leaderboard across all customers.",
        )
        return redirect("leaderboard")
    preference = IncentivePreference.objects.filter(user=user).first()
    show_account = user.is_customer and user.account_id is not None
    return TemplateResponse(
        request,
        "assessments/leaderboard.html",
        {
            "account_board": _board(selectors.leaderboard(account=user.account, limit=BOARD_REACH), user)
            if show_account
            else None,
            "global_board": _board(selectors.leaderboard(limit=BOARD_REACH), user),
            "opted_in": bool(preference and preference.global_leaderboard),
            "points": selectors.points_total(user=user),
        },
    )
