"""Importer for K2 Vendor Verifier's published per-vendor results.

Reads the transcription of MoonshotAI/K2-Vendor-Verifier's README tables
(data/datasets/k2vv-tables/published-results.csv, columns described in its
README.md) and turns each row into up to three benchmark runs:

- ``k2vv-schema-accuracy``: the published schema accuracy, unchanged, with
  samples = responses that finished with tool_calls and a binomial standard
  error derived from the published counts;
- ``k2vv-tool-call-f1``: only where the table gives a number (rows that give
  only a band such as ">=80%" keep the band in the schema-accuracy detail);
- ``k2vv-similarity``: the older 2025-10-10 "similarity" metric.

The MoonshotAI row is the reference implementation (METHODOLOGY.md §6).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from metrics.importers.records import (
    BenchmarkSpec,
    EndpointRun,
    ParseResult,
    RowError,
    RowProblem,
    RunRecord,
    aliases_or_default,
    binomial_stderr_pct,
    parse_count,
    parse_run_at,
    parse_score,
    read_source,
    resolve_model,
)

SOURCE = "K2 Vendor Verifier"
LINK = "https://github.com/MoonshotAI/K2-Vendor-Verifier"
# The table names Moonshot's own API this way; "Moonshot AI Turbo" is another endpoint.
REFERENCE_VENDOR = "MoonshotAI"

SCHEMA_ACCURACY = BenchmarkSpec(
    slug="k2vv-schema-accuracy",
    name="K2VV schema accuracy",
    tolerance=3.0,
    description=(
        "K2 Vendor Verifier: share of responses with finish_reason=tool_calls whose tool "
        "calls all validated (known tool name, valid JSON, arguments match the schema), "
        "in percent, as published. Samples are the responses that finished with "
        "tool_calls; the standard error is not published and is derived from the "
        "published counts as the binomial sqrt(p(1-p)/n) in percentage points."
    ),
    link=LINK,
)
TOOL_CALL_F1 = BenchmarkSpec(
    slug="k2vv-tool-call-f1",
    name="K2VV tool-call F1",
    description=(
        "K2 Vendor Verifier \"ToolCall-Trigger Similarity\": F1 of finish_reason=tool_calls "
        "against the official API on the same requests, in percent. The official API's "
        "own F1 across repeated runs was about 76% (kimi-k2-thinking) and 83-84% "
        "(kimi-k2-0905), so this is not a 0-100 quality scale with 100 as the reference."
    ),
    link=LINK,
)
SIMILARITY = BenchmarkSpec(
    slug="k2vv-similarity",
    name="K2VV similarity (2025-10 metric)",
    description=(
        "K2 Vendor Verifier's older metric (tests of 2025-10-10): similarity of a vendor's "
        "tool-call behaviour to the official implementation, in percent. Replaced by "
        "tool-call F1 and schema accuracy in later tests."
    ),
    link=LINK,
)

REQUIRED_COLUMNS = (
    "test_date",
    "source_commit",
    "model",
    "vendor",
    "finish_tool_calls",
    "successful_tool_calls",
    "schema_accuracy_pct",
)
# Count columns copied to detail as integers when the table gives them.
COUNT_COLUMNS = (
    "finish_stop",
    "finish_tool_calls",
    "finish_others",
    "schema_validation_errors",
    "successful_tool_calls",
)


def parse(
    text_or_path: str | Path, *, model_aliases: Mapping[str, str] | None = None
) -> ParseResult:
    """Parse published-results.csv; a bad row becomes a RowError, the rest parse.

    `model_aliases` None uses data/model_aliases.csv (kimi-k2-0905-preview ->
    moonshotai/kimi-k2-0905 ...).
    """
    text = read_source(text_or_path)
    aliases = aliases_or_default(model_aliases)
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return ParseResult((), (), (RowError(0, "file is empty: no header line"),))
    reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames]
    missing = [name for name in REQUIRED_COLUMNS if name not in reader.fieldnames]
    if missing:
        return ParseResult(
            (), (), (RowError(1, f"header lacks required column(s): {', '.join(missing)}"),)
        )

    records: list[RunRecord] = []
    errors: list[RowError] = []
    seen_ids: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append(RowError(line, f"row has {len(row[None])} more cell(s) than the header"))
            continue
        cells = {key: (value or "").strip() for key, value in row.items()}
        if not any(cells.values()):
            continue
        try:
            row_records = _row_records(cells, aliases)
        except RowProblem as problem:
            errors.append(RowError(line, str(problem)))
            continue
        repeated = next((r.external_id for r in row_records if r.external_id in seen_ids), None)
        if repeated is not None:
            errors.append(RowError(line, f"row repeats line {seen_ids[repeated]} ({repeated})"))
            continue
        for record in row_records:
            seen_ids[record.external_id] = line
        records.extend(row_records)

    used = {record.benchmark for record in records}
    benchmarks = tuple(
        spec for spec in (SCHEMA_ACCURACY, TOOL_CALL_F1, SIMILARITY) if spec.slug in used
    )
    return ParseResult(benchmarks, tuple(records), tuple(errors))


def _row_records(cells: dict[str, str], aliases: Mapping[str, str]) -> list[RunRecord]:
    vendor = cells["vendor"]
    if not vendor:
        raise RowProblem("vendor is empty")
    source_model = cells["model"]
    model = resolve_model(source_model, aliases)
    if len(cells["test_date"]) != 10:
        raise RowProblem(f"test_date {cells['test_date']!r} is not YYYY-MM-DD")
    run_at = parse_run_at(cells["test_date"], "test_date")
    commit = cells["source_commit"]
    if not commit:
        raise RowProblem("source_commit is empty")

    counts = {
        column: parse_count(cells[column], column)
        for column in COUNT_COLUMNS
        if cells.get(column)
    }
    tool_calls = parse_count(cells["finish_tool_calls"], "finish_tool_calls")
    successful = parse_count(cells["successful_tool_calls"], "successful_tool_calls")
    if tool_calls == 0:
        raise RowProblem("finish_tool_calls is 0: schema accuracy is undefined")
    if successful > tool_calls:
        raise RowProblem(
            f"successful_tool_calls {successful} exceeds finish_tool_calls {tool_calls}"
        )
    schema_accuracy = parse_score(cells["schema_accuracy_pct"], "schema_accuracy_pct")
    f1 = (
        parse_score(cells["tool_call_f1_pct"], "tool_call_f1_pct")
        if cells.get("tool_call_f1_pct")
        else None
    )
    similarity = (
        parse_score(cells["similarity_pct"], "similarity_pct")
        if cells.get("similarity_pct")
        else None
    )

    common: dict[str, object] = {"source_commit": commit, "test_date": cells["test_date"]}
    if cells.get("api_source"):
        common["api_source"] = cells["api_source"]
    if model != source_model:
        common["source_model"] = source_model
    run = EndpointRun(f"k2vv:{cells['test_date']}:{commit}:{source_model}:{vendor}", model,
                      vendor, SOURCE, run_at, vendor == REFERENCE_VENDOR)

    schema_detail = dict(common)
    schema_detail.update(counts)
    schema_detail["derived_schema_accuracy_pct"] = round(successful / tool_calls * 100, 4)
    schema_detail["stderr_note"] = (
        "not published; binomial sqrt(p(1-p)/n)*100 from successful_tool_calls and "
        "finish_tool_calls"
    )
    if cells.get("tool_call_f1_band"):
        schema_detail["tool_call_f1_band"] = cells["tool_call_f1_band"]
    if f1 is not None:
        schema_detail["tool_call_f1_pct"] = f1

    records = [
        run.record("schema-accuracy", SCHEMA_ACCURACY.slug, schema_accuracy,
                   stderr=binomial_stderr_pct(successful, tool_calls), samples=tool_calls,
                   detail=schema_detail)
    ]
    if f1 is not None:
        # The F1 is over request pairs with the official API; no count is published.
        records.append(run.record("tool-call-f1", TOOL_CALL_F1.slug, f1, detail=common))
    if similarity is not None:
        records.append(run.record("similarity", SIMILARITY.slug, similarity, detail=common))
    return records
