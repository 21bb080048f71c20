"""Speed and availability of an endpoint (METHODOLOGY §10): the event's speed fields,
throughput, and the `performance` figures of API.md 1.1. Completion tokens come from the
normalised exchange of every wire format (metrics/wire: `completion_tokens` or
`output_tokens` of the response's usage).

Pure Python (no Django). Histograms come from metrics/histogram.py; the rollup rows
that hold them are keyed by the metric names below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum
from typing import NamedTuple

from metrics import histogram
from metrics.choices import RequestStatus
from metrics.stats import rate, wilson_interval


class Metric(StrEnum):
    """The timings kept as histograms; each is a count column of a speed rollup row."""

    LATENCY = "latency"
    TTFT = "ttft"
    THROUGHPUT = "throughput"


# One day: a longer "latency" is a unit mistake (seconds sent as ms, or microseconds).
MAX_MS = 86_400_000


class SpeedFieldError(ValueError):
    """An invalid speed field; the message names it and why."""


class SpeedFields(NamedTuple):
    # A NamedTuple, not a frozen dataclass: built once per event, and 5x cheaper to build.
    latency_ms: float | None = None
    ttft_ms: float | None = None
    status: RequestStatus = RequestStatus.OK
    http_status: int | None = None


DEFAULT = SpeedFields()


_STATUSES = {status.value: status for status in RequestStatus}


def _milliseconds(item: Mapping, name: str) -> float | None:
    value = item.get(name)
    if value is None:
        return None
    # `type(...)` rather than isinstance: bool is an int subclass, and this runs per event.
    # An int is finite and may be too large for a float (isfinite would raise on it).
    kind = type(value)
    if (kind is not int and kind is not float) or (kind is float and not math.isfinite(value)):
        raise SpeedFieldError(f"{name} must be a finite number of milliseconds.")
    if value < 0:
        raise SpeedFieldError(f"{name} must not be negative.")
    if value > MAX_MS:
        raise SpeedFieldError(f"{name} must be at most {MAX_MS} (one day in milliseconds).")
    return float(value)


def parse_speed(item: Mapping) -> SpeedFields:
    """The optional speed fields of a tool-call event (API.md 1.1); DEFAULT when absent."""
    if ("latency_ms" not in item and "ttft_ms" not in item and "status" not in item
            and "http_status" not in item):
        return DEFAULT
    status = item.get("status")
    if status is None:
        status = RequestStatus.OK
    else:
        status = _STATUSES.get(status) if isinstance(status, str) else None
        if status is None:
            raise SpeedFieldError("status must be one of ok, error, timeout.")
    http_status = item.get("http_status")
    if http_status is not None and (type(http_status) is not int
                                    or not 100 <= http_status <= 599):
        raise SpeedFieldError("http_status must be an integer HTTP status code (100-599).")
    return SpeedFields(
        latency_ms=_milliseconds(item, "latency_ms"),
        ttft_ms=_milliseconds(item, "ttft_ms"),
        status=status,
        http_status=http_status,
    )


def throughput_tps(tokens: int | None, latency_ms: float | None,
                   ttft_ms: float | None) -> float | None:
    """§10: tokens / generation seconds, ``(latency − ttft)`` when the stream lasted past
    the first token, else the whole latency. None without both timings and tokens, or
    with no time to divide by."""
    if tokens is None or latency_ms is None or ttft_ms is None:
        return None
    seconds = (latency_ms - ttft_ms if latency_ms > ttft_ms else latency_ms) / 1000
    if seconds <= 0:
        return None
    return tokens / seconds


def samples(fields: SpeedFields, tokens: int | None) -> dict[Metric, float]:
    """The histogram values one event adds: timings and throughput of ok requests only."""
    if fields.status != RequestStatus.OK:
        return {}
    out: dict[Metric, float] = {}
    if fields.latency_ms is not None:
        out[Metric.LATENCY] = fields.latency_ms
    if fields.ttft_ms is not None:
        out[Metric.TTFT] = fields.ttft_ms
    tps = throughput_tps(tokens, fields.latency_ms, fields.ttft_ms)
    if tps is not None:
        out[Metric.THROUGHPUT] = tps
    return out


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def performance(window_days: int, histograms: Mapping[str, Mapping[int, int]],
                statuses: Mapping[str, int]) -> dict:
    """API.md 1.1 `performance` from merged histograms keyed by Metric and request counts
    keyed by RequestStatus (nulls where nothing was reported)."""
    ok = int(statuses.get(RequestStatus.OK, 0))
    errors = int(statuses.get(RequestStatus.ERROR, 0))
    timeouts = int(statuses.get(RequestStatus.TIMEOUT, 0))
    requests = ok + errors + timeouts
    interval = wilson_interval(ok, requests)
    out = {
        "window_days": window_days,
        "requests": requests,
        "ok": ok,
        "errors": errors,
        "timeouts": timeouts,
        "uptime": rate(ok, requests),
        "uptime_ci95": list(interval) if interval else None,
    }
    for metric, name in ((Metric.LATENCY, "latency_ms"), (Metric.TTFT, "ttft_ms"),
                         (Metric.THROUGHPUT, "throughput_tps")):
        hist = histograms.get(metric, {})
        out[f"{name}_p50"] = _rounded(histogram.quantile(hist, 0.5))
        out[f"{name}_p90"] = _rounded(histogram.quantile(hist, 0.9))
    return out

