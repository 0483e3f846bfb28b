"""Tests of apps/assessments/grading.py: pure functions, no database."""

from decimal import Decimal

import pytest

from apps.assessments.grading import grade, parse_numeric, proficiency_level
from apps.assessments.models import Question, QuestionKind

D = Decimal


def choice(kind, *, points=1, partial=False):
    return Question(kind=kind, points=points, partial_credit=partial)


def numeric(answer="42", tolerance="0.5", points=1):
    return Question(
        kind=QuestionKind.NUMERIC, points=points, numeric_answer=D(answer), numeric_tolerance=D(tolerance)
    )


def graded(question, selected=None, value=None, *, correct=(), options=()):
    return grade(
        question, selected=selected, numeric_value=value, correct_ids=set(correct), option_ids=set(options)
    )


# --- Single choice and true/false ------------------------------------------------------------


@pytest.mark.parametrize("kind", [QuestionKind.SINGLE, QuestionKind.TRUE_FALSE])
def test_single_answer_kinds_earn_full_points_for_the_right_option_only(kind):
    question = choice(kind, points=3)
    options = {1, 2, 3} if kind == QuestionKind.SINGLE else {1, 2}
    assert graded(question, [1], correct={1}, options=options) == 3
    assert graded(question, [2], correct={1}, options=options) == 0
    assert graded(question, [1, 2], correct={1}, options=options) == 0  # both ticked is not an answer
    assert graded(question, ["1"], correct={1}, options=options) == 3  # ids may arrive as strings


@pytest.mark.parametrize(
    "kind", [QuestionKind.SINGLE, QuestionKind.TRUE_FALSE, QuestionKind.MULTIPLE, QuestionKind.NUMERIC]
)
def test_empty_answers_earn_nothing(kind):
    question = numeric() if kind == QuestionKind.NUMERIC else choice(kind, partial=True)
    assert graded(question, None, None, correct={1}, options={1, 2}) == 0
    assert graded(question, [], None, correct={1}, options={1, 2}) == 0


def test_options_of_other_questions_are_ignored():
    single = choice(QuestionKind.SINGLE)
    # 99 belongs to another question: it neither counts as a second pick nor as the right one.
    assert graded(single, [1, 99], correct={1}, options={1, 2, 3}) == 1
    assert graded(single, [99], correct={99}, options={1, 2, 3}) == 0
    multiple = choice(QuestionKind.MULTIPLE, partial=True)
    assert graded(multiple, [1, 2, 77, 78], correct={1, 2}, options={1, 2, 3, 4}) == 1


# --- Multiple choice -------------------------------------------------------------------------


def test_multiple_all_or_nothing_needs_exactly_the_right_set():
    question = choice(QuestionKind.MULTIPLE, points=2)
    correct, options = {1, 2}, {1, 2, 3, 4}
    assert graded(question, [1, 2], correct=correct, options=options) == 2
    assert graded(question, [2, 1], correct=correct, options=options) == 2
    assert graded(question, [1], correct=correct, options=options) == 0
    assert graded(question, [1, 2, 3], correct=correct, options=options) == 0
    assert graded(question, [1, 2, 3, 4], correct=correct, options=options) == 0


def test_multiple_partial_credit_counts_right_picks_minus_wrong_ones():
    question = choice(QuestionKind.MULTIPLE, points=2, partial=True)
    correct, options = {1, 2}, {1, 2, 3, 4}
    assert graded(question, [1, 2], correct=correct, options=options) == 2
    assert graded(question, [1], correct=correct, options=options) == 1
    assert graded(question, [1, 2, 3], correct=correct, options=options) == 1  # 2 right - 1 wrong
    assert graded(question, [1, 3], correct=correct, options=options) == 0  # as many wrong as right
    assert graded(question, [1, 3, 4], correct=correct, options=options) == 0  # more wrong than right
    assert graded(question, [3, 4], correct=correct, options=options) == 0


def test_multiple_partial_credit_rounds_to_thousandths():
    question = choice(QuestionKind.MULTIPLE, points=1, partial=True)
    assert graded(question, [1], correct={1, 2, 3}, options={1, 2, 3, 4, 5, 6}) == D("0.333")


@pytest.mark.parametrize(
    ("correct", "options"),
    [
        ({1, 2}, {1, 2, 3, 4}),  # as many right options as wrong ones
        ({1}, {1, 2, 3, 4}),  # fewer right ones
        ({1, 2, 3}, {1, 2, 3, 4}),  # more right options than wrong ones
        ({1, 2, 3, 4}, {1, 2, 3, 4, 5}),
    ],
)
def test_ticking_every_box_earns_nothing_with_partial_credit(correct, options):
    question = choice(QuestionKind.MULTIPLE, points=4, partial=True)
    assert graded(question, sorted(options), correct=correct, options=options) == 0


@pytest.mark.parametrize(
    ("picked", "expected"),
    [
        ([1, 2, 3], D(4)),  # every right one
        ([1, 2], D("2.667")),  # two of three right ones
        ([1, 2, 3, 4], D(0)),  # every box
        ([1, 4], D(0)),  # as many wrong as right
        ([1, 2, 4], D(0)),  # a wrong pick costs as much as all the right options share it with
    ],
)
def test_partial_credit_when_most_options_are_right(picked, expected):
    """Three right options and one wrong one: a wrong pick must cost enough that ticking every box
    earns nothing."""
    question = choice(QuestionKind.MULTIPLE, points=4, partial=True)
    assert graded(question, picked, correct={1, 2, 3}, options={1, 2, 3, 4}) == expected


def test_a_multiple_choice_question_without_right_options_earns_nothing():
    question = choice(QuestionKind.MULTIPLE, partial=True)
    assert graded(question, [], correct=set(), options={1, 2}) == 0
    assert graded(question, [1], correct=set(), options={1, 2}) == 0


# --- Numeric ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "points"),
    [
        ("42", 2),
        ("41.5", 2),  # the tolerance is inclusive at both ends
        ("42.5", 2),
        ("41.499999", 0),
        ("42.500001", 0),
        ("-42", 0),
    ],
)
def test_numeric_answers_count_within_the_tolerance_inclusive(value, points):
    assert graded(numeric(points=2), value=D(value)) == points


def test_numeric_with_zero_tolerance_needs_the_exact_value():
    question = numeric("3.14", "0")
    assert graded(question, value=D("3.14")) == 1
    assert graded(question, value=D("3.140")) == 1
    assert graded(question, value=D("3.141")) == 0


def test_numeric_without_an_answer_configured_earns_nothing():
    question = Question(kind=QuestionKind.NUMERIC, points=1, numeric_answer=None)
    assert graded(question, value=D("1")) == 0


# --- parse_numeric ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("42", D("42")),
        (" 12 ", D("12")),
        ("1,234.5", D("1234.5")),
        ("1 234", D("1234")),
        ("-3.5", D("-3.5")),
        ("+7", D("7")),
        (".5", D("0.5")),
        ("5.", D("5")),
        ("1e3", D("1000")),
        ("0", D("0")),
    ],
)
def test_parse_numeric_accepts_what_people_type(raw, expected):
    assert parse_numeric(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", None, "abc", "12abc", "1.2.3", "NaN", "nan", "Infinity", "-inf", "1e12", "-1e15", "0x10"],
)
def test_parse_numeric_refuses_nonsense_and_huge_numbers(raw):
    assert parse_numeric(raw) is None


def test_parse_numeric_just_below_the_limit_is_fine():
    assert parse_numeric("999999999999") == D("999999999999")


def test_parse_numeric_rounds_to_what_an_answer_stores():
    """Answers keep six decimal places below 10^12: a number that only rounds up to 10^12 is
    refused here, or PostgreSQL would fail the save (numeric field overflow) with a 500."""
    assert parse_numeric("999999999999.9999999") is None
    assert parse_numeric("-999999999999.9999995") is None
    assert parse_numeric("999999999999.999999") == D("999999999999.999999")
    assert parse_numeric("1.23456789") == D("1.234568")


# --- Proficiency levels (METRICS.md: novice < 50 <= practitioner < 80 <= expert) -------------------


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, "novice"),
        (49.99, "novice"),
        (D("49.99"), "novice"),
        (50, "practitioner"),
        (D("50.00"), "practitioner"),
        (79.99, "practitioner"),
        ("79.99", "practitioner"),
        (80, "expert"),
        (D("80.00"), "expert"),
        (100, "expert"),
    ],
)
def test_proficiency_level_boundaries(score, level):
    assert proficiency_level(score) == level
