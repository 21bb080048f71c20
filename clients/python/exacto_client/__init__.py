"""A small typed client for Exacto's tool-call telemetry API (POST /api/v1/tool-calls/).

    client = ExactoClient("https://exacto.example.com", key)
    client.record(request_kwargs, response, provider="groq", latency_ms=840)
    client.close()  # or `with ExactoClient(...) as client:`

`response` may be what the `openai` or `anthropic` package returned (a ChatCompletion, a
Responses API Response, an Anthropic Message), a list of stream chunks/events, or plain JSON
data. Only `model`, `tools` and `tool_choice` of the request are sent, never the messages.
Events are batched, retried with exponential backoff and carry idempotent ids, so a resent
batch is never counted twice.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx

__all__ = ["ExactoClient", "ExactoError", "to_json"]
__version__ = "0.1.0"

log = logging.getLogger("exacto_client")
_REQUEST_FIELDS = ("tools", "tool_choice")
# Fields every OpenAI chunk repeats: sent once, with the first chunk (the server reads the
# stream's calls and usage, and detects the format from the first chunk).
_REPEATED_CHUNK_FIELDS = ("id", "object", "created", "model", "system_fingerprint",
                          "service_tier", "obfuscation")
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class ExactoError(RuntimeError):
    """A batch could not be delivered (after retries), or the server refused it as a whole."""


def to_json(value: Any) -> Any:
    """Plain JSON data from an SDK object (pydantic `model_dump`), a list of them, or JSON data."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


class ExactoClient:
    """Batches events and delivers them; thread-safe. Call `close()` (or use `with`) at the end."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        app: str | None = None,
        batch_size: int = 100,
        flush_interval: float | None = None,
        max_retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 10.0,
        http_client: httpx.Client | None = None,
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/v1/tool-calls/"
        self.app = app
        self.batch_size = max(1, min(batch_size, 1000))
        self.max_retries = max_retries
        self.backoff = backoff
        self.answers: list[dict] = []  # each delivered batch's answer (accepted, rejected, ...)
        self._http = http_client or httpx.Client(timeout=timeout)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self._queue: list[dict] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        if flush_interval:
            self._thread = threading.Thread(target=self._run, args=(flush_interval,), daemon=True,
                                            name="exacto-flush")
            self._thread.start()

    # --- recording ---------------------------------------------------------------------

    def event(
        self,
        request_kwargs: Mapping[str, Any],
        response: Any,
        *,
        provider: str,
        model: str | None = None,
        quantization: str | None = None,
        latency_ms: float | None = None,
        ttft_ms: float | None = None,
        status: str | None = None,
        http_status: int | None = None,
        user: str | None = None,
        app: str | None = None,
        event_id: str | None = None,
        created: int | None = None,
    ) -> dict:
        """The event dict `record` would queue (API.md "Tool-call telemetry")."""
        model = model or request_kwargs.get("model")
        if not model:
            raise ValueError("model is required (in request_kwargs or as model=...).")
        event: dict[str, Any] = {
            "id": event_id or uuid.uuid4().hex,
            "model": model,
            "provider": provider,
            "created": int(time.time()) if created is None else created,
            "request": {k: to_json(request_kwargs[k]) for k in _REQUEST_FIELDS if k in request_kwargs},
        }
        if response is not None:
            event["response"] = (_compact_stream(list(response)) if _is_stream(response)
                                 else to_json(response))
        optional = {"quantization": quantization, "latency_ms": latency_ms, "ttft_ms": ttft_ms,
                    "status": status, "http_status": http_status, "user": user,
                    "app": app or self.app}
        event.update({k: v for k, v in optional.items() if v is not None})
        return event

    def record(self, request_kwargs: Mapping[str, Any], response: Any, **fields: Any) -> str:
        """Queues one event (see `event` for the fields); returns its id. Flushes full batches."""
        event = self.event(request_kwargs, response, **fields)
        with self._lock:
            self._queue.append(event)
            full = len(self._queue) >= self.batch_size
        if full and self._thread is None:
            self.flush()
        return event["id"]

    def wrap_stream(self, stream: Iterable[Any], request_kwargs: Mapping[str, Any], *,
                    started: float | None = None, **fields: Any) -> Iterator[Any]:
        """Yields a stream's chunks/events unchanged and records them once it ends.

        `started` is `time.monotonic()` taken just before the request was sent; with it the
        event carries `ttft_ms` (first chunk) and `latency_ms` (last chunk).
        """
        chunks: list[Any] = []
        first = None
        for chunk in stream:
            if first is None:
                first = time.monotonic()
            chunks.append(chunk)
            yield chunk
        if started is not None:
            end = time.monotonic()
            fields.setdefault("latency_ms", round((end - started) * 1000, 3))
            if first is not None:
                fields.setdefault("ttft_ms", round((first - started) * 1000, 3))
        self.record(request_kwargs, chunks, **fields)

    # --- delivery ----------------------------------------------------------------------

    def flush(self) -> list[dict]:
        """Sends everything queued; returns the answers. Raises ExactoError if a batch fails
        after the retries (its events stay queued: ids make a later resend safe)."""
        answers = []
        with self._send_lock:
            while True:
                with self._lock:
                    batch, self._queue = self._queue[: self.batch_size], self._queue[self.batch_size:]
                if not batch:
                    return answers
                try:
                    answer = self._send(batch)
                except ExactoError:
                    with self._lock:
                        self._queue[:0] = batch
                    raise
                for rejected in answer.get("rejected", []):
                    log.warning("exacto rejected event %s: %s", rejected.get("id"), rejected.get("error"))
                answers.append(answer)
                self.answers.append(answer)

    def _send(self, batch: list[dict]) -> dict:
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            wait = None
            try:
                response = self._http.post(self.url, json={"events": batch}, headers=self._headers)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return response.json()
                problem = f"HTTP {response.status_code}: {response.text[:300]}"
                if response.status_code not in _RETRY_STATUS:
                    raise ExactoError(problem)
                wait = _retry_after(response.headers.get("Retry-After"))
            if attempt == self.max_retries:
                raise ExactoError(f"gave up after {attempt + 1} attempts: {problem}")
            time.sleep(wait if wait is not None else delay * (1 + random.random()))  # noqa: S311
            delay *= 2
        raise AssertionError("unreachable")

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except ExactoError as exc:
                log.warning("exacto delivery failed, will retry: %s", exc)

    def close(self) -> None:
        """Stops the background flusher (if any) and sends what is queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.flush()

    def __enter__(self) -> ExactoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)


def _compact_stream(items: list[Any]) -> list[Any]:
    """A stream's chunks or events as JSON, without the nulls and the fields every OpenAI
    chunk repeats: a streamed response is otherwise several times the bytes of a whole one."""
    out = []
    for position, item in enumerate(items):
        data = item.model_dump(mode="json", exclude_none=True) if hasattr(item, "model_dump") \
            else to_json(item)
        if position and isinstance(data, dict) and data.get("object") == "chat.completion.chunk":
            data = {k: v for k, v in data.items() if k not in _REPEATED_CHUNK_FIELDS}
        out.append(data)
    return out


def _is_stream(value: Any) -> bool:
    """A stream as received: a list/tuple/iterator of chunks or events (not a mapping or model)."""
    if isinstance(value, (list, tuple)):
        return True
    if isinstance(value, (str, bytes, Mapping)) or hasattr(value, "model_dump"):
        return False
    return isinstance(value, Iterable)


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 60.0) if value is not None else None
    except ValueError:
        return None


