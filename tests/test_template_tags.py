"""Template helpers shared by the pages: time_element (apps.core) and band_badge (analytics)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from apps.analytics.templatetags.health import band_badge


def render(source: str, **context) -> str:
    return Template("{% load cairn %}" + source).render(Context(context))


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
@pytest.mark.parametrize("shown", ["j M Y", "j M Y, H:i"])
def test_time_element_writes_what_the_two_date_filters_wrote(zone, shown):
    at = datetime(2026, 3, 29, 23, 45, 12, 345678, tzinfo=UTC)
    with timezone.override(zone):
        expected = render(
            """<time datetime="{{ at|date:'c' }}">{{ at|date:shown }}</time>""", at=at, shown=shown
        )
        assert render("{% time_element at shown %}", at=at, shown=shown) == expected
    assert expected.startswith('<time datetime="2026-03-')  # in the zone: 29 or 30 March


def test_time_element_defaults_to_the_day_and_takes_dates():
    day = date(2026, 1, 5)
    assert render("{% time_element day %}", day=day) == '<time datetime="2026-01-05">5 Jan 2026</time>'


@pytest.mark.parametrize("value", [None, "", "not a date"])
def test_time_element_of_nothing_is_nothing(value):
    assert render("{% time_element value %}", value=value) == ""
    assert render("{% time_element missing %}") == ""


def test_time_element_escapes_the_format():
    """Backslashes make the format's characters literal: "<b>" reaches the page escaped."""
    at = timezone.now() - timedelta(days=1)
    shown = render("{% time_element at shown %}", at=at, shown=r"\<\b\>")
    assert "&lt;b&gt;</time>" in shown and "<b>" not in shown


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("red", '<span class="badge badge--red">Red</span>'),
        ("amber", '<span class="badge badge--amber">Amber</span>'),
        ("green", '<span class="badge badge--green">Green</span>'),
        ("none", '<span class="badge badge--grey">No data</span>'),
        ("", '<span class="badge badge--grey">No data</span>'),
        (None, '<span class="badge badge--grey">No data</span>'),
    ],
)
def test_band_badge(band, expected):
    assert band_badge(band) == expected
