"""The layering rules of docs/decisions.md, checked on the source (no imports run).

- ``providers`` (catalogue and access) imports nothing from ``metrics``;
- a pure module (its docstring says "Pure") imports no Django, directly or
  through another project module.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("metrics", "providers", "exacto_site")


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_pure(path: Path) -> bool:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    return doc.lstrip().startswith("Pure") or "\nPure" in doc or "Pure module" in doc


def _django_chain(name: str, seen: set[str]) -> list[str] | None:
    """The import chain from ``name`` to Django, or None."""
    for imported in sorted(_imports(MODULES[name])):
        if imported == "django" or imported.startswith(("django.", "rest_framework", "celery")):
            return [name, imported]
        if imported in MODULES and imported not in seen:
            seen.add(imported)
            chain = _django_chain(imported, seen)
            if chain:
                return [name, *chain]
    return None


def test_providers_never_imports_metrics():
    offenders = sorted(
        f"{name} imports {imported}"
        for name, path in MODULES.items() if name.startswith("providers")
        for imported in _imports(path) if imported == "metrics" or imported.startswith("metrics.")
    )
    assert offenders == []


def test_pure_modules_import_no_django():
    pure = sorted(name for name, path in MODULES.items() if _is_pure(path))
    # The modules the methodology lives in must be among them.
    assert {"metrics.toolcalls", "metrics.stats", "metrics.pools", "metrics.complexity",
            "metrics.schema_validation", "metrics.events", "metrics.choices"} <= set(pure)
    chains = {name: _django_chain(name, {name}) for name in pure}
    assert {name: chain for name, chain in chains.items() if chain} == {}


ENUM_BASES = {"StrEnum", "Enum", "TextChoices", "IntegerChoices", "Choices"}


def _enum_values() -> dict[str, frozenset]:
    """Every enum class of the apps, by qualified name, with the set of its values."""
    found = {}
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "")
                     for b in node.bases}
            if not bases & ENUM_BASES:
                continue
            values = set()
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant | ast.Tuple):
                    first = item.value.elts[0] if isinstance(item.value, ast.Tuple) else item.value
                    if isinstance(first, ast.Constant):
                        values.add(first.value)
            if values:
                found[f"{name}.{node.name}"] = frozenset(values)
    return found


# Moves into metrics with rotation (issue 14, finding 1); delete this pair when it does.
PENDING_DUPLICATES = {("providers.choices.RotationStatus", "providers.rotation_rules.RotationStatus")}


def test_each_enum_is_defined_once():
    enums = _enum_values()
    assert len(enums) > 10  # the scan sees the choices modules
    duplicates = {
        (a, b) for a in enums for b in enums if a < b and enums[a] == enums[b]
    }
    assert duplicates == PENDING_DUPLICATES
