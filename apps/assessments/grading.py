"""Grading rules for each question kind: pure functions, no database."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from apps.assessments.models import QuestionKind


def grade(
    question,
    *,
    selected: list[int] | None,
    numeric_value: Decimal | None,
    correct_ids: set[int],
    option_ids: set[int],
) -> Decimal:
    """Points earned on one question (0 .. question.points).

    - single choice and true/false: full points for exactly the right option;
    - multiple choice, all-or-nothing: full points for exactly the set of right options;
    - multiple choice with partial credit: points x (right picks - wrong picks x cost) / right options,
      never below zero; a wrong pick costs one right pick, or more when most options are right
      (right options / wrong options), so ticking every box earns nothing;
    - numeric: full points within the tolerance (inclusive), else none.
    """
    points = Decimal(question.points)
    if question.kind == QuestionKind.NUMERIC:
        if numeric_value is None or question.numeric_answer is None:
            return Decimal(0)
        return (
            points
            if abs(numeric_value - question.numeric_answer) <= question.numeric_tolerance
            else Decimal(0)
        )
    chosen = {int(x) for x in (selected or [])} & option_ids
    if question.kind in (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE):
        return points if len(chosen) == 1 and chosen == correct_ids else Decimal(0)
    if not correct_ids:
        return Decimal(0)
    if not question.partial_credit:
        return points if chosen == correct_ids else Decimal(0)
    right = len(chosen & correct_ids)
    wrong = len(chosen - correct_ids)
    wrong_options = len(option_ids - correct_ids)
    cost = max(Decimal(1), Decimal(len(correct_ids)) / wrong_options) if wrong_options else Decimal(1)
    share = max(right - wrong * cost, Decimal(0)) / Decimal(len(correct_ids))
    return (points * share).quantize(Decimal("0.001"))


def parse_numeric(raw: str) -> Decimal | None:
    """A number typed by a person: '1,234.5' and ' 12 ' are fine; nonsense is None."""
    cleaned = (raw or "").strip().replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        return None
    # Rounded as an answer is stored (6 decimal places, below 10^12), so it always fits.
    value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return value if abs(value) < Decimal("1e12") else None


def proficiency_level(score) -> str:
    """METRICS.md: novice < 50 <= practitioner < 80 <= expert."""
    score = Decimal(score)
    if score < 50:
        return "novice"
    if score < 80:
        return "practitioner"
    return "expert"
