"""factory-boy factories for the domain, and API clients holding a fresh key, in one place."""

import factory
from rest_framework.test import APIClient

from providers.models import ApiToken, Endpoint, LLMModel, Provider


def key_client(name: str, scope: str) -> APIClient:
    """An API client sending a newly issued key of `scope` ("ingest" or "admin")."""
    _, key = ApiToken.issue(name, scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"provider-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class LLMModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMModel
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"author/model-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.split("/")[1])
    author = factory.LazyAttribute(lambda o: o.slug.split("/")[0])


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    model = factory.SubFactory(LLMModelFactory)
    provider = factory.SubFactory(ProviderFactory)
    quantization = "fp8"
