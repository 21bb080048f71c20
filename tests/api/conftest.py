"""API contract tests talk plain HTTP to the test client; production redirects to HTTPS."""

import pytest


@pytest.fixture(autouse=True)
def _no_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = False
    return settings


@pytest.fixture
def ref_and_other(db):
    """Two endpoints of acme/m: "ref" (the reference) and "other", for benchmark-run tests."""
    from providers.services.endpoints import register_endpoint

    register_endpoint("acme/m", "ref", "fp8", reference=True)
    register_endpoint("acme/m", "other", "fp8")
