"""OTLP/HTTP JSON trace spans with OpenTelemetry GenAI attributes as tool-call events.

Two attribute forms are read (API.md 1.1 "Integrations", docs/integrations.md):

- current conventions: `gen_ai.tool.definitions` (tools) and `gen_ai.output.messages`
  (`tool_call` parts with `name` and `arguments`; `server_tool_call` parts are hosted tools);
- the older indexed form: `gen_ai.completion.N.tool_calls.M.{name,arguments}` with tools in
  `llm.request.functions.K.{name,description,parameters}`.

A span becomes an event whose response is an Anthropic-shaped message: its `tool_use`
`input` keeps an arguments *string* as text (so malformed JSON is `invalid_json`) and an
arguments *object* as a value (already parsed by the instrumentation: it cannot be
invalid_json). Spans with none of these attributes are skipped. Pure: no Django.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

_INDEXED_CALL = re.compile(r"^gen_ai\.completion\.(\d+)\.tool_calls\.(\d+)\.(name|arguments)$")
_INDEXED_TOOL = re.compile(r"^llm\.request\.functions\.(\d+)\.(name|description|parameters)$")
_INDEXED_OUTPUT = re.compile(r"^gen_ai\.completion\.\d+\.")
MAX_INDEX = 10_000  # attribute indices beyond this are hostile, not real traces


class SkipSpan(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The span carries no GenAI tool attributes: counted as skipped."""


def any_value(value: object) -> object:
    """An OTLP JSON AnyValue as plain JSON data."""
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return value["boolValue"]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in value:
        return value["doubleValue"]
    if "arrayValue" in value:
        values = value["arrayValue"].get("values") if isinstance(value["arrayValue"], dict) else None
        return [any_value(v) for v in values] if isinstance(values, list) else []
    if "kvlistValue" in value:
        kv = value["kvlistValue"]
        return attributes(kv.get("values") if isinstance(kv, dict) else None)
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(entries: object) -> dict:
    out: dict = {}
    if not isinstance(entries, list):
        return out
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            out[entry["key"]] = any_value(entry.get("value"))
    return out


def spans(body: object) -> Iterator[tuple[dict, dict]]:
    """(span, merged resource + span attributes) for every span of an export request."""
    if not isinstance(body, dict) or not isinstance(body.get("resourceSpans"), list):
        raise ValueError("an OTLP trace export is an object with a `resourceSpans` list.")
    for resource_spans in body["resourceSpans"]:
        if not isinstance(resource_spans, dict):
            continue
        resource = resource_spans.get("resource")
        base = attributes(resource.get("attributes")) if isinstance(resource, dict) else {}
        for scope_spans in resource_spans.get("scopeSpans") or []:
            if not isinstance(scope_spans, dict):
                continue
            for span in scope_spans.get("spans") or []:
                if isinstance(span, dict):
                    yield span, {**base, **attributes(span.get("attributes"))}


def _json(value: object) -> object:
    """Structured attributes may arrive as JSON strings (allowed on spans by the conventions)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _current(attrs: Mapping) -> tuple[list | None, list | None]:
    tools = _json(attrs.get("gen_ai.tool.definitions")) if "gen_ai.tool.definitions" in attrs else None
    messages = _json(attrs.get("gen_ai.output.messages")) if "gen_ai.output.messages" in attrs else None
    blocks = None
    if isinstance(messages, list):
        blocks = []
        for message in messages:
            parts = message.get("parts") if isinstance(message, dict) else None
            for part in parts if isinstance(parts, list) else []:
                if not isinstance(part, dict):
                    continue
                if part.get("type") == "tool_call":
                    block = {"type": "tool_use", "name": part.get("name")}
                    if "arguments" in part and part["arguments"] is not None:
                        block["input"] = part["arguments"]
                    blocks.append(block)
                elif part.get("type") == "server_tool_call":
                    blocks.append({"type": "server_tool_use", "name": part.get("name")})
    return (tools if isinstance(tools, list) else None), blocks


def _indexed(attrs: Mapping) -> tuple[list | None, list | None]:
    calls: dict[tuple[int, int], dict] = {}
    tools: dict[int, dict] = {}
    output = False
    for key, value in attrs.items():
        if not key.startswith(("gen_ai.completion.", "llm.request.functions.")):
            continue
        found = _INDEXED_CALL.match(key)
        if found:
            n, m = int(found.group(1)), int(found.group(2))
            if n <= MAX_INDEX and m <= MAX_INDEX:
                calls.setdefault((n, m), {"type": "tool_use"})[
                    "name" if found.group(3) == "name" else "input"] = value
            continue
        found = _INDEXED_TOOL.match(key)
        if found and int(found.group(1)) <= MAX_INDEX:
            tool = tools.setdefault(int(found.group(1)), {"type": "function"})
            field = found.group(2)
            tool[field] = _json(value) if field == "parameters" else value
            continue
        output = output or bool(_INDEXED_OUTPUT.match(key))
    tool_list = [tools[k] for k in sorted(tools)] or None
    blocks = [calls[k] for k in sorted(calls)] if (calls or output) else None
    return tool_list, blocks


def _nanos(value: object) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def span_event_id(span: dict) -> str | None:
    """The event id of a span: its trace and span ids, so a resent export is a duplicate."""
    trace_id, span_id = span.get("traceId"), span.get("spanId")
    if isinstance(trace_id, str) and isinstance(span_id, str):
        return f"otlp-{trace_id[:64]}-{span_id[:32]}"
    return None


def event_from_span(span: dict, attrs: Mapping, defaults: Mapping[str, str]) -> dict:
    """One event dict; SkipSpan without GenAI tool attributes; ValueError when unusable."""
    tools, blocks = _current(attrs)
    if tools is None or blocks is None:  # the older indexed form fills what is missing
        older_tools, older_blocks = _indexed(attrs)
        tools = tools if tools is not None else older_tools
        blocks = blocks if blocks is not None else older_blocks
    if tools is None and not blocks:
        raise SkipSpan
    if tools is None:
        raise ValueError("the span has tool calls but no tool definitions: capture "
                         "`gen_ai.tool.definitions` (or llm.request.functions.*) to judge them.")
    if blocks is None:
        raise ValueError("the span has tool definitions but no output: capture "
                         "`gen_ai.output.messages` (message content) to see the calls.")
    if any(block["type"] == "tool_use" and "input" not in block for block in blocks):
        raise ValueError("a tool call has no arguments captured: without them it cannot be "
                         "judged (capture tool call arguments, as text where possible).")
    trace_id, span_id = span.get("traceId"), span.get("spanId")
    if not isinstance(trace_id, str) or not isinstance(span_id, str) or not trace_id or not span_id:
        raise ValueError("the span has no traceId/spanId.")

    def pick(name: str, *keys: str) -> object:
        value = attrs.get(f"exacto.{name}") or defaults.get(name)
        for key in keys:
            value = value or attrs.get(key)
        return value

    start, end = _nanos(span.get("startTimeUnixNano")), _nanos(span.get("endTimeUnixNano"))
    usage = {}
    tokens = attrs.get("gen_ai.usage.output_tokens", attrs.get("gen_ai.usage.completion_tokens"))
    if isinstance(tokens, int):
        usage["output_tokens"] = tokens
    event = {
        "id": span_event_id(span),
        "model": pick("model", "gen_ai.request.model", "gen_ai.response.model"),
        "provider": pick("provider", "gen_ai.provider.name", "gen_ai.system"),
        "quantization": pick("quantization"),
        "app": pick("app"),
        "created": start / 1e9 if start else None,
        "format": "anthropic.messages",
        "request": {"tools": tools},
        "response": {"type": "message", "role": "assistant", "content": blocks, "usage": usage},
        "latency_ms": round((end - start) / 1e6, 3) if start and end and end >= start else None,
    }
    choice = attrs.get("exacto.tool_choice")
    if choice is not None:
        event["request"]["tool_choice"] = _json(choice) if str(choice).startswith("{") else choice
    status = span.get("status")
    if isinstance(status, dict) and status.get("code") in (2, "STATUS_CODE_ERROR"):
        event["status"] = "error"
    return {key: value for key, value in event.items() if value is not None}
