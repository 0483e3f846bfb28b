from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from apps.accounts.throttles import RateThrottle
from apps.interactions.models import IntegrationToken
from apps.interactions.selectors import token_by_raw


class IntegrationTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` for external systems; request.auth is the IntegrationToken."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            raw = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("The token contains invalid characters.") from exc
        token = token_by_raw(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked integration token.")
        return AnonymousUser(), token

    def authenticate_header(self, request):
        return self.keyword


class IsIntegration(BasePermission):
    message = "Send an integration token: Authorization: Bearer <token>."

    def has_permission(self, request, view):
        return isinstance(request.auth, IntegrationToken)


class IntegrationThrottle(RateThrottle):
    """Requests per integration token (each request is a batch of up to 1,000 events), whatever
    address they come from; requests without a token are refused before throttling."""

    scope = "ingestion"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, IntegrationToken):
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = IntegrationTokenAuthentication
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration token created by a CS manager.",
        }
