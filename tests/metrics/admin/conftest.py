import pytest

from providers.models import ApiToken
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory


@pytest.fixture
def endpoint(db):
    return EndpointFactory(model=LLMModelFactory(slug="moonshotai/kimi-k2-0905"),
                           provider=ProviderFactory(slug="groq"), quantization="fp8")


@pytest.fixture
def ingest_key(db):
    return ApiToken.issue("ingest-only", "ingest")[1]
# The cache is emptied per test by tests/conftest.py (by key prefix: never a FLUSHDB).
