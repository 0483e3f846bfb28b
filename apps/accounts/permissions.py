"""Server-side role checks for views and API endpoints.

Roles are checked on every request; querysets are additionally scoped with `visible_to(user)`,
so an object of another account is a 404, not merely a hidden link.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from apps.accounts.models import Role


def role_required(*roles: str):
    """Allow only signed-in people with one of `roles` (403 for anyone else signed in)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("Your role does not give access to this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


customer_admin_required = role_required(Role.CUSTOMER_ADMIN)
staff_required = role_required(Role.CONTENT_ADMIN, Role.CS_MANAGER)
cs_manager_required = role_required(Role.CS_MANAGER)
content_admin_required = role_required(Role.CONTENT_ADMIN)


class HasRole(BasePermission):
    """DRF permission: `HasRole.of(Role.CS_MANAGER, ...)` builds a permission class."""

    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str):
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role in self.roles)


IsVendorStaff = HasRole.of(Role.CONTENT_ADMIN, Role.CS_MANAGER)
IsCSManager = HasRole.of(Role.CS_MANAGER)
