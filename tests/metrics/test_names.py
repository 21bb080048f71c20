"""Names at ingest (API.md 1.1): aliases first, slugs kept, anything else refused with the reason."""

import pytest

from metrics.names import NameMapper

MAPPER = NameMapper(
    [{"Kimi-K2-Instruct-0905": "moonshotai/kimi-k2-0905"}],
    [{"GroqCloud": "groq"}, {"groqcloud": "somewhere-else", "together_ai": "together"}],
    ["groq", "together", "deep-infra"],
)


@pytest.mark.parametrize(("name", "slug", "warned"), [
    ("moonshotai/kimi-k2-0905", "moonshotai/kimi-k2-0905", False),
    ("kimi-k2-instruct-0905", "moonshotai/kimi-k2-0905", True),  # case-insensitive alias
    ("acme/new-model", "acme/new-model", False),
])
def test_models(name, slug, warned):
    found, warning = MAPPER.model(name)
    assert found == slug and bool(warning) is warned


def test_a_provider_prefix_is_dropped_only_for_the_events_provider():
    assert MAPPER.model("groq/kimi-k2-instruct-0905", "groq")[0] == "moonshotai/kimi-k2-0905"
    assert MAPPER.model("together_ai/acme/m", "together")[0] == "acme/m"
    with pytest.raises(ValueError, match="not a model slug"):
        MAPPER.model("groq/acme/m", "together")


def test_an_authors_own_slug_is_kept_at_its_own_provider():
    # The author's API: the first segment names the provider, and the whole is our slug.
    assert MAPPER.model("acme/new-model", "acme") == ("acme/new-model", None)
    assert MAPPER.model("groq/new-model", "groq") == ("groq/new-model", None)


@pytest.mark.parametrize(("name", "slug", "warned"), [
    ("groq", "groq", False),
    ("GroqCloud", "groq", True),      # the edited table wins over the shipped one
    ("Groq", "groq", True),           # an existing slug, in another case
    ("together_ai", "together", True),
    ("Deep_Infra", "deep-infra", True),  # an existing slug, spelled loosely
    ("newcomer", "newcomer", False),
])
def test_providers(name, slug, warned):
    found, warning = MAPPER.provider(name)
    assert found == slug and bool(warning) is warned


@pytest.mark.parametrize("name", ["Some Vendor Inc.", "", "UPPER", "a/b"])
def test_unmapped_non_slugs_are_refused_with_the_reason(name):
    with pytest.raises(ValueError, match="not a provider slug"):
        MAPPER.provider(name)
