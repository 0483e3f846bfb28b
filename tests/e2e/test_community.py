"""Community journeys: a learner searches the ideas board, finds a similar idea while typing a
title, votes for it instead of posting a duplicate, and comments; when a content admin ships a
linked roadmap item, the voter sees the notification and the unread update."""

import re

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.community.models import Comment, Idea, ProductArea, Vote
from tests.factories import AccountFactory, UserFactory


@pytest.fixture
def board():
    area = ProductArea.objects.create(name="Reporting", slug="reporting")
    author = UserFactory(account=AccountFactory())
    pdf = Idea.objects.create(
        title="Schedule dashboard exports as PDF",
        description="Our board pack is built by hand.",
        author=author,
    )
    pdf.areas.add(area)
    Idea.objects.create(title="Dark mode", description="Night shifts.", author=author)
    return pdf


def _vote_instead_of_posting(page, login, learner, idea):
    login(page, learner.email)
    page.get_by_role("link", name="Community", exact=True).click()
    page.get_by_label("Search ideas").fill("dashboard")
    expect(page.get_by_text("1 idea found")).to_be_visible()  # htmx swapped the results in
    expect(page.get_by_role("link", name="Dark mode")).to_have_count(0)

    page.get_by_role("link", name="Post an idea").first.click()
    page.get_by_label("Title").press_sequentially("Export dashboards to PDF every week", delay=10)
    similar = page.locator("#similar-ideas")
    expect(similar.get_by_role("link", name=idea.title)).to_be_visible()
    similar.get_by_role("button", name=f"Vote for “{idea.title}”").click()
    expect(similar.get_by_role("button", name=re.compile(r"Remove your vote"))).to_contain_text("✓ Voted · 1")
    assert Vote.objects.filter(idea=idea, user=learner).exists()
    assert Idea.objects.count() == 2  # no duplicate posted

    similar.get_by_role("link", name=idea.title).click()
    page.get_by_label("Your comment").fill("We rebuild this every Monday too.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is posted.")).to_be_visible()
    expect(page.get_by_text("We rebuild this every Monday too.")).to_be_visible()
    assert Comment.objects.filter(idea=idea, author=learner).exists()


def test_learner_finds_a_similar_idea_and_votes_instead_of_posting(page, login, board):
    learner = UserFactory(email="lena@northwind.example", account=AccountFactory())
    _vote_instead_of_posting(page, login, learner, board)


def test_voter_hears_when_a_linked_roadmap_item_ships(browser, live_server, page, login, board):
    try:
        reverse("studio_roadmap_item_ship", args=[1])
    except NoReverseMatch:
        pytest.skip("the roadmap's studio_roadmap_item_ship view is not there yet")
    from apps.roadmap.models import ProductUpdate, RoadmapItem

    learner = UserFactory(email="lena@northwind.example", account=AccountFactory())
    _vote_instead_of_posting(page, login, learner, board)
    item = RoadmapItem.objects.create(title="PDF exports on a schedule", status="in_progress")
    item.ideas.add(board)
    update = ProductUpdate.objects.create(
        title="Scheduled PDF exports are here",
        body="Send dashboards as PDF every week.",
        published_at=timezone.now(),
    )
    update.ideas.add(board)

    admin = UserFactory(email="cleo@vendor.example", content_admin=True)
    staff_page = page.context.browser.new_context(base_url=live_server.url).new_page()
    login(staff_page, admin.email)
    staff_page.goto(reverse("studio_roadmap"))
    staff_page.once("dialog", lambda dialog: dialog.accept())
    staff_page.get_by_role("button", name=f"Ship {item.title}").click()
    staff_page.wait_for_load_state()
    staff_page.context.close()
    assert Idea.objects.get(pk=board.pk).status == "shipped"

    page.goto(reverse("notification_list"))
    expect(page.get_by_role("link", name=f"Shipped: {item.title}")).to_be_visible()
    page.goto(reverse("update_list"))
    expect(page.get_by_role("link", name=update.title)).to_be_visible()
