"""Sign-in lockouts: django-axes' lockout of one address from one client, plus two caps it cannot
express with its single failure limit.

- Per client network (an IPv4 address or an IPv6 /64): failed sign-ins for any addresses, so one
  client cannot try a few passwords against every account (password spraying).
- Per address: failed sign-ins from anywhere, so many clients together (a botnet, one client rotating
  through its IPv6 /64) cannot keep guessing one person's password.

The caps are counted in the cache (apps.accounts.throttles.Limit, ABUSE_LIMITS "signin-network" and
"signin-address"); the handler below adds them to axes' checks, so a capped attempt is refused before
any password is checked and answered with the same lockout page. Failed password confirmations that
go through authenticate() (changing one's password) count the same way.
"""

from __future__ import annotations

import logging

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_credentials
from axes.signals import user_locked_out
from django.conf import settings
from django.shortcuts import render

from apps.accounts.throttles import Limit, client_network, login_username

logger = logging.getLogger(__name__)

NETWORK = "signin-network"
ADDRESS = "signin-address"


def _keys(request, credentials) -> list[tuple[str, str]]:
    """(scope, key) of each cap this attempt counts against."""
    keys = []
    network = client_network(request.axes_ip_address)
    if network:
        keys.append((NETWORK, network))
    username = login_username(request, credentials)
    if username:
        keys.append((ADDRESS, username))
    return keys


class SignInHandler(AxesDatabaseHandler):
    """axes' database handler (the pair lockout), with the network and address caps on top.

    `request.sign_in_pause` tells the lockout page which limit refused the attempt.
    """

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            request.sign_in_pause = "pair"
            return True
        for scope, key in _keys(request, credentials):
            if Limit(scope).reached(key):
                request.sign_in_pause = scope
                return True
        return False

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # An attempt refused while locked out checked no password: it counts nowhere.
        counted = request is not None and not request.axes_locked_out
        reached = None
        if counted:
            for scope, key in _keys(request, credentials):
                limit = Limit(scope)
                if limit.hit(key) >= limit.limit and reached is None:
                    reached = scope
        super().user_login_failed(sender, credentials, request, **kwargs)
        if counted and request.axes_locked_out:
            request.sign_in_pause = "pair"
        elif reached:
            logger.warning("Sign-ins paused: %s limit reached (%s).", reached, request.axes_ip_address)
            request.sign_in_pause = reached
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=login_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def user_logged_in(self, sender, request, user, **kwargs):
        # The person's own recent typos from here stop counting against the caps once they are in;
        # the failures of other addresses from the same network still count.
        credentials = get_credentials(user.get_username())
        own_failures = self.get_failures(request, credentials)
        super().user_logged_in(sender, request, user, **kwargs)
        for scope, key in _keys(request, credentials):
            Limit(scope).forgive(key, own_failures)

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """Unlocking (axes_reset_ip, axes_reset_username) lifts the caps of that network or address too."""
        count = super().reset_attempts(
            ip_address=ip_address, username=username, ip_or_username=ip_or_username
        )
        network = client_network(ip_address)
        if network:
            Limit(NETWORK).clear(network)
        if username:
            Limit(ADDRESS).clear(login_username(None, {"username": username}))
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The lockout page (AXES_LOCKOUT_CALLABLE), saying which limit applies and for how long."""
    pause = getattr(request, "sign_in_pause", "pair")
    if pause == "pair":
        limit, window = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
    else:
        limit, window = settings.ABUSE_LIMITS[pause]
    context = {
        "pause": pause,
        "failure_limit": limit,
        "minutes": round(window.total_seconds() / 60) if window else None,
        "username": login_username(request, credentials) or "",
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)
