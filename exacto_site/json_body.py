"""Request bodies for the API: size-bounded, depth-bounded JSON (API.md "Errors").

Bodies are decoded by msgspec (C, about 1.5x faster than ``json.loads`` on an ingest batch,
and able to leave sub-documents as raw bytes: metrics/tool_call_batch.py). Where the two
differ, ``json.loads`` decides: msgspec refuses ``NaN``/``Infinity``, numbers beyond a float
(``1e999``, which ``json.loads`` reads as infinity) and lone surrogate escapes (``"\\ud800"``)
that ``json.loads`` accepts, and words its errors its own way; any msgspec error therefore
re-reads the body with ``json.loads``, whose values and messages the API has always given.
Where msgspec accepts a document it returns what ``json.loads`` returns (same types, floats
correctly rounded, the last of duplicate keys, the integer digit limit of
``sys.get_int_max_str_digits``): tests/exacto_site/test_json_body.py compares the two.
"""

import json
import re
from itertools import accumulate

import msgspec
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

from metrics.schema_validation.guards import gc_paused


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."


# Linear-time: the two alternatives of a string body cannot both match a character.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def _exact_depth_exceeds(text: str, limit: int) -> bool:
    steps = [1 if b in "[{" else -1 for b in _BRACKETS.findall(_STRING.sub("", text))]
    return max(accumulate(steps), default=0) > limit


# An escape and the byte it escapes, left to right as JSON reads them (a backslash and the
# next byte): one C pass, where two bytes.replace copies of a 1.7 MB batch took 3 ms each.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
# Every byte but `"` and brackets: a body's structure, as seen by the fast depth check.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def json_depth_exceeds(text: str | bytes, limit: int) -> bool:
    """True when brackets nest deeper than `limit` outside strings.

    Checked before json.loads so hostile nesting never reaches Python's recursion limit.
    Fast path, in C (byte-string methods and one regex pass): in JSON a backslash only starts
    an escape inside a string, so once every escape is gone every `"`
    delimits a string. Keeping only quotes and brackets, dropping `""` (an empty string, or
    two strings side by side: their brackets stay inside one string either way), the even
    pieces of a split on `"` are the brackets outside strings. They are removed innermost
    pairs first, at most two levels per pass (one `{}`, one `[]` replace); when that does not
    empty them within `limit // 2` passes (deep, or not JSON), the exact regex scan decides.
    """
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    structure = _ESCAPE.sub(b"", data).translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.replace(b'""', b"").split(b'"')[0::2])
    for _ in range(limit // 2):
        if not brackets:
            return False
        reduced = brackets.replace(b"{}", b"").replace(b"[]", b"")
        if reduced == brackets:
            break
        brackets = reduced
    if not brackets:
        return False
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogatepass")
    return _exact_depth_exceeds(text, limit)


def read_body(stream) -> bytes:
    """The whole body, or 413 when it is over EXACTO_MAX_BODY_BYTES."""
    try:
        raw = stream.read() if stream is not None else b""
    except RequestDataTooBig as exc:
        raise PayloadTooLarge() from exc
    if len(raw) > settings.EXACTO_MAX_BODY_BYTES:
        raise PayloadTooLarge()
    return raw


def utf8_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise exceptions.ParseError("Body is not UTF-8.") from exc


class TooDeep(ValueError):
    pass


_DECODE = msgspec.json.Decoder().decode
# Everything msgspec can raise on a document: json.loads then decides.
MSGSPEC_ERRORS = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)


def check_depth(data: bytes) -> None:
    """TooDeep when the UTF-8 JSON `data` nests deeper than EXACTO_MAX_JSON_DEPTH (checked
    before any parser recurses into it)."""
    limit = settings.EXACTO_MAX_JSON_DEPTH
    # Cheap pre-check: only scan when the body holds enough brackets to matter.
    if data.count(b"{") + data.count(b"[") > limit and json_depth_exceeds(data, limit):
        raise TooDeep(f"JSON nests deeper than {limit} levels.")


def _loads(text: str, data: bytes) -> object:
    """`json.loads(text)`, read by msgspec from `data` (the UTF-8 of `text`) wherever the two
    agree (see the module). Parsed JSON holds no reference cycles, so the cyclic GC is
    paused while a large body allocates its ~10^5 objects: left on, it would rescan the
    whole heap."""
    with gc_paused():
        try:
            return _DECODE(data)
        except MSGSPEC_ERRORS:  # ValidationError is a DecodeError
            return json.loads(text)


def bounded_loads(text: str) -> object:
    """`json.loads(text)`, refusing (TooDeep) JSON that nests deeper than EXACTO_MAX_JSON_DEPTH."""
    data = text.encode("utf-8", "surrogatepass")
    check_depth(data)
    return _loads(text, data)


def checked_body(stream) -> tuple[str, bytes]:
    """(text, raw) of a JSON request body: 413 when over-large, 400 when not UTF-8, empty,
    or nested too deep (API.md "Errors")."""
    raw = read_body(stream)
    text = utf8_text(raw)
    if not text.strip():
        raise exceptions.ParseError("Empty body; a JSON object is required.")
    try:
        check_depth(raw)
    except TooDeep as exc:
        raise exceptions.ParseError(str(exc)) from exc
    return text, raw


def loads_checked(text: str, raw: bytes) -> object:
    """The value of a body that passed `checked_body`; 400 with json.loads' message when it is
    not JSON."""
    try:
        return _loads(text, raw)
    except (ValueError, RecursionError) as exc:
        raise exceptions.ParseError(f"Body is not valid JSON: {exc}") from exc


class BoundedJSONParser(JSONParser):
    """JSON parser that answers 413 for oversized and 400 for too-deep bodies."""

    def parse(self, stream, media_type=None, parser_context=None):
        return loads_checked(*checked_body(stream))
