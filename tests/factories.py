"""factory-boy factories for the domain, in one place."""

import factory

from providers.models import Endpoint, LLMModel, Provider


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
