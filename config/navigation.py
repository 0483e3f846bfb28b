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
    NavItem("Team", "team", (Role.CUSTOMER_ADMIN,)),
    NavItem("Customers", "customer_list", (Role.CONTENT_ADMIN, Role.CS_MANAGER)),
    NavItem("Integrations", "integration_list", (Role.CS_MANAGER,)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    path = request.path
    items = []
    for item in NAV:
        if user.role not in item.roles:
            continue
        url = item.url()
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": item.label, "url": url, "active": active})
    return {"nav_items": items}
