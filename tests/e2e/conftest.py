"""Browser journeys: headless Debian Chromium driven by Playwright against pytest-django's live server.

Every journey fails if the browser saw a console error, a Content Security Policy violation or a
4xx/5xx answer from the portal itself, so a page that only breaks in a real browser (a blocked
inline script, a missing static file) cannot pass. On failure a screenshot is saved under
test-artifacts/e2e/.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests.factories import PASSWORD

# Playwright's sync API keeps an asyncio loop running in the main thread; Django would otherwise
# refuse ORM calls made by the test itself (factories, assertions) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
HERE = Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: the mark must be on the items before `-m "not e2e"` deselects by it.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Fixtures look at item.rep_call during teardown to decide whether to take a screenshot.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    # While Playwright's event loop runs, asgiref gives this thread's database connections a separate,
    # loop-scoped storage. Close those now, or they outlive the session and PostgreSQL refuses to drop
    # the test database ("is being accessed by other users").
    connections.close_all()
    playwright.stop()


class BrowserProblems:
    """Collects what went wrong in the browser while a journey ran."""

    def __init__(self, origin):
        self.origin = origin
        self.items = []

    def on_console(self, message):
        text = message.text
        # Chromium words CSP violations both ways ("Refused to ..." and "... violates the following
        # Content Security Policy directive"); report-only violations come as warnings.
        if message.type == "error" or text.startswith("Refused to") or "Content Security Policy" in text:
            self.items.append(f"console {message.type}: {text}")

    def on_page_error(self, error):
        self.items.append(f"uncaught exception: {error}")

    def on_response(self, response):
        if response.status >= 400 and response.url.startswith(self.origin):
            self.items.append(f"HTTP {response.status} for {response.request.method} {response.url}")


def _open_page(browser, live_server, request, viewport):
    context = browser.new_context(viewport=viewport, base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems = BrowserProblems(live_server.url)
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    page.on("response", problems.on_response)
    yield page

    report = getattr(request.node, "rep_call", None)
    if (report is not None and report.failed) or problems.items:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()
    assert not problems.items, "the browser reported problems:\n" + "\n".join(problems.items)


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser tab at laptop size; `page.goto("/path")` is relative to the live server."""
    yield from _open_page(browser, live_server, request, DESKTOP)


@pytest.fixture
def phone_page(browser, live_server, request):
    """Like `page`, at the size of a phone held upright."""
    yield from _open_page(browser, live_server, request, PHONE)


@pytest.fixture
def login():
    """`login(page, email)` signs in through the real form and waits for the page it lands on."""

    def sign_in(page, email, password=PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        return page

    return sign_in
