"""`Authorization: Token <key>` authentication against hashed, scoped API tokens."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from providers.models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: Token <key>.")
        try:
            key = header[1].decode()
            token = ApiToken.objects.get_by_key(key)
        except (UnicodeError, ApiToken.DoesNotExist) as exc:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.") from exc
        # One write per minute at most: last_used_at is informative, not an audit trail.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token, token)

    def authenticate_header(self, request):
        return self.keyword
