"""Production refuses to start on the development SECRET_KEY (or none at all).

The key keys the user hashes (METHODOLOGY §5) and signs sessions and CSRF cookies; the
repository's development key is public. Settings fall back to it so that `make run` and
management commands work anywhere; the processes that serve or work in production (the
WSGI/ASGI app, Celery workers and beat) call `require_real_secret_key()` first, and
`check --deploy` reports it as an error.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MESSAGE = (
    "SECRET_KEY is not set (or is the repository's development key) and DEBUG is off: "
    "refusing to start in production on a public key. Set SECRET_KEY to a long random value, "
    "e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`, or DEBUG=1 for "
    "development."
)


def uses_development_key() -> bool:
    return settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY


def require_real_secret_key() -> None:
    if uses_development_key() and not (settings.DEBUG or settings.TESTING):
        raise ImproperlyConfigured(MESSAGE)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs):
    if uses_development_key():
        return [checks.Error(MESSAGE, id="exacto.E001")]
    return []
