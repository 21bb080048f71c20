"""Sends probe cases to an OpenAI-compatible ``base_url`` (METHODOLOGY §11).

Pure: no Django.

Concurrency-limited (a thread per slot), every request with a timeout, the whole run with
a deadline: a case not answered by then is recorded as a timeout and the run returns, so
a run never hangs on a slow or silent provider. No retries: a failure is the finding.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import urllib3

from metrics.choices import RequestStatus

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
OK, ERROR, TIMEOUT = RequestStatus.OK, RequestStatus.ERROR, RequestStatus.TIMEOUT


@dataclass(frozen=True)
class ProbeResponse:
    case_id: str
    status: str  # ok | error | timeout (the §10 status vocabulary)
    http_status: int | None
    body: dict | None  # the chat completion, when status is ok
    latency_ms: float
    error: str = ""
    sent: bool = True  # False when the run's deadline passed before the request went out


def chat_completions_url(base_url: str) -> str:
    """``…/v1`` → ``…/v1/chat/completions``, as the OpenAI client builds it."""
    return base_url.rstrip("/") + "/chat/completions"


def send_cases(
    requests: Sequence[tuple[str, dict]],
    *,
    base_url: str,
    api_key: str = "",
    concurrency: int = 4,
    timeout_s: float = 60.0,
    deadline_s: float = 900.0,
    on_done: Callable[[ProbeResponse], None] | None = None,
) -> list[ProbeResponse]:
    """Sends ``(case_id, body)`` pairs; answers one ProbeResponse per pair, in input order.

    ``on_done`` is called in the calling thread as each answer arrives (progress bars).
    """
    url = chat_completions_url(base_url)
    headers = {"Content-Type": "application/json", "Accept": "application/json",
               "User-Agent": "exacto-probe/1"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    concurrency = max(1, int(concurrency))
    pool = urllib3.PoolManager(maxsize=concurrency, retries=False)
    end = time.monotonic() + deadline_s
    results: list[ProbeResponse | None] = [None] * len(requests)
    executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="exacto-probe")
    try:
        pending = {
            executor.submit(_send, pool, url, headers, case_id, body, timeout_s, end): index
            for index, (case_id, body) in enumerate(requests)
        }
        while pending:
            # Each request's own timeout ends before the deadline; the slack covers the
            # scheduling of the last callbacks.
            done, _ = wait(pending, timeout=max(0.0, end - time.monotonic()) + 1.0,
                           return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                index = pending.pop(future)
                results[index] = future.result()
                if on_done is not None:
                    on_done(results[index])
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    for index, (case_id, _) in enumerate(requests):
        if results[index] is None:
            results[index] = ProbeResponse(case_id, TIMEOUT, None, None, 0.0,
                                           "run deadline passed before an answer", sent=False)
            if on_done is not None:
                on_done(results[index])
    pool.clear()
    return results  # type: ignore[return-value]


def _send(pool: urllib3.PoolManager, url: str, headers: dict, case_id: str, body: dict,
          timeout_s: float, end: float) -> ProbeResponse:
    started = time.monotonic()
    budget = min(timeout_s, end - started)
    if budget <= 0:
        return ProbeResponse(case_id, TIMEOUT, None, None, 0.0,
                             "run deadline passed before the case was sent", sent=False)

    def elapsed() -> float:
        return round((time.monotonic() - started) * 1000, 1)

    try:
        response = pool.request(
            "POST", url, body=json.dumps(body).encode(), headers=headers, redirect=False,
            preload_content=False,
            timeout=urllib3.Timeout(connect=min(budget, 10.0), read=budget, total=budget),
        )
        try:
            raw = response.read(MAX_RESPONSE_BYTES + 1)
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:  # a TimeoutError subclass in urllib3
        return ProbeResponse(case_id, ERROR, None, None, elapsed(),
                             f"request failed: cannot connect: {str(exc)[:300]}")
    except urllib3.exceptions.TimeoutError:
        return ProbeResponse(case_id, TIMEOUT, None, None, elapsed(),
                             f"no answer within {budget:.1f} s")
    except Exception as exc:  # any failure of one case is that case's finding, never the run's
        return ProbeResponse(case_id, ERROR, None, None, elapsed(),
                             f"request failed: {type(exc).__name__}: {str(exc)[:300]}")
    status = response.status
    if len(raw) > MAX_RESPONSE_BYTES:
        return ProbeResponse(case_id, ERROR, status, None, elapsed(),
                             f"response larger than {MAX_RESPONSE_BYTES} bytes")
    if status != 200:
        text = raw[:300].decode("utf-8", "replace")
        return ProbeResponse(case_id, ERROR, status, None, elapsed(), f"HTTP {status}: {text}")
    try:
        data = json.loads(raw)
    except ValueError:
        return ProbeResponse(case_id, ERROR, status, None, elapsed(),
                             "HTTP 200 but the body is not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        return ProbeResponse(case_id, ERROR, status, None, elapsed(),
                             "HTTP 200 but not a chat completion (no choices)")
    return ProbeResponse(case_id, OK, status, data, elapsed())
