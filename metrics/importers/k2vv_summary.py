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
        return ParseResult((), (), (RowError(exc.lineno, f"not valid JSON: {exc.msg}"),))
    if not isinstance(summary, dict):
        return ParseResult((), (), (RowError(1, "summary.json must hold a JSON object"),))

    try:
        slug = resolve_model(model, aliases)
        counts = {
            key: parse_count(summary[key], key)
            for key in COUNT_KEYS
            if summary.get(key) is not None
        }
        missing = [key for key in REQUIRED_KEYS if key not in counts]
        if missing:
            raise RowProblem(f"summary lacks {', '.join(missing)}")
    except RowProblem as problem:
        return ParseResult((), (), (RowError(0, str(problem)),))

    tool_calls = counts["finish_tool_calls"]
    successful = counts["successful_tool_call_count"]
    failed = counts["schema_validation_error_count"]
    line = line_of(source, '"finish_tool_calls"')
    if tool_calls == 0:
        return ParseResult(
            (), (), (RowError(line, "finish_tool_calls is 0: schema accuracy is undefined"),)
        )
    if successful + failed != tool_calls:
        # compute_summary counts every tool_calls response exactly once as one or the other.
        return ParseResult(
            (),
            (),
            (
                RowError(
                    line,
                    f"successful_tool_call_count {successful} + schema_validation_error_count "
                    f"{failed} != finish_tool_calls {tool_calls}",
                ),
            ),
        )

    detail: dict[str, object] = dict(counts)
    if isinstance(summary.get("finish_others_detail"), dict):
        detail["finish_others_detail"] = summary["finish_others_detail"]
    if summary.get("model") is not None:
        detail["summary_model"] = summary["model"]
    if slug != model:
        detail["source_model"] = model
    exact = successful / tool_calls * 100
    detail["derived_schema_accuracy_pct"] = round(exact, 4)
    detail["stderr_note"] = (
        "binomial sqrt(p(1-p)/n)*100 from successful_tool_call_count and finish_tool_calls"
    )

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
