"""Who is asking, for rate limits: API throttles per person and per client address, and the client
address and sign-in name that sign-in lockouts (django-axes) key on.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (from the environment, see settings).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_ip(request) -> str | None:
    """The client's address: the connection's, or with TRUSTED_PROXIES (REST_FRAMEWORK's NUM_PROXIES)
    proxies in front, the one the outermost of them saw. X-Forwarded-For is read from the right, so a
    client cannot pick its own address by sending the header itself."""
    return BaseThrottle().get_ident(request)


def login_username(request, credentials: dict | None) -> str | None:
    """The address a sign-in attempt was for, as lockouts count it: trimmed and lower-cased, so
    "Alice@A.example " and "alice@a.example" share one counter. Django's sign-in forms (the portal's
    and the admin's) post it as "username"."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


class RateThrottle(SimpleRateThrottle):
    """A sliding-window throttle that looks its rate up on each request.

    DRF's own classes copy DEFAULT_THROTTLE_RATES once, at import; reading it per request means a
    changed REST_FRAMEWORK setting (override_settings in tests) takes effect.
    """

    def get_rate(self):
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}.") from exc

    def get_ident(self, request):
        return client_ip(request)


class UserThrottle(RateThrottle):
    """Requests per signed-in person, wherever they come from."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonThrottle(RateThrottle):
    """Requests per client address from callers that are neither signed in nor an integration."""

    scope = "anon"

    def get_cache_key(self, request, view):
        if (request.user and request.user.is_authenticated) or request.auth is not None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
