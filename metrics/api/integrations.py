"""Integration endpoints (API.md 1.1): LiteLLM's generic API logger and OTLP/HTTP traces.

Thin: parse the body, hand the items to metrics/services/integrations.py, render.
"""

import base64

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, parsers
from rest_framework.response import Response
from rest_framework.views import APIView

from exacto_site.json_body import BoundedJSONParser, bounded_loads, read_body, utf8_text
from metrics.api import serializers as s
from metrics.api.views import ERRORS, id_scope_of, source_of
from metrics.services.integrations import UnparsableLine, ingest_litellm, ingest_otlp
from metrics.wire import otlp
from metrics.wire.litellm import OVERRIDES

_NOT_JSON = object()


class JSONOrNDJSONParser(parsers.BaseParser):
    """A JSON array, one JSON object, or NDJSON (one object per line), as LiteLLM sends."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        text = utf8_text(read_body(stream))
        if not text.strip():
            raise exceptions.ParseError("Empty body; a JSON array or NDJSON is required.")
        try:
            whole = bounded_loads(text)
        except (ValueError, RecursionError):
            whole = _NOT_JSON
        if isinstance(whole, list):
            return whole
        if isinstance(whole, dict):
            return [whole]
        if whole is not _NOT_JSON:  # null, a bare number or string: no payload at all
            raise exceptions.ParseError("Body must be a JSON array or object, or NDJSON.")
        items: list = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                items.append(bounded_loads(line))
            except (ValueError, RecursionError) as exc:
                items.append(UnparsableLine(f"line is not JSON: {str(exc)[:200]}"))
        return items


class NDJSONParser(JSONOrNDJSONParser):
    media_type = "application/x-ndjson"


class OTLPProtobufParser(parsers.BaseParser):
    """OTLP/HTTP protobuf (what the stock OpenTelemetry exporters send), as its JSON mapping."""

    media_type = "application/x-protobuf"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = read_body(stream)
        try:
            return otlp_json_from_protobuf(raw)
        except ValueError as exc:
            raise exceptions.ParseError(f"Body is not an OTLP ExportTraceServiceRequest: {exc}") from exc


def otlp_json_from_protobuf(raw: bytes) -> dict:
    """The OTLP JSON encoding of a protobuf export (ids as hex, as the JSON encoding has them)."""
    # Deferred: protobuf and the OTLP classes are heavy and only the protobuf body needs them.
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    try:
        message = ExportTraceServiceRequest.FromString(raw)
    except DecodeError as exc:
        raise ValueError(str(exc)) from exc
    body = MessageToDict(message)
    for resource_spans in body.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    return body


def _defaults(request) -> dict:
    values = {}
    for name in OVERRIDES:
        value = request.query_params.get(name)
        if value:
            if len(value) > 128:
                raise exceptions.ValidationError({name: f"{name} is longer than 128 characters."})
            values[name] = value
    return values


_OVERRIDE_PARAMS = [
    # No NUL: exacto_site/middleware.py refuses one anywhere in a query (400).
    OpenApiParameter(name, {"type": "string", "maxLength": 128, "pattern": r"^[^\u0000]*$"},
                     description=f"{name} for every item that does not name one")
    for name in OVERRIDES
]


class LiteLLMView(APIView):
    parser_classes = [JSONOrNDJSONParser, NDJSONParser]

    @extend_schema(
        summary="Ingest LiteLLM StandardLoggingPayloads (generic API logger: JSON array or NDJSON)",
        parameters=_OVERRIDE_PARAMS,
        request={"application/json": {"anyOf": [
            {"type": "array", "maxItems": settings.EXACTO_MAX_BATCH_ITEMS,
             "items": {"$ref": "#/components/schemas/LiteLLMPayload"}},
            {"$ref": "#/components/schemas/LiteLLMPayload"}]},
            "application/x-ndjson": {"type": "string", "pattern": r"\S", "description":
                                     "One StandardLoggingPayload per line; a line that is not "
                                     "JSON is refused by its index."}},
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        items = request.data
        if not isinstance(items, list):
            raise exceptions.ValidationError({"body": "Body must be a JSON array or NDJSON."})
        limit = settings.EXACTO_MAX_BATCH_ITEMS
        if len(items) > limit:
            raise exceptions.ValidationError({"body": f"At most {limit} payloads per batch, "
                                                      f"got {len(items)}."})
        result = ingest_litellm(items, _defaults(request), source=source_of(request),
                                id_scope=id_scope_of(request))
        return Response(s.BatchResultOut(result.as_dict()).data)


class OTLPTracesView(APIView):
    parser_classes = [BoundedJSONParser, OTLPProtobufParser]

    @extend_schema(
        summary="Ingest OTLP/HTTP traces; spans with GenAI tool attributes become tool-call events",
        parameters=_OVERRIDE_PARAMS,
        request={"application/json": {
            "type": "object", "required": ["resourceSpans"],
            "properties": {"resourceSpans": {
                "type": "array", "description": "ExportTraceServiceRequest's, in OTLP's JSON "
                "encoding (application/x-protobuf is read too). Entries that are not objects "
                "hold no spans and are passed over."}},
        }},
        responses={200: s.OTLPResultOut, **ERRORS},
    )
    def post(self, request):
        try:
            spans = list(otlp.spans(request.data))
        except ValueError as exc:
            raise exceptions.ValidationError({"resourceSpans": str(exc)}) from exc
        limit = settings.EXACTO_MAX_BATCH_ITEMS
        if len(spans) > limit:
            raise exceptions.ValidationError({"resourceSpans": f"At most {limit} spans per export, "
                                                               f"got {len(spans)}."})
        result, skipped = ingest_otlp(spans, _defaults(request), source=source_of(request),
                                      id_scope=id_scope_of(request))
        answer = {**result.as_dict(), "skipped": skipped}
        if result.rejected:
            # OTLP's own partial-success field, for collectors that log it.
            answer["partialSuccess"] = {
                "rejectedSpans": len(result.rejected),
                "errorMessage": "; ".join(sorted({r["error"] for r in result.rejected}))[:1000],
            }
        return Response(s.OTLPResultOut(answer).data)
