"""How outside names of providers and models are keyed in the alias tables.

Pure: no Django (metrics.names, a pure module, looks names up with the same key that
ProviderAlias rows are stored under).
"""


def alias_key(name: str) -> str:
    """Case- and space-insensitive form under which aliases are stored and looked up."""
    return " ".join(name.split()).casefold()
