"""Importer for the generic benchmark-run CSV, the hand-made import shape.

Columns (header names, any order, case-insensitive):
``model,provider,benchmark,score,run_at`` are required; ``stderr``,
``samples``, ``source``, ``id`` and ``reference`` are optional; any other
column (``note`` ...) is kept in the record's ``detail``. Scores are
percentages 0..100; ``run_at`` is ``YYYY-MM-DD`` (midnight UTC) or RFC 3339.
The ``provider`` cell is passed through as ``vendor``: the caller maps it to a
provider slug with the alias table. Example: data/datasets/aa-gpt-oss-120b/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from metrics.importers.records import (
    BENCHMARK_SLUG_RE,
    BenchmarkSpec,
    ParseResult,
    RowError,
    RowProblem,
    RunRecord,
    aliases_or_default,
    parse_count,
    parse_float,
    parse_run_at,
    parse_score,
    read_source,
    resolve_model,
    slugify,
)

REQUIRED_COLUMNS = ("model", "provider", "benchmark", "score", "run_at")
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS) | {"stderr", "samples", "source", "id", "reference"}
DEFAULT_SOURCE = "internal"

# Display names for slugs we know; anything else is shown as its slug.
KNOWN_BENCHMARK_NAMES = {
    "aime25": "AIME 2025",
    "aime24": "AIME 2024",
    "gpqa-diamond": "GPQA Diamond",
    "mmlu-pro": "MMLU-Pro",
    "livecodebench": "LiveCodeBench",
    "ifbench": "IFBench",
}

# Published sizes (questions) of benchmarks we know, for the §6 standard error of runs that
# report neither a standard error nor a sample count.
KNOWN_BENCHMARK_ITEMS = {"aime25": 30, "aime24": 30, "gpqa-diamond": 198}

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def parse(
    text_or_path: str | Path,
    *,
    model_aliases: Mapping[str, str] | None = None,
    default_source: str = DEFAULT_SOURCE,
) -> ParseResult:
    """Parse a generic CSV; bad rows become RowErrors and the rest still parse.

    `model_aliases` None uses data/model_aliases.csv; `default_source` names
    the source of rows whose file has no (or an empty) ``source`` cell.
    """
    text = read_source(text_or_path)
    aliases = aliases_or_default(model_aliases)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return ParseResult((), (), (RowError(0, "file is empty: no header line"),))
    columns = [(name or "").strip().lower() for name in reader.fieldnames]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        return ParseResult(
            (), (), (RowError(1, f"header lacks required column(s): {', '.join(missing)}"),)
        )
    reader.fieldnames = columns

    records: list[RunRecord] = []
    errors: list[RowError] = []
    first_line_of_id: dict[str, int] = {}
    line = 1
    for row in reader:
        # line_num counts physical lines read so far, i.e. the row's last line.
        line = reader.line_num
        if None in row:
            errors.append(RowError(line, f"row has {len(row[None])} more cell(s) than the header"))
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        if not any(cells.values()):
            continue
        try:
            record = _record(cells, aliases, default_source)
        except RowProblem as problem:
            errors.append(RowError(line, str(problem)))
            continue
        earlier = first_line_of_id.get(record.external_id)
        if earlier is not None:
            errors.append(RowError(line, f"id {record.external_id!r} repeats line {earlier}"))
            continue
        first_line_of_id[record.external_id] = line
        records.append(record)

    slugs = sorted({record.benchmark for record in records})
    benchmarks = tuple(
        BenchmarkSpec(slug=slug, name=KNOWN_BENCHMARK_NAMES.get(slug, slug),
                      item_count=KNOWN_BENCHMARK_ITEMS.get(slug))
        for slug in slugs
    )
    return ParseResult(benchmarks, tuple(records), tuple(errors))


def _record(cells: dict[str, str], aliases: Mapping[str, str], default_source: str) -> RunRecord:
    source_model = cells["model"]
    model = resolve_model(source_model, aliases)
    vendor = cells["provider"]
    if not vendor:
        raise RowProblem("provider is empty")
    benchmark = cells["benchmark"].lower()
    if not benchmark:
        raise RowProblem("benchmark is empty")
    if not BENCHMARK_SLUG_RE.match(benchmark):
        raise RowProblem(f"benchmark {cells['benchmark']!r} is not a slug ([a-z0-9_-])")
    score = parse_score(cells["score"])
    run_at = parse_run_at(cells["run_at"])
    stderr = None
    if cells.get("stderr"):
        stderr = parse_float(cells["stderr"], "stderr")
        if stderr < 0:
            raise RowProblem(f"stderr {stderr:g} is negative")
    samples = parse_count(cells["samples"], "samples") if cells.get("samples") else None
    if samples == 0:
        raise RowProblem("samples is 0: a score needs at least one sample")
    source = cells.get("source") or default_source
    reference = _parse_bool(cells.get("reference", ""), "reference")

    detail: dict[str, object] = {
        key: value for key, value in cells.items() if key not in KNOWN_COLUMNS and value
    }
    if model != source_model:
        detail["source_model"] = source_model

    external_id = cells.get("id") or ":".join(
        ["csv", slugify(source), run_at.strftime("%Y-%m-%dT%H:%M:%SZ"), model, vendor, benchmark]
    )
    return RunRecord(
        external_id=external_id,
        model=model,
        vendor=vendor,
        benchmark=benchmark,
        score=score,
        stderr=stderr,
        samples=samples,
        source=source,
        run_at=run_at,
        detail=detail,
        reference=reference,
    )


def _parse_bool(value: str, what: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowProblem(f"{what} {value!r} is not true/false")
