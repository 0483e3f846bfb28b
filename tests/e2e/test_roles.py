"""Each role signs in through the real form, lands on its own home page, sees its own navigation and
signs out; plus the customer admin's invitation, a wrong password, and the phone-width menu."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import AccountFactory, UserFactory

CUSTOMER_NAV = ("Home", "Learn", "Skills", "Community", "What's new")
ROLES = {
    # role: (factory traits, what only that role's home page says, the nav links it should see)
    "learner": ({}, "Your recent activity", [*CUSTOMER_NAV]),
    "customer admin": ({"customer_admin": True}, "Invite a teammate", [*CUSTOMER_NAV, "Team"]),
    "executive sponsor": ({"sponsor": True}, "at a glance", [*CUSTOMER_NAV]),
    "content admin": (
        {"content_admin": True},
        "Interactions this week",
        ["Home", "Learn", "Community", "What's new", "Studio", "Customers"],
    ),
    "cs manager": (
        {"cs_manager": True},
        "Your book of business",
        ["Home", "Learn", "Community", "What's new", "Customers", "Health", "Tasks"],
    ),
}
EVERY_NAV_LINK = {*CUSTOMER_NAV, "Team", "Studio", "Customers", "Integrations", "Health", "Tasks", "Surveys"}
HOME = re.compile(r"^http://[^/]+/$")


@pytest.fixture
def account():
    return AccountFactory(name="Northwind Bank", licensed_seats=5)


def nav_links(page):
    return page.get_by_role("navigation", name="Main").get_by_role("link")


def expect_sign_in_page(page):
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in to Cairn")).to_be_visible()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_to_its_own_home_and_signs_out(page, login, account, role):
    traits, home_text, links = ROLES[role]
    if "content_admin" in traits or "cs_manager" in traits:
        person = UserFactory(full_name="Robin Rowe", **traits)
    else:
        person = UserFactory(full_name="Robin Rowe", account=account, **traits)

    login(page, person.email)

    expect(page).to_have_url(HOME)
    heading = "Your book of business" if role == "cs manager" else "Welcome back, Robin"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_text(home_text).first).to_be_visible()
    expect(page.locator(".role-pill")).to_contain_text(person.role_label)
    expect(nav_links(page)).to_have_text(links)
    for hidden in EVERY_NAV_LINK - set(links):
        expect(nav_links(page).filter(has_text=hidden)).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()

    expect_sign_in_page(page)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_customer_admin_invites_a_teammate(page, login, account):
    admin = UserFactory(full_name="Tomás Admin", account=account, customer_admin=True)
    login(page, admin.email)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Your team at Northwind Bank")).to_be_visible()
    expect(page.get_by_text("No invitations waiting for an answer.")).to_be_visible()

    page.get_by_label("Work e-mail").fill("New.Person@Northwind.example")
    page.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Invitation sent to new.person@northwind.example. The link is valid for 7 days."
    )
    pending = page.locator("section", has=page.get_by_role("heading", name="Pending invitations"))
    expect(pending).to_contain_text("new.person@northwind.example")
    expect(pending).to_contain_text("Learner")
    expect(
        pending.get_by_role("button", name="Withdraw the invitation of new.person@northwind.example")
    ).to_be_visible()
    expect(page.get_by_text("No invitations waiting for an answer.")).to_have_count(0)


def test_wrong_password_shows_an_error_and_stays_on_sign_in(page, login, account):
    person = UserFactory(account=account)

    login(page, person.email, password="not-the-password")

    expect_sign_in_page(page)
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct email and password")
    expect(page.locator("#id_username")).to_have_value(person.email)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_menu_toggle_opens_the_nav_on_a_phone(phone_page, login, account):
    admin = UserFactory(account=account, customer_admin=True)
    login(phone_page, admin.email)

    toggle = phone_page.get_by_text("Menu", exact=True)
    team_link = phone_page.get_by_role("link", name="Team", exact=True)
    expect(toggle).to_be_visible()
    expect(team_link).to_be_hidden()

    toggle.click()

    expect(team_link).to_be_visible()
    team_link.click()
    expect(phone_page).to_have_url(re.compile(r"/team/$"))
    expect(phone_page.get_by_role("heading", name="Your team at Northwind Bank")).to_be_visible()
