"""Request bodies for the API: size-bounded, depth-bounded JSON (API.md "Errors")."""

import gc
import json
import re
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."


# Linear-time: the two alternatives of a string body cannot both match a character.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def json_depth_exceeds(text: str, limit: int) -> bool:
    """True when brackets nest deeper than `limit` outside strings.

    Checked before json.loads so hostile nesting never reaches Python's recursion limit;
    the scan runs in the regex engine (a 1 MB batch takes milliseconds, not a Python loop).
    """
    steps = [1 if b in "[{" else -1 for b in _BRACKETS.findall(_STRING.sub("", text))]
    return max(accumulate(steps), default=0) > limit


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
        # Parsed JSON holds no reference cycles, so the cyclic GC has nothing to find here;
        # left on, it rescans the whole heap while a batch allocates its ~10^5 objects.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"Body is not valid JSON: {exc}") from exc
        finally:
            if was_enabled:
                gc.enable()
