"""Health journey: a CS manager filters the portfolio to red accounts, opens one, reads why it is
red (a missed rule and what to do about it), and exports the red list; the portfolio also fits a
phone held upright."""

import re

from django.utils import timezone
from playwright.sync_api import expect

from apps.analytics.services import health_recompute
from apps.interactions.models import Interaction
from tests.factories import AccountFactory, UserFactory


def _portfolio():
    """Rust Ltd: nobody active, untrained: red. Greenfield: every seat active, every rule met: green."""
    now = timezone.now()
    red = AccountFactory(name="Rust Ltd", licensed_seats=10)
    UserFactory(account=red, full_name="Rae Rust")
    green = AccountFactory(name="Greenfield", licensed_seats=2)
    for name in ("Gil Green", "Gwen Green"):
        person = UserFactory(account=green, full_name=name)
        for kind, value in [
            ("learning.content_viewed", None),
            ("roadmap.update_read", None),
            ("community.vote_cast", None),
            ("learning.course_completed", None),
            ("certification.earned", None),
            ("survey.response_submitted", 10),
        ]:
            Interaction.objects.create(account=green, user=person, kind=kind, value=value, occurred_at=now)
    health_recompute(day=timezone.localdate())


def test_cs_manager_finds_a_red_account_reads_why_and_exports_the_list(page, login, db):
    _portfolio()
    manager = UserFactory(email="cas@vendor.example", full_name="Cas Manager", cs_manager=True)

    login(page, manager.email)
    page.goto("/analytics/")
    expect(page.get_by_role("heading", name="Portfolio health")).to_be_visible()
    table = page.locator("#portfolio-results table")
    expect(table.get_by_role("link", name="Greenfield")).to_be_visible()

    table.get_by_role("link", name="ARR").click()  # sorts through htmx, biggest first
    expect(page).to_have_url(re.compile(r"sort=-arr"))
    page.get_by_label("Band", exact=True).select_option("red")  # htmx swaps the results and pushes the URL
    expect(table.get_by_role("link", name="Greenfield")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"band=red.*sort=-arr"))  # the filter kept the sort
    expect(table.get_by_role("link", name="Rust Ltd")).to_be_visible()

    table.get_by_role("link", name="Rust Ltd").click()
    expect(page.get_by_role("heading", name="Rust Ltd", level=1)).to_be_visible()
    expect(page.locator(".health-headline").get_by_text("Red", exact=True)).to_be_visible()
    missed = page.locator(".health-rule--failed").filter(
        has_text="Viewed a product update in the last 60 days"
    )
    expect(missed.get_by_text("Not met")).to_be_visible()
    expect(missed.get_by_text("send the latest release notes to the admins and the sponsor")).to_be_visible()
    expect(page.get_by_text("No data — left out of the score").first).to_be_visible()

    page.go_back()
    expect(page).to_have_url(re.compile(r"band=red"))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.startswith("health-portfolio-")
    content = download.path().read_text(encoding="utf-8")
    assert "Rust Ltd" in content
    assert "Greenfield" not in content


def test_portfolio_fits_a_phone(phone_page, login, db):
    _portfolio()
    manager = UserFactory(email="cas@vendor.example", full_name="Cas Manager", cs_manager=True)
    login(phone_page, manager.email)
    phone_page.goto("/analytics/")
    expect(phone_page.get_by_role("link", name="Rust Ltd")).to_be_visible()
    widths = phone_page.evaluate(
        "[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    assert max(widths[:2]) <= widths[2], f"the page scrolls sideways: {widths}"
    # The table may scroll inside its own frame, never the page.
    assert phone_page.locator(".table-wrap").first.evaluate("e => getComputedStyle(e).overflowX") == "auto"
