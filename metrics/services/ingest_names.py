"""The alias tables an ingest batch maps names through (API.md 1.1, metrics/names.py)."""

from functools import lru_cache

from metrics.importers.records import default_model_aliases, default_provider_aliases
from metrics.names import NameMapper
from providers.models import Provider, ProviderAlias


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict, dict]:
    # The files in data/ do not change while the process runs.
    return default_model_aliases(), default_provider_aliases()


def name_mapper() -> NameMapper:
    """The admin-edited provider aliases first, then the shipped tables, then existing slugs."""
    models, providers = _shipped()
    edited = dict(ProviderAlias.objects.values_list("alias", "provider__slug"))
    slugs = Provider.objects.values_list("slug", flat=True)
    return NameMapper([models], [edited, providers], slugs)
