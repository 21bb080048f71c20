"""The editable vendor-name → provider table that importers map through."""

from pathlib import Path

from django.db import transaction

from providers.models import Provider, ProviderAlias
from providers.naming import alias_key, load_aliases


@transaction.atomic
def load_alias_file(path: Path) -> int:
    """Adds the aliases of a CSV (alias,provider) that the table lacks; never overwrites edits.
    A file naming one alias with two providers is refused whole (ValueError)."""
    added = 0
    for alias, slug in load_aliases(path).items():
        provider, _ = Provider.objects.get_or_create(slug=slug)
        _, created = ProviderAlias.objects.get_or_create(
            alias=alias_key(alias), defaults={"provider": provider}
        )
        added += created
    return added


class AliasMap:
    """Vendor name → provider slug: the alias table first, then an exact provider slug."""

    def __init__(self):
        self._aliases = dict(ProviderAlias.objects.values_list("alias", "provider__slug"))
        self._slugs = set(Provider.objects.values_list("slug", flat=True))

    def provider_for(self, vendor: str) -> str | None:
        found = self._aliases.get(alias_key(vendor))
        if found:
            return found
        return vendor if vendor in self._slugs else None
