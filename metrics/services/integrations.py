"""LiteLLM and OpenTelemetry payloads through the one tool-call ingest (API.md 1.1 "Integrations").

Each payload or span becomes an event dict (metrics/wire/litellm.py, metrics/wire/otlp.py);
the events then follow every rule of POST /tool-calls/. Indices in the answer are those of
the payloads (or of the spans, in export order), never of the converted events.
"""

from collections.abc import Mapping

from metrics.events import BatchResult, item_id
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.wire import litellm, otlp


def _ingest(converted: list[tuple[int, object, dict]], result: BatchResult, source: str,
            id_scope: str) -> None:
    """Ingests converted events; maps their indices back to the original positions."""
    if not converted:
        return
    stored = ingest_tool_calls([event for _, _, event in converted], source=source,
                               id_scope=id_scope)
    result.accepted += stored.accepted
    result.duplicates += stored.duplicates
    for entry in stored.rejected:
        index, original, _ = converted[entry["index"]]
        result.reject(index, original if item_id(original) else {"id": entry["id"]}, entry["error"])
    for entry in stored.warnings:
        index, original, _ = converted[entry["index"]]
        result.warn(index, {"id": entry["id"]}, entry["warning"])
    result.rejected.sort(key=lambda entry: entry["index"])


class UnparsableLine:
    """An NDJSON line that is not JSON, kept in its place: refused by its index with
    `reason`, the other lines stored."""

    def __init__(self, reason: str):
        self.reason = reason


def ingest_litellm(payloads: list, defaults: Mapping[str, str], *, source: str,
                   id_scope: str) -> BatchResult:
    result = BatchResult()

    def convert(_, payload) -> dict:
        if isinstance(payload, UnparsableLine):
            raise ValueError(payload.reason)
        return litellm.event_from_payload(payload, defaults)

    events = result.sift(payloads, enumerate(payloads), convert)
    _ingest([(index, payloads[index], event) for index, event in events], result, source, id_scope)
    return result


def ingest_otlp(spans: list[tuple[dict, dict]], defaults: Mapping[str, str], *,
                source: str, id_scope: str) -> tuple[BatchResult, int]:
    """(answer, spans skipped for want of GenAI tool attributes); spans from otlp.spans()."""
    result = BatchResult()
    converted = []
    skipped = 0
    for index, (span, attrs) in enumerate(spans):
        try:
            event = otlp.event_from_span(span, attrs, defaults)
        except otlp.SkipSpan:
            skipped += 1
            continue
        except ValueError as exc:
            result.reject(index, {"id": otlp.span_event_id(span)}, str(exc))
            continue
        converted.append((index, {"id": event["id"]}, event))
    _ingest(converted, result, source, id_scope)
    return result, skipped
