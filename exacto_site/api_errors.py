"""One error shape for the whole API: `{"error": "...", "field": "..."}` (API.md "Errors")."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when brackets nest deeper than `limit` (outside strings).

    Checked before json.loads so hostile nesting costs one linear scan and
    never reaches Python's recursion limit.
    """
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


class BoundedJSONParser(JSONParser):
    """JSON parser that answers 413 for oversized and 400 for too-deep bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            raw = stream.read() if stream is not None else b""
        except RequestDataTooBig as exc:
            raise PayloadTooLarge() from exc
        if len(raw) > settings.EXACTO_MAX_BODY_BYTES:
            raise PayloadTooLarge()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("Body is not UTF-8.") from exc
        if not text.strip():
            raise exceptions.ParseError("Empty body; a JSON object is required.")
        # Cheap pre-check: only scan when the body holds enough brackets to matter.
        limit = settings.EXACTO_MAX_JSON_DEPTH
        if text.count("{") + text.count("[") > limit and json_depth_exceeds(text, limit):
            raise exceptions.ParseError(f"JSON nests deeper than {limit} levels.")
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"Body is not valid JSON: {exc}") from exc


def _first_message(detail) -> tuple[str, str | None]:
    """Flatten DRF's nested error detail into (message, field)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            message, sub = _first_message(value)
            field = key if key != "non_field_errors" else None
            if sub:
                field = f"{field}.{sub}" if field else sub
            return message, field
        return "Invalid input.", None
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else ("Invalid input.", None)
    return str(detail), None


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    message, field = _first_message(response.data)
    body = {"error": message}
    if field:
        body["field"] = field
    if isinstance(response.data, dict) and len(response.data) > 1 and "detail" not in response.data:
        body["errors"] = response.data
    return Response(body, status=response.status_code, headers=_auth_headers(response))


def _auth_headers(response) -> dict:
    headers = {}
    for name in ("WWW-Authenticate", "Retry-After", "Allow"):
        if name in response:
            headers[name] = response[name]
    return headers
