"""Engagement journeys: a detractor's answer puts a task in the CS manager's inbox, who opens it,
reads why, logs a call and sees it close; and a low-touch account's missed onboarding milestone
sends the customer an automated message (in-app and by e-mail) instead of creating a task."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import TouchModel
from apps.engagement import services, triggers
from apps.engagement.models import Action, EventKind, Milestone, Task, TaskStatus, TriggerType
from apps.notifications.models import Notification
from apps.surveys.tokens import invitation_token
from tests.engagement.factories import EngagementModelFactory, MomentFactory
from tests.factories import AccountFactory, UserFactory
from tests.surveys.factories import CampaignFactory, InvitationFactory


def test_a_detractor_answer_becomes_a_task_the_cs_manager_closes_with_a_call(page, phone_page, login, csm):
    account = AccountFactory(name="Initech", touch_model=TouchModel.HIGH, cs_manager=csm)
    model = EngagementModelFactory(name="High touch")
    services.model_assign(account=account, model=model)
    MomentFactory(
        model=model,
        name="Call the detractor",
        objective="Understand what went wrong and agree a fix",
        trigger=TriggerType.EVENT,
        event=EventKind.DETRACTOR,
        action=Action.AUTO,
    )
    customer = UserFactory(email="pat@initech.example", full_name="Pat Lee", account=account)
    invitation = InvitationFactory(campaign=CampaignFactory(name="Autumn NPS"), user=customer)

    # The customer answers 3 from the e-mail link, signed out, on a phone.
    phone_page.goto(reverse("survey_respond", kwargs={"token": invitation_token(invitation)}) + "?score=3")
    expect(phone_page.get_by_role("radio", name="3", exact=True)).to_be_checked()
    phone_page.get_by_label("What is the most important reason for your score?").fill(
        "Exports keep timing out."
    )
    phone_page.get_by_role("button", name="Send my answer").click()
    expect(phone_page.get_by_role("heading", name="Thank you!")).to_be_visible()

    # The moment ran after the answer committed: a task is waiting in the CS manager's inbox.
    task = Task.objects.get()
    assert task.assignee == csm and task.contact == customer

    login(page, csm.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Tasks").click()
    expect(page.get_by_role("heading", level=1, name="Tasks")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Call the detractor: Initech")
    expect(row).to_contain_text("Pat Lee answered 3 to the NPS survey")
    expect(row).to_contain_text("High")
    row.get_by_role("link", name="Call the detractor: Initech").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Call the detractor: Initech")
    expect(page.locator(".task-answer__value")).to_have_text("3")
    expect(page.get_by_text("“Exports keep timing out.”")).to_be_visible()
    expect(page.get_by_text("Understand what went wrong and agree a fix")).to_be_visible()

    page.get_by_label("Call", exact=True).check()
    page.get_by_label("Notes").fill("Export timeouts are fixed in 4.2; I'll check in after the upgrade.")
    page.get_by_label("Positive").check()
    page.get_by_role("button", name="Log it and close the task").click()

    expect(page).to_have_url(re.compile(r"/engagement/tasks/$"))
    expect(page.get_by_text("Done: “Call the detractor: Initech”. Your call is logged.")).to_be_visible()
    expect(page.get_by_text("No open tasks — nice.")).to_be_visible()
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_by == csm and task.channel == "call"

    # The done list shows it, and its page says how it was done.
    page.get_by_label("Status").select_option("done")
    done_row = page.get_by_role("row").filter(has_text="Call the detractor: Initech")
    expect(done_row).to_contain_text("Call")
    done_row.get_by_role("link", name="Call the detractor: Initech").click()
    expect(page.get_by_role("heading", name="How it was done")).to_be_visible()
    expect(page.get_by_text("Export timeouts are fixed in 4.2")).to_be_visible()


def test_a_low_touch_accounts_missed_milestone_sends_a_message_instead_of_a_task(phone_page, login):
    account = AccountFactory(
        name="Tiny Co",
        touch_model=TouchModel.LOW,
        cs_manager=None,
        contract_start=timezone.localdate() - timedelta(days=20),
    )
    model = EngagementModelFactory(name="Low touch")
    services.model_assign(account=account, model=model)
    MomentFactory(
        model=model,
        name="Get your team started",
        trigger=TriggerType.MILESTONE,
        milestone=Milestone.ACTIVATED,
        offset_days=14,
        action=Action.AUTO,
        message_subject="Let's get your team started",
        message_body="Invite your team and sign in: here is a two-minute guide.",
    )
    admin = UserFactory(email="ada@tiny.example", full_name="Ada Admin", account=account, customer_admin=True)

    assert triggers.evaluate_milestones() == 1
    assert not Task.objects.exists()
    notification = Notification.objects.get(user=admin)
    assert notification.title == "Let's get your team started"
    assert [m.to for m in mail.outbox if "Let's get your team started" in m.subject] == [[admin.email]]
    assert triggers.evaluate_milestones() == 0  # evaluated again: nothing doubles

    login(phone_page, admin.email)
    phone_page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    expect(phone_page).to_have_url(re.compile(reverse("notification_list") + "$"))
    expect(phone_page.get_by_role("link", name="Let's get your team started")).to_be_visible()
    expect(phone_page.get_by_text("Invite your team and sign in")).to_be_visible()
