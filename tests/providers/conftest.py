import pytest
from django.contrib.auth.models import User

from providers.models import ProviderUser
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory


@pytest.fixture
def kimi(db):
    return LLMModelFactory(slug="moonshotai/kimi-k2-0905")


@pytest.fixture
def groq_endpoint(kimi):
    return EndpointFactory(model=kimi, provider=ProviderFactory(slug="groq"), quantization="fp8")


@pytest.fixture
def together_endpoint(kimi):
    return EndpointFactory(model=kimi, provider=ProviderFactory(slug="together"),
                           quantization="fp8")


def _provider_user(username, provider):
    user = User.objects.create_user(username, f"{username}@example.com", "s3cret-pass-123")
    ProviderUser.objects.create(user=user, provider=provider)
    return user


@pytest.fixture
def groq_user(groq_endpoint):
    return _provider_user("groq-team", groq_endpoint.provider)


@pytest.fixture
def together_user(together_endpoint):
    return _provider_user("together-team", together_endpoint.provider)
