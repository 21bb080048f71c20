"""The layering rules of docs/decisions.md, checked on the source (no imports run).

- ``providers`` (catalogue and access) imports nothing from ``metrics``;
- a pure module (its docstring says "Pure") imports no Django, directly or
  through another project module;
- no import below code (`noqa: E402`), no admin unregistering or patched `get_urls`;
- only metrics/services/rotation.py writes an endpoint's rotation or its audit record, and
  only metrics/services/publication.py its publication state;
- no view or task module writes to the ORM: writes go through one service each.
"""

import ast
import tokenize
from pathlib import Path

import pytest

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


# --- One way in (docs/decisions.md "Rotation lives in metrics"): checked on the source too.

SOURCES = sorted(
    path for path in ROOT.rglob("*.py")
    if not {".venv", "node_modules", "migrations"} & set(path.relative_to(ROOT).parts)
)


def _calls(tree: ast.AST):
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute))


def test_no_import_waits_below_code():
    """No `noqa: E402`: every module imports at its top, so no import order hides a cycle."""
    offenders = []
    for path in SOURCES:
        with path.open("rb") as handle:
            offenders += [f"{path.relative_to(ROOT)}:{token.start[0]}"
                          for token in tokenize.tokenize(handle.readline)
                          if token.type == tokenize.COMMENT and "noqa" in token.string
                          and "E402" in token.string]
    assert offenders == []


def test_admin_is_neither_unregistered_nor_patched():
    """Each model admin is registered once and the site's URLs come from the site class
    (exacto_site/admin.py), never from replacing `get_urls` on an instance."""
    offenders = []
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        where = str(path.relative_to(ROOT))
        offenders += [f"{where}:{call.lineno} unregister" for call in _calls(tree)
                      if call.func.attr == "unregister"]
        offenders += [f"{where}:{node.lineno} assigns get_urls" for node in ast.walk(tree)
                      if isinstance(node, ast.Assign) and any(
                          isinstance(t, ast.Attribute) and t.attr == "get_urls"
                          for t in node.targets)]
        offenders += [f"{where}:{call.lineno} setattr get_urls" for call in ast.walk(tree)
                      if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                      and call.func.id == "setattr" and len(call.args) > 1
                      and isinstance(call.args[1], ast.Constant)
                      and call.args[1].value == "get_urls"]
    assert offenders == []


WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
# Fields with one writer each (one way in): the endpoint's rotation, with its audit record,
# and its publication state (METHODOLOGY §6, §8).
ONE_WRITER = {
    "metrics.services.rotation": ({"rotation_status", "rotation_reason", "rotation_changed_at"},
                                  "RotationEvent"),
    "metrics.services.publication": ({"published_until", "embargo_until", "publication"}, None),
}


def _writes(tree: ast.AST, fields: set[str], model: str | None) -> list[str]:
    found = []
    for call in _calls(tree):
        if call.func.attr in WRITES and any(k.arg in fields for k in call.keywords):
            found.append(f"{call.lineno} {call.func.attr}({', '.join(sorted(fields))})")
        chain = ast.unparse(call.func)
        if model and chain.startswith(f"{model}.objects.") and call.func.attr in WRITES:
            found.append(f"{call.lineno} {chain}")
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AugAssign) else [])
        found += [f"{node.lineno} sets .{t.attr}" for t in targets
                  if isinstance(t, ast.Attribute) and t.attr in fields]
    return found


@pytest.mark.parametrize("writer", sorted(ONE_WRITER))
def test_one_module_writes_rotation_and_publication(writer):
    """An endpoint's rotation (and its audit record) and its publication state are each
    written by one service only: no view, admin, command or other service sets them."""
    fields, model = ONE_WRITER[writer]
    offenders = [f"{name}:{where}" for name, path in MODULES.items() if name != writer
                 for where in _writes(ast.parse(path.read_text()), fields, model)]
    assert offenders == []
    assert _writes(ast.parse(MODULES[writer].read_text()), fields, model) != []


# ORM writes. `.update(` on a plain local name is a dict's (a context, a body), not a
# queryset's: views keep querysets out of local names, so that case is left alone.
ORM_WRITES = WRITES | {"save", "delete"}


def _is_view_or_task_module(path: Path) -> bool:
    """A module of views: named so (views.py, portal_views.py, api/admin_views.py), or one
    that defines API views (api/integrations.py); or the Celery tasks."""
    return ("views" in path.name or path.name == "tasks.py"
            or "rest_framework.views.APIView" in _imports(path))


def _orm_writes(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if method not in ORM_WRITES or (method == "update" and isinstance(node.func.value, ast.Name)):
            continue
        found.append(f"{name}:{node.lineno} .{method}(")
    return found


def test_view_and_task_modules_never_write_to_the_orm():
    views = {str(path.relative_to(ROOT)): path for path in MODULES.values()
             if _is_view_or_task_module(path)}
    # The rule must see the modules it is about.
    assert {"metrics/views.py", "metrics/api/views.py", "metrics/portal_views.py",
            "metrics/api/admin_views.py", "metrics/api/integrations.py",
            "providers/views.py", "metrics/tasks.py"} <= set(views)
    assert [write for name, path in views.items()
            for write in _orm_writes(path.read_text(), name)] == []


def test_the_write_rule_sees_queryset_and_instance_writes_not_dict_updates():
    source = ("def v(request):\n    Thing.objects.filter(a=1).update(b=2)\n"
              "    thing.save()\n    context.update(x=1)\n")
    assert _orm_writes(source, "v.py") == ["v.py:2 .update(", "v.py:3 .save("]


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
PENDING_DUPLICATES: set = set()


def test_each_enum_is_defined_once():
    enums = _enum_values()
    assert len(enums) > 10  # the scan sees the choices modules
    duplicates = {
        (a, b) for a in enums for b in enums if a < b and enums[a] == enums[b]
    }
    assert duplicates == PENDING_DUPLICATES
