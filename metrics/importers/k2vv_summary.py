"""Importer for one run of the K2 Vendor Verifier tool: its summary.json.

The tool (MoonshotAI/K2-Vendor-Verifier, ``tool_calls_eval.py``,
``ToolCallsValidator.compute_summary``) writes::

    {"model": ..., "success_count": n, "failure_count": n,
     "finish_stop": n, "finish_tool_calls": n, "finish_others": n,
     "finish_others_detail": {reason: n}, "schema_validation_error_count": n,
     "successful_tool_call_count": n}

It names neither the vendor nor the time, so the caller supplies both. Schema
accuracy is computed as in the published tables: successful_tool_call_count /
finish_tool_calls × 100, rounded to two decimals, with the same binomial
standard error as k2vv_tables. The tool does not compute tool-call F1 (that
needs the official API's answers); a ``tool_call_f1_pct`` key, when someone
adds one, becomes a ``k2vv-tool-call-f1`` run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from metrics.importers.k2vv_tables import REFERENCE_VENDOR, SCHEMA_ACCURACY, SOURCE, TOOL_CALL_F1
from metrics.importers.records import (
    EndpointRun,
    ParseResult,
    RowError,
    RowProblem,
    aliases_or_default,
    as_utc,
    binomial_stderr_pct,
    line_of,
    parse_count,
    parse_score,
    read_source,
    resolve_model,
)

COUNT_KEYS = (
    "success_count",
    "failure_count",
    "finish_stop",
    "finish_tool_calls",
    "finish_others",
    "schema_validation_error_count",
    "successful_tool_call_count",
)
REQUIRED_KEYS = ("finish_tool_calls", "schema_validation_error_count", "successful_tool_call_count")


def parse(
    text: str | Path,
    *,
    vendor: str,
    model: str,
    run_at: datetime,
    model_aliases: Mapping[str, str] | None = None,
) -> ParseResult:
    """Parse a summary.json into schema-accuracy (and, if present, F1) runs.

    `model` is the model name as run (e.g. kimi-k2-0905-preview), mapped
    through `model_aliases` (None = data/model_aliases.csv); `run_at` must be
    timezone-aware. Problems with the file come back as RowErrors.
    """
    if not vendor.strip():
        raise ValueError("vendor is required")
    moment = as_utc(run_at)
    source = read_source(text)
    aliases = aliases_or_default(model_aliases)
    try:
        summary = json.loads(source)
    except json.JSONDecodeError as exc:
        return _refused(exc.lineno, f"not valid JSON: {exc.msg}")
    if not isinstance(summary, dict):
        return _refused(1, "summary.json must hold a JSON object")
    try:
        slug = resolve_model(model, aliases)
        counts = _counts(summary)
    except RowProblem as problem:
        return _refused(0, str(problem))
    problem = _inconsistency(counts)
    if problem:
        return _refused(line_of(source, '"finish_tool_calls"'), problem)

    tool_calls = counts["finish_tool_calls"]
    successful = counts["successful_tool_call_count"]
    exact = successful / tool_calls * 100
    detail = _schema_detail(summary, counts, exact, source_model=model if slug != model else None)

    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    id_prefix = f"k2vv-run:{stamp}:{model}:{vendor}"
    run = EndpointRun(id_prefix, slug, vendor, SOURCE, moment, vendor == REFERENCE_VENDOR)
    records = [
        run.record("schema-accuracy", SCHEMA_ACCURACY.slug, round(exact, 2),
                   stderr=binomial_stderr_pct(successful, tool_calls), samples=tool_calls,
                   detail=detail)
    ]
    errors: list[RowError] = []
    if summary.get("tool_call_f1_pct") is not None:
        try:
            f1 = parse_score(summary["tool_call_f1_pct"], "tool_call_f1_pct")
        except RowProblem as problem:
            errors.append(RowError(line_of(source, '"tool_call_f1_pct"'), str(problem)))
        else:
            records.append(run.record("tool-call-f1", TOOL_CALL_F1.slug, f1,
                                      detail={"summary_model": summary.get("model")}))
    used = {record.benchmark for record in records}
    benchmarks = tuple(spec for spec in (SCHEMA_ACCURACY, TOOL_CALL_F1) if spec.slug in used)
    return ParseResult(benchmarks, tuple(records), tuple(errors))


def _refused(line: int, reason: str) -> ParseResult:
    """The whole file refused, with the line that says why (0: the file as a whole)."""
    return ParseResult((), (), (RowError(line, reason),))


def _counts(summary: dict) -> dict[str, int]:
    counts = {key: parse_count(summary[key], key) for key in COUNT_KEYS
              if summary.get(key) is not None}
    missing = [key for key in REQUIRED_KEYS if key not in counts]
    if missing:
        raise RowProblem(f"summary lacks {', '.join(missing)}")
    return counts


def _inconsistency(counts: dict[str, int]) -> str | None:
    """Why the counts cannot give a schema accuracy, or None."""
    tool_calls = counts["finish_tool_calls"]
    successful = counts["successful_tool_call_count"]
    failed = counts["schema_validation_error_count"]
    if tool_calls == 0:
        return "finish_tool_calls is 0: schema accuracy is undefined"
    if successful + failed != tool_calls:
        # compute_summary counts every tool_calls response exactly once as one or the other.
        return (f"successful_tool_call_count {successful} + schema_validation_error_count "
                f"{failed} != finish_tool_calls {tool_calls}")
    return None


def _schema_detail(summary: dict, counts: dict[str, int], exact: float, *,
                   source_model: str | None) -> dict[str, object]:
    detail: dict[str, object] = dict(counts)
    if isinstance(summary.get("finish_others_detail"), dict):
        detail["finish_others_detail"] = summary["finish_others_detail"]
    if summary.get("model") is not None:
        detail["summary_model"] = summary["model"]
    if source_model is not None:
        detail["source_model"] = source_model
    detail["derived_schema_accuracy_pct"] = round(exact, 4)
    detail["stderr_note"] = (
        "binomial sqrt(p(1-p)/n)*100 from successful_tool_call_count and finish_tool_calls"
    )
    return detail
