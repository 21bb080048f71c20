"""API contract tests talk plain HTTP to the test client; production redirects to HTTPS."""

import pytest


@pytest.fixture(autouse=True)
def _no_https_redirect(settings):
    settings.SECURE_SSL_REDIRECT = False
    return settings


@pytest.fixture
def ref_and_other(admin_client_api):
    """Two endpoints of acme/m: "ref" (the reference) and "other", for benchmark-run tests.
    Registered as an admin would (only an admin marks the reference, METHODOLOGY §9)."""
    for provider, reference in (("ref", True), ("other", False)):
        response = admin_client_api.post("/api/v1/endpoints/", {
            "model": "acme/m", "provider": provider, "quantization": "fp8",
            "reference": reference}, format="json")
        assert response.status_code == 201, response.content
