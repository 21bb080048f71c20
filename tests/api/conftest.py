"""API contract tests talk plain HTTP to the test client; production redirects to HTTPS."""

import pytest


@pytest.fixture(autouse=True)
def _no_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = False
    return settings
