"""iCalendar (.ics) files for live sessions, as calendar clients expect them (RFC 5545)."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vText

from apps.core.markdown import plain_text
from apps.learning.models import LiveSession


def session_ics(session: LiveSession, *, with_join_url: bool = False) -> bytes:
    """The session as a calendar event. The join link is only for people who hold a seat."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cairn//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0]
    event.add("uid", f"session-{session.pk}@{host}")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", session.title)
    url = f"{settings.SITE_URL}{session.get_absolute_url()}"
    description = plain_text(session.description, limit=900)
    event.add("description", f"{description}\n\nHosted by {session.host}. Details: {url}".strip())
    event.add("url", url)
    event["location"] = vText((with_join_url and session.join_url) or "Online")
    if session.cancelled_at:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
