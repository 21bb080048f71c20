"""One error shape for the whole API: `{"error": "...", "field": "..."}` (API.md "Errors")."""

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from exacto_site.json_body import PayloadTooLarge
from providers.api.auth import HEADER_FORMS


def _first_message(detail) -> tuple[str, str | None]:
    """Flatten DRF's nested error detail into (message, field)."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            message, sub = _first_message(value)
            field = key if key not in ("non_field_errors", "detail") else None
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
    if isinstance(exc, exceptions.NotAuthenticated):
        exc = exceptions.NotAuthenticated(
            f"Authentication credentials were not provided: send {HEADER_FORMS}."
        )
    if isinstance(exc, exceptions.UnsupportedMediaType) and "Content-Type" not in str(exc.detail):
        exc = exceptions.UnsupportedMediaType(
            None, detail=f"{exc.detail} Send `Content-Type: application/json`."
        )
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
