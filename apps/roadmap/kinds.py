"""Interaction kinds the roadmap app records."""

from apps.interactions.kinds import register

UPDATE_READ = register("roadmap.update_read", "Read a product update", category="product_updates")
ROADMAP_VIEWED = register("roadmap.viewed", "Viewed the roadmap", category="product_updates")
