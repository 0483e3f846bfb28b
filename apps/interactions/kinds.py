"""The registry of interaction kinds.

Every interaction has a registered kind, so analytics can rely on a closed vocabulary. Apps
register their kinds in `AppConfig.ready()`; kinds marked `external` may also arrive through the
ingestion API from the vendor's other systems.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    category: str
    external: bool = False


_REGISTRY: dict[str, Kind] = {}


def register(name: str, label: str, *, category: str, external: bool = False) -> Kind:
    existing = _REGISTRY.get(name)
    kind = Kind(name=name, label=label, category=category, external=external)
    if existing and existing != kind:
        raise ValueError(f"Interaction kind {name!r} is already registered differently.")
    _REGISTRY[name] = kind
    return kind


def get(name: str) -> Kind | None:
    return _REGISTRY.get(name)


def all_kinds() -> list[Kind]:
    return sorted(_REGISTRY.values(), key=lambda k: k.name)


def external_kinds() -> list[Kind]:
    return [k for k in all_kinds() if k.external]


def label(name: str) -> str:
    kind = _REGISTRY.get(name)
    return kind.label if kind else name


# Kinds of the ground floor. Feature apps register theirs in their own AppConfig.ready().
LOGIN = register("account.login", "Signed in", category="access")
INVITATION_ACCEPTED = register("account.invitation_accepted", "Joined the team", category="access")
HEARTBEAT = register("portal.active_time", "Active time in the portal", category="activity")
PRODUCT_SESSION = register("product.session", "Used the product", category="product", external=True)
PRODUCT_FEATURE = register(
    "product.feature_used", "Used a product feature", category="product", external=True
)
SUPPORT_OPENED = register(
    "support.ticket_opened", "Opened a support ticket", category="support", external=True
)
SUPPORT_CLOSED = register("support.ticket_closed", "Support ticket closed", category="support", external=True)
CRM_MEETING = register("crm.meeting", "Meeting logged in the CRM", category="one_to_one", external=True)

# Ticket severities that count as high: a `severity` property an integration sends with a ticket.
URGENT_SEVERITIES = ("high", "urgent", "critical")
