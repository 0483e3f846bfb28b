"""Assessment journeys: a learner fails a skill, follows the path the result suggests, retakes,
passes, is certified and the certification verifies signed out; a timed attempt on a phone."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.assessments.models import Assessment, AssessmentQuestion, Award, Certification, Option, Question
from apps.learning.models import ContentItem, LearningPath, PathStep, Skill, SkillArea
from tests.factories import AccountFactory, UserFactory


def _question(text, skill, options, kind="single", **fields):
    question = Question.objects.create(text=text, kind=kind, explanation=f"Why: {text}", **fields)
    question.skills.add(skill)
    for position, (option_text, right) in enumerate(options):
        Option.objects.create(question=question, text=option_text, is_correct=right, position=position)
    return question


@pytest.fixture
def catalogue():
    area = SkillArea.objects.create(name="Analytics")
    dashboards = Skill.objects.create(area=area, name="Dashboards", slug="dashboards")
    sharing = Skill.objects.create(area=area, name="Sharing", slug="sharing")
    check = Assessment.objects.create(
        title="Dashboard skills check",
        slug="dashboard-skills-check",
        description="Show that you can **build and share** dashboards.",
        pass_mark=70,
        attempt_limit=None,
        cooldown_hours=0,
        shuffle_questions=False,
        shuffle_options=False,
        status="published",
        published_at=timezone.now(),
    )
    questions = [
        _question(
            "Which chart shows a trend over time?", dashboards, [("Line chart", True), ("Pie chart", False)]
        ),
        _question(
            "Who can see a dashboard shared with a team?",
            sharing,
            [("Everyone in the team", True), ("Only its owner", False)],
        ),
    ]
    for position, question in enumerate(questions):
        AssessmentQuestion.objects.create(assessment=check, question=question, position=position)
    article = ContentItem.objects.create(
        title="Sharing dashboards",
        slug="sharing-dashboards",
        kind="article",
        summary="Share with your team.",
        body="Teams see what is shared with them.",
        status="published",
        published_at=timezone.now(),
    )
    path = LearningPath.objects.create(
        title="Sharing made simple",
        slug="sharing-made-simple",
        summary="Share dashboards with confidence.",
        status="published",
        published_at=timezone.now(),
    )
    path.skills.add(sharing)
    PathStep.objects.create(path=path, position=0, content=article)
    certification = Certification.objects.create(
        title="Certified dashboard builder",
        slug="certified-dashboard-builder",
        description="Builds and shares dashboards.",
        criteria="Pass the dashboard skills check.",
        status="published",
    )
    certification.required_assessments.add(check)
    return check


def _answer(page, label):
    """Choose an option; the autosave confirms it in the question's own status line."""
    page.get_by_label(label, exact=True).check()
    fieldset = page.locator("fieldset", has=page.get_by_label(label, exact=True))
    expect(fieldset.get_by_text("Saved ✓")).to_be_visible()


def _submit(page):
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_role("heading", name=re.compile("Your result"))).to_be_visible()


def test_learner_fails_a_skill_learns_it_retakes_and_is_certified(page, login, catalogue):
    learner = UserFactory(email="lena@northwind.example", full_name="Lena Lind", account=AccountFactory())
    login(page, learner.email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Skills").click()
    page.get_by_role("link", name="Assessments", exact=True).click()
    page.get_by_role("link", name="Dashboard skills check").click()
    expect(page.get_by_text("Unlimited (0 used)")).to_be_visible()
    page.get_by_role("button", name="Start the assessment").click()
    _answer(page, "Line chart")
    _answer(page, "Only its owner")  # wrong: sharing is the weak skill
    _submit(page)
    expect(page.get_by_text("Not passed", exact=True)).to_be_visible()
    sharing_row = page.get_by_role("row", name=re.compile("Sharing"))
    expect(sharing_row).to_contain_text("To work on")

    sharing_row.get_by_role("link", name="Sharing made simple").click()
    page.get_by_role("button", name="Enrol in this path").click()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("1 of 1 required steps done (100%)")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Skills").click()
    page.get_by_role("link", name="Assessments", exact=True).click()
    page.get_by_role("link", name="Dashboard skills check").click()
    page.get_by_role("button", name="Start a new attempt").click()
    _answer(page, "Line chart")
    _answer(page, "Everyone in the team")
    _submit(page)
    expect(page.get_by_text("Your answers are graded: 100% — you passed.")).to_be_visible()
    expect(page.get_by_text("You earned the certification “Certified dashboard builder”.")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Skills").click()
    certificate = page.locator("article", has_text="Certified dashboard builder")
    expect(certificate).to_contain_text("✓ Valid")
    award = Award.objects.get(user=learner)
    verify_link = certificate.get_by_role("link", name="Public verification page")
    expect(verify_link).to_have_attribute("href", f"/verify/{award.code}/")

    page.get_by_role("button", name="Sign out").click()
    page.goto(f"/verify/{award.code}/")  # anyone with the link, signed out
    expect(page.get_by_role("heading", name="Certified dashboard builder")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(re.compile("valid", re.IGNORECASE))
    expect(page.get_by_text("Lena Lind").first).to_be_visible()


def test_timed_attempt_on_a_phone(phone_page, login, catalogue):
    page = phone_page
    area = SkillArea.objects.get()
    skill = Skill.objects.create(area=area, name="Imports", slug="imports")
    timed = Assessment.objects.create(
        title="Import quiz",
        slug="import-quiz",
        time_limit_minutes=15,
        shuffle_options=False,
        status="published",
        published_at=timezone.now(),
    )
    rows = Question.objects.create(
        text="How many rows fit in a sheet, in millions?",
        kind="numeric",
        numeric_answer=Decimal("1.048576"),
        numeric_tolerance=Decimal("0.01"),
    )
    rows.skills.add(skill)
    formats = _question(
        "Which formats can you import?",
        skill,
        [("CSV", True), ("XLSX", True), ("PDF", False)],
        kind="multiple",
    )
    AssessmentQuestion.objects.create(assessment=timed, question=rows, position=0)
    AssessmentQuestion.objects.create(assessment=timed, question=formats, position=1)
    learner = UserFactory(account=AccountFactory())
    login(page, learner.email)

    page.goto(timed.get_absolute_url())
    page.get_by_role("button", name="Start the assessment").click()
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"Time left: 1[45]:\d\d"))  # counted down in the browser
    page.get_by_label("Your answer").fill("1.05")
    page.get_by_label("Your answer").blur()
    expect(page.locator(f"#answer-status-{rows.pk}")).to_contain_text("Saved ✓")
    _answer(page, "CSV")
    _answer(page, "XLSX")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the take page scrolls sideways on a phone ({width}px)"
    _submit(page)
    expect(page.get_by_text("Passed", exact=True)).to_be_visible()
    assert timed.attempts.get().score == 100
    assert timezone.now() - timed.attempts.get().submitted_at < timedelta(minutes=1)
