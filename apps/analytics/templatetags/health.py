"""Template helpers of the health pages."""

from django import template
from django.utils.html import format_html

from apps.analytics.models import Band

register = template.Library()

_BADGES = {
    Band.RED: ("badge--red", "Red"),
    Band.AMBER: ("badge--amber", "Amber"),
    Band.GREEN: ("badge--green", "Green"),
}


@register.filter
def band_badge(band: str) -> str:
    """A health band as its badge ("No data" for none). A filter, not an included template: the
    portfolio and the 360 page's score history show one on every row."""
    css, label = _BADGES.get(band, ("badge--grey", "No data"))
    return format_html('<span class="badge {}">{}</span>', css, label)
