"""NPS journey: a CS manager creates and sends a campaign, a customer answers from the e-mail link
signed out (on a phone), and the CS manager sees the response move the NPS."""

import re
from datetime import timedelta

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from apps.surveys.models import Campaign, Response
from tests.factories import AccountFactory, UserFactory


def test_cs_manager_sends_a_campaign_and_sees_a_logged_out_answer(page, phone_page, login, csm):
    account = AccountFactory(name="Globex")
    customer = UserFactory(email="pat@globex.example", full_name="Pat Lee", account=account)

    login(page, csm.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Health").click()
    page.get_by_role("link", name="NPS surveys").click()
    expect(page.get_by_text("No campaigns yet")).to_be_visible()
    page.get_by_role("link", name="New campaign").first.click()
    page.fill("#id_name", "Spring NPS")
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1))
    page.fill("#id_starts_at", tomorrow.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Learners").check()
    page.get_by_role("button", name="Save campaign").click()
    expect(page.get_by_role("heading", name="Spring NPS")).to_be_visible()
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("The campaign is active.")).to_be_visible()
    expect(page.locator("#nps-score")).to_have_text("—")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile(r"Send a wave now \(1\)")).click()
    expect(page.get_by_text("Sent 1 invitation.")).to_be_visible()

    # The e-mail goes out from a Celery task (eager here) after the commit.
    (message,) = [m for m in mail.outbox if customer.email in m.to]
    link = re.search(r"https?://\S+?(/surveys/r/[^/\s]+/)", message.body).group(1)

    phone_page.goto(link + "?score=9")
    expect(phone_page.get_by_role("radio", name="9", exact=True)).to_be_checked()
    phone_page.get_by_role("radio", name="10", exact=True).check()
    phone_page.get_by_label("What is the most important reason for your score?").fill(
        "The reports save me hours."
    )
    phone_page.get_by_role("button", name="Send my answer").click()
    expect(phone_page.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert Response.objects.get().score == 10

    page.reload()
    expect(page.locator("#nps-score")).to_have_text("100")
    expect(page.get_by_text("The reports save me hours.")).to_be_visible()
    expect(page.get_by_text("1 of 1 invited")).to_be_visible()
    assert Campaign.objects.get().status == "active"
