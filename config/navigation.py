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

    def url(self) -> str:
        return reverse(self.url_name)


ALL = (Role.LEARNER, Role.CUSTOMER_ADMIN, Role.CONTENT_ADMIN, Role.CS_MANAGER)

NAV = [
    NavItem("Home", "home", ALL),
    NavItem("Learn", "library", ALL),
    NavItem("Paths", "path_list", (Role.LEARNER, Role.CUSTOMER_ADMIN)),
    NavItem("Sessions", "session_list", (Role.LEARNER, Role.CUSTOMER_ADMIN)),
    NavItem("Assessments", "assessment_list", (Role.LEARNER, Role.CUSTOMER_ADMIN)),
    NavItem("Achievements", "skills_mine", (Role.LEARNER, Role.CUSTOMER_ADMIN)),
    NavItem("Team", "team", (Role.CUSTOMER_ADMIN,)),
    NavItem("Studio", "studio_home", (Role.CONTENT_ADMIN,)),
    NavItem("Customers", "customer_list", (Role.CONTENT_ADMIN, Role.CS_MANAGER)),
    NavItem("Skills", "skills_accounts", (Role.CS_MANAGER,)),
    NavItem("Integrations", "integration_list", (Role.CS_MANAGER,)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items = [{"label": item.label, "url": item.url()} for item in NAV if user.role in item.roles]
    # The longest matching prefix is the current section (/learn/paths/ is Paths, not Learn).
    matches = [i for i in items if (path == i["url"] if i["url"] == "/" else path.startswith(i["url"]))]
    current = max(matches, key=lambda i: len(i["url"]), default=None)
    for item in items:
        item["active"] = item is current
    return {"nav_items": items}
