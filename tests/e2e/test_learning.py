"""Learning journeys: a learner searches, enrols, completes a path and is offered the next one;
a content admin reorders a path's steps."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.learning.models import ContentItem, LearningPath, PathStep, Skill, SkillArea
from tests.factories import AccountFactory, UserFactory


def _content(title, summary, skill):
    item = ContentItem.objects.create(
        title=title,
        slug=re.sub(r"\W+", "-", title.lower()).strip("-"),
        kind="article",
        summary=summary,
        body=f"## {title}\n\nThe essentials, step by step.",
        level="beginner",
        estimated_minutes=10,
        status="published",
        published_at=timezone.now(),
    )
    item.skills.add(skill)
    return item


@pytest.fixture
def catalogue():
    area = SkillArea.objects.create(name="Analytics")
    skill = Skill.objects.create(area=area, name="Dashboards", slug="dashboards")
    basics = _content("Dashboard basics", "Build your first dashboard.", skill)
    sharing = _content("Sharing dashboards", "Share dashboards with your team.", skill)
    _content("Importing data", "Bring your data in.", skill)
    foundations = LearningPath.objects.create(
        title="Dashboard foundations",
        slug="dashboard-foundations",
        summary="From zero to a shared dashboard.",
        level="beginner",
        job_roles=["analyst"],
        status="published",
        published_at=timezone.now(),
    )
    PathStep.objects.create(path=foundations, position=0, content=basics)
    PathStep.objects.create(path=foundations, position=1, content=sharing)
    advanced = LearningPath.objects.create(
        title="Advanced dashboards",
        slug="advanced-dashboards",
        summary="Drill-downs and alerts.",
        level="intermediate",
        status="published",
        published_at=timezone.now(),
    )
    advanced.prerequisites.add(foundations)
    PathStep.objects.create(path=advanced, position=0, content=basics)
    return foundations


def test_learner_searches_enrols_completes_a_path_and_gets_the_next(page, login, catalogue):
    learner = UserFactory(email="lena@northwind.example", account=AccountFactory(), job_role="analyst")
    login(page, learner.email)

    page.get_by_role("link", name="Learn", exact=True).click()
    page.get_by_label("Search the library").fill("sharing")
    expect(page.get_by_text("1 item found")).to_be_visible()  # htmx swapped the results in
    expect(page.get_by_role("link", name="Sharing dashboards")).to_be_visible()
    expect(page.get_by_role("link", name="Importing data")).to_have_count(0)

    page.get_by_role("link", name="Paths", exact=True).click()
    page.get_by_role("link", name="Dashboard foundations").click()
    page.get_by_role("button", name="Enrol in this path").click()
    expect(page.get_by_text("You are enrolled")).to_be_visible()

    for done in (1, 2):
        page.get_by_role("button", name="Mark as done").first.click()
        # htmx swaps the step list; wait for it before the next click
        expect(page.get_by_text(f"{done} of 2 required steps done")).to_be_visible()
    expect(page.get_by_text("2 of 2 required steps done (100%)")).to_be_visible()
    page.reload()
    expect(page.get_by_text(re.compile(r"✓ Completed"))).to_be_visible()

    page.goto("/learn/next/")
    recommendation = page.locator(".recommendation", has_text="Advanced dashboards")
    expect(recommendation).to_be_visible()
    expect(recommendation).to_contain_text("The next step after “Dashboard foundations”, which you completed")


def test_content_admin_reorders_a_paths_steps(page, login, catalogue):
    admin = UserFactory(email="cleo@vendor.example", content_admin=True)
    login(page, admin.email)
    page.get_by_role("link", name="Studio", exact=True).click()
    page.get_by_role("link", name="Paths").first.click()
    page.get_by_role("link", name="Dashboard foundations").click()

    steps = page.locator("#steps ol > li")
    expect(steps.first).to_contain_text("Dashboard basics")
    page.get_by_role("button", name="Move “Sharing dashboards” up").click()
    expect(steps.first).to_contain_text("Sharing dashboards")  # swapped in place by htmx
    page.reload()
    expect(steps.first).to_contain_text("Sharing dashboards")
    expect(steps.nth(1)).to_contain_text("Dashboard basics")
    assert list(catalogue.steps.order_by("position").values_list("content__title", flat=True)) == [
        "Sharing dashboards",
        "Dashboard basics",
    ]
