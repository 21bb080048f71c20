"""Writes the case-by-case table of a probe suite into docs/probes.md.

Pure: no Django.

``python -m metrics.probes.doc [docs/probes.md]`` replaces the text between the
``<!-- cases:begin -->`` and ``<!-- cases:end -->`` markers with the table of the shipped
suite; a test fails when the table is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from metrics.probes.suite import ProbeSuite, load_suite

ROOT = Path(__file__).resolve().parent.parent.parent
BEGIN, END = "<!-- cases:begin -->", "<!-- cases:end -->"


def _choice(tool_choice: object) -> str:
    if isinstance(tool_choice, dict):
        return f"`{tool_choice['function']['name']}`"
    return f"`{tool_choice}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table(suite: ProbeSuite) -> str:
    lines = [
        f"Suite `{suite.name}` version {suite.version}: {len(suite.cases)} cases, sampling "
        f"`{json.dumps(suite.sampling)}`.",
        "",
        "| # | case | what it tests | last user message | bucket | tools offered | tool_choice "
        "| expected |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for number, case in enumerate(suite.cases, 1):
        names = [t["function"]["name"] for t in case.tools]
        tools = ", ".join(names) if len(names) <= 3 else f"{len(names)} tools"
        expected = ", ".join(f"`{c['name']}`" for c in case.expected_calls) or "no call"
        prompt = next((str(m.get("content")) for m in reversed(case.messages)
                       if m.get("role") == "user"), "")
        if len(prompt) > 90:
            prompt = prompt[:89] + "…"
        lines.append(
            f"| {number} | `{case.id}` | {case.kind}: {_cell(case.title)} | {_cell(prompt)} | "
            f"{case.bucket} | "
            f"{tools} | {_choice(case.tool_choice)} | {expected} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "probes.md"
    text = target.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    table = render_table(load_suite(ROOT / "data" / "probes", "exacto-core"))
    target.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
