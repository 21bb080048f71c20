"""How outside names of providers and models are keyed in the alias tables, and the one
reader of an alias CSV (data/provider_aliases.csv, data/model_aliases.csv).

Pure: no Django (metrics.names, a pure module, looks names up with the same key that
ProviderAlias rows are stored under).
"""

import csv
import io
from pathlib import Path


def alias_key(name: str) -> str:
    """Case- and space-insensitive form under which aliases are stored and looked up."""
    return " ".join(name.split()).casefold()


def load_aliases(path: str | Path) -> dict[str, str]:
    """Read a two-column CSV (alias,target) into {alias: target}, aliases as written.

    Raises ValueError when the file is malformed or names one alias (by `alias_key`) with
    two different targets, because a silent winner would route a vendor's runs to the
    wrong provider.
    """
    text = Path(path).read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or len(header) < 2 or header[0].strip().lower() != "alias":
        raise ValueError(f"{path}: first line must be a header 'alias,<target>'")
    aliases: dict[str, str] = {}
    seen: dict[str, tuple[str, int]] = {}
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ValueError(f"{path}:{line}: expected 'alias,target', got {row!r}")
        alias, target = row[0].strip(), row[1].strip()
        key = alias_key(alias)
        if key in seen and seen[key][0] != target:
            raise ValueError(
                f"{path}:{line}: alias {alias!r} maps to {target!r} but line "
                f"{seen[key][1]} maps it to {seen[key][0]!r}"
            )
        seen[key] = (target, line)
        aliases[alias] = target
    return aliases
