"""`Authorization: Bearer <key>` (or `Token <key>`) against hashed, scoped API tokens."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from providers.models import ApiToken

# API.md 1.1: OpenAI-style clients send Bearer; v1 documented Token. Both are accepted.
KEYWORDS = (b"bearer", b"token")
HEADER_FORMS = "`Authorization: Bearer <key>` or `Authorization: Token <key>`"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(f"Malformed Authorization header: send {HEADER_FORMS}.")
        try:
            key = header[1].decode()
            token = ApiToken.objects.get_by_key(key)
        except (UnicodeError, ApiToken.DoesNotExist) as exc:
            raise exceptions.AuthenticationFailed(
                f"Invalid or revoked API token (sent as {HEADER_FORMS})."
            ) from exc
        # One write per minute at most: last_used_at is informative, not an audit trail.
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token, token)

    def authenticate_header(self, request):
        return 'Bearer realm="api", Token'
