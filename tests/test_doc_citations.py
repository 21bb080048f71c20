"""Documents cited in the code exist in the repository (docs/design.md, docs/style.md, …):
a path that exists, or the name of a Markdown file the repository holds."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path for pattern in ("*.py", "*.md") for path in ROOT.rglob(pattern)
    if not {".venv", "node_modules", "migrations", "fixtures"} & set(path.relative_to(ROOT).parts)
)
CITED = re.compile(r"(?<![\w/.-])((?:docs/)?[\w-]+\.md)\b")


def test_every_cited_document_is_in_the_repository():
    held = {path.name for path in SOURCES if path.suffix == ".md"}
    assert {"design.md", "style.md", "METHODOLOGY.md"} <= held
    missing = sorted(
        f"{path.relative_to(ROOT)}: {name}"
        for path in SOURCES for name in CITED.findall(path.read_text(encoding="utf-8"))
        if not ((ROOT / name).is_file() if "/" in name else name in held)
    )
    assert missing == []
