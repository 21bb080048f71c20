"""Scopes (API.md "Auth"): reads are open, writes need an `ingest` (or `admin`) token."""

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from providers.choices import TokenScope
from providers.models import ApiToken


def token_of(request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None


def is_admin_key(request) -> bool:
    """The request carries an admin-scoped API key (METHODOLOGY §9: admin-only writes)."""
    token = token_of(request)
    return token is not None and token.scope == TokenScope.ADMIN


def approves_what_it_names(request) -> bool:
    """A model or provider first named by an admin key is approved at once; by any other
    writer it waits, pending, for an admin (METHODOLOGY §9)."""
    return is_admin_key(request)


def publishes_what_it_sends(request) -> bool:
    """Benchmark runs sent with an admin key are public at once; others wait for publication
    (METHODOLOGY §9)."""
    return is_admin_key(request)


def _require(request, scope: str) -> bool:
    token = token_of(request)
    if token is None:
        # No token: DRF turns this into 401 because the token authenticator offers a challenge.
        return False
    if not token.allows(scope):
        raise_forbidden(scope)
    return True


def raise_forbidden(scope: str):
    raise PermissionDenied(f"This API token lacks the '{scope}' scope.")


class ReadOrIngestScope(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        return _require(request, TokenScope.INGEST)


class AdminScope(permissions.BasePermission):
    """Admin automation endpoints: an `admin` token (or a staff session for reads)."""

    def has_permission(self, request, view):
        if token_of(request) is None and request.method in permissions.SAFE_METHODS:
            # A staff session may read; tokens are judged by their scope alone.
            return bool(getattr(request.user, "is_staff", False)) or _require(
                request, TokenScope.ADMIN)
        return _require(request, TokenScope.ADMIN)


class AdminOnlyFields(permissions.BasePermission):
    """A write that turns on one of the view's `admin_only_fields` needs an admin key: 403
    otherwise (METHODOLOGY §9). `admin_only_fields` maps each field to the refusal's text."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS or is_admin_key(request):
            return True
        data = request.data if isinstance(request.data, dict) else {}
        for name, refusal in getattr(view, "admin_only_fields", {}).items():
            if data.get(name) is True:  # anything else but false is the serializer's 400
                raise PermissionDenied(f"{refusal}; this key's scope is '{TokenScope.INGEST}'.")
        return True
