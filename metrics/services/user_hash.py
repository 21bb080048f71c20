"""Users are stored only as a keyed hash (METHODOLOGY §5): HMAC-SHA256 with the site secret."""

import hashlib
import hmac

from django.conf import settings


def hash_user(user: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), user.encode(), hashlib.sha256).hexdigest()
