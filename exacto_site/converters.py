"""URL converters for the slugs of API.md, from their one definition (providers/slugs.py)."""

from django.urls import register_converter

from providers import slugs


class _Slug:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ModelSlug(_Slug):
    regex = slugs.MODEL


class ProviderSlug(_Slug):
    regex = slugs.PROVIDER


class BenchmarkSlug(_Slug):
    regex = slugs.BENCHMARK


def register() -> None:
    register_converter(ModelSlug, "model_slug")
    register_converter(ProviderSlug, "provider_slug")
    register_converter(BenchmarkSlug, "benchmark_slug")
