"""One slug rule (providers/slugs.py) in every place that checks a slug."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve

from metrics.api.serializers import ModelSlugField, ProviderSlugField
from metrics.events import BENCHMARK_RUN_SCHEMA, ItemError, parse_benchmark_run
from metrics.importers.records import MODEL_SLUG_RE, PROVIDER_SLUG_RE
from providers import slugs
from providers.models import model_slug_validator, provider_slug_validator

MODELS = {"moonshotai/kimi-k2-0905": True, "openai/gpt-oss-120b:free": True,
          "Qwen/Qwen3-Coder": True, "acme/model\n": False, "acme model": False,
          "acme/:free": False, "acme": False}
PROVIDERS = {"groq": True, "together-ai": True, "groq\n": False, "Groq": False, "a_b": False}


def _validator_accepts(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def _serializer_accepts(field, value) -> bool:
    try:
        field.run_validation(value)
    except Exception:  # DRF's ValidationError
        return False
    return True


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _parser_accepts(model: str, provider: str) -> bool:
    from datetime import UTC, datetime

    try:
        parse_benchmark_run({"id": "r", "model": model, "provider": provider,
                             "benchmark": "aime25", "score": 1}, datetime.now(UTC))
    except ItemError:
        return False
    return True


@pytest.mark.parametrize("value, valid", MODELS.items())
def test_a_model_slug_is_judged_alike_everywhere(value, valid):
    assert bool(slugs.is_model(value)) is valid
    assert _validator_accepts(model_slug_validator, value) is valid
    assert bool(MODEL_SLUG_RE.search(value)) is valid
    assert _serializer_accepts(ModelSlugField(), value) is valid
    assert _parser_accepts(value, "groq") is valid
    assert _resolves(f"/models/{value}/") is valid


@pytest.mark.parametrize("value, valid", PROVIDERS.items())
def test_a_provider_slug_is_judged_alike_everywhere(value, valid):
    assert bool(slugs.is_provider(value)) is valid
    assert _validator_accepts(provider_slug_validator, value) is valid
    assert bool(PROVIDER_SLUG_RE.search(value)) is valid
    assert _serializer_accepts(ProviderSlugField(), value) is valid
    assert _parser_accepts("acme/model", value) is valid
    assert _resolves(f"/providers/{value}/") is valid


def test_the_schema_states_the_same_patterns():
    properties = BENCHMARK_RUN_SCHEMA["properties"]
    assert properties["model"]["pattern"] == slugs.schema_pattern(slugs.MODEL)
    assert properties["provider"]["pattern"] == slugs.schema_pattern(slugs.PROVIDER)
    assert properties["benchmark"]["pattern"] == slugs.schema_pattern(slugs.BENCHMARK)
