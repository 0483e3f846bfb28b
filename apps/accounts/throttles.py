"""Who is asking, for rate limits: API throttles per person and per client address, the client
address and sign-in name that sign-in lockouts (django-axes) key on, and counted limits on
abuse-prone actions (failed sign-ins, password-reset requests).

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] and ABUSE_LIMITS (from the environment, see
settings). All counters live in the cache, so with several processes CACHE_URL must name a shared
cache (Redis) for the limits to hold across them.
"""

from __future__ import annotations

import hashlib
import ipaddress
from math import ceil

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import render
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


def _parse_ip(raw: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """`raw` as an IP address, or None when it is not one. A port ("192.0.2.1:443",
    "[2001:db8::1]:443") and an IPv6 zone ("fe80::1%eth0") are dropped: some proxies add them, and
    the sign-in lockouts store the address in an inet column."""
    host = (raw or "").strip()
    if host.startswith("["):
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    try:
        return ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The client's address: the connection's, or with TRUSTED_PROXIES proxies in front, the one the
    outermost of them saw. X-Forwarded-For is read from the right, so a client cannot pick its own
    address by sending the header itself. Without the header, or when the chosen element is not an
    address, the connection's address counts."""
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        hops = forwarded.split(",")
        seen = _parse_ip(hops[-min(proxies, len(hops))])
        if seen:
            return str(seen)
    remote = _parse_ip(request.META.get("REMOTE_ADDR"))
    return str(remote) if remote else None


def client_network(ip: str | None) -> str | None:
    """What one client controls, for per-client limits: an IPv4 address, or the /64 an IPv6 address
    is in (one subscriber line or host usually gets a whole /64 and can rotate through it)."""
    address = _parse_ip(ip)
    if address is None:
        return None
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def login_username(request, credentials: dict | None) -> str | None:
    """The address a sign-in attempt was for, as lockouts count it: trimmed and lower-cased, so
    "Alice@A.example " and "alice@a.example" share one counter. Django's sign-in forms (the portal's
    and the admin's) post it as "username"."""
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    return raw.strip().lower() if isinstance(raw, str) else None


class Limit:
    """How often something happened per key (a client network, an e-mail address), against the
    limit ABUSE_LIMITS sets for `scope`.

    The first event opens a window of the scope's length and the count starts again once it has
    passed; counting is an atomic increment, so parallel requests cannot slip through between a
    read and a write.
    """

    def __init__(self, scope: str):
        self.scope = scope
        try:
            self.limit, self.window = settings.ABUSE_LIMITS[scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No abuse limit set for scope {scope!r}.") from exc

    def _key(self, ident: str) -> str:
        # Hashed: sign-in names are whatever a client posts, and cache keys must stay short and plain.
        return f"limit:{self.scope}:{hashlib.sha256(ident.encode()).hexdigest()}"

    def count(self, ident: str) -> int:
        return cache.get(self._key(ident), 0)

    def reached(self, ident: str) -> bool:
        return self.count(ident) >= self.limit

    def hit(self, ident: str) -> int:
        """Count one event; returns the count, this one included."""
        key = self._key(ident)
        cache.add(key, 0, timeout=self.window.total_seconds())
        try:
            return cache.incr(key)
        except ValueError:  # the window closed between the two calls
            cache.set(key, 1, timeout=self.window.total_seconds())
            return 1

    def forgive(self, ident: str, events: int) -> None:
        """Take back up to `events` counted events (never below zero), leaving the window as it is."""
        key = self._key(ident)
        try:
            left = cache.decr(key, events) if events > 0 else 0
            if left < 0:
                cache.incr(key, -left)
        except ValueError:  # nothing counted any more
            pass

    def clear(self, ident: str) -> None:
        cache.delete(self._key(ident))


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


class FormThrottleMiddleware:
    """Form posts of signed-in people count against the same per-person budget as their API calls
    (UserThrottle, the "user" rate), so the HTML forms are no way around the API throttle. API views
    are left to DRF, which throttles them itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        if hasattr(view_func, "cls"):  # a DRF view: its own throttles apply
            return None
        throttle = UserThrottle()
        if throttle.allow_request(request, None):
            return None
        wait = ceil(throttle.wait() or 1)
        response = render(request, "429.html", {"wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
