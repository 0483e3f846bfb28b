"""The navigation each role sees, as a template context processor."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from apps.accounts.models import Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: tuple[str, ...]
    # An htmx endpoint that returns a count pill for this item, loaded after the page.
    badge_url_name: str = ""
    # Other paths that belong to this section (its own URL always does).
    prefixes: tuple[str, ...] = ()

    def url(self) -> str:
        return reverse(self.url_name)


ALL = (Role.LEARNER, Role.CUSTOMER_ADMIN, Role.CONTENT_ADMIN, Role.CS_MANAGER)

CUSTOMERS = (Role.LEARNER, Role.CUSTOMER_ADMIN)

# Sections, not pages: each section's pages carry their own tabs (Library / Paths / Sessions,
# Ideas / Q&A, ...), so the bar stays short enough for one line on a laptop.
NAV = [
    NavItem("Home", "home", ALL),
    NavItem("Learn", "library", ALL),
    NavItem("Skills", "skills_mine", CUSTOMERS, prefixes=("/assessments/", "/leaderboard/")),
    NavItem("Community", "idea_list", ALL, prefixes=("/community/",)),
    NavItem("What's new", "update_list", ALL, badge_url_name="updates_badge", prefixes=("/roadmap/",)),
    NavItem("Team", "team", (Role.CUSTOMER_ADMIN,), prefixes=("/team/",)),
    NavItem("Studio", "studio_home", (Role.CONTENT_ADMIN,), prefixes=("/studio/",)),
    NavItem(
        "Customers", "customer_list", (Role.CONTENT_ADMIN, Role.CS_MANAGER), prefixes=("/integrations/",)
    ),
    # Skills across customers and NPS surveys are CS managers' measures of customers, so they sit
    # under Health, and the bar stays one line.
    NavItem(
        "Health", "portfolio", (Role.CS_MANAGER,), prefixes=("/analytics/", "/skills/accounts/", "/surveys/")
    ),
    NavItem("Tasks", "task_inbox", (Role.CS_MANAGER,), prefixes=("/engagement/",)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items, best, current = [], -1, None
    for nav in NAV:
        if user.role not in nav.roles:
            continue
        url = nav.url()
        item = {
            "label": nav.label,
            "url": url,
            "badge_url": reverse(nav.badge_url_name) if nav.badge_url_name else "",
        }
        items.append(item)
        # The longest matching prefix names the current section.
        for prefix in (url, *nav.prefixes):
            matched = path == prefix if prefix == "/" else path.startswith(prefix)
            if matched and len(prefix) > best:
                best, current = len(prefix), item
    for item in items:
        item["active"] = item is current
    return {"nav_items": items}
