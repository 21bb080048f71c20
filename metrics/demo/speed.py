"""Speed profiles of the simulated providers (METHODOLOGY §10, docs/demo-data.md).

`with_speed` decorates the demo's tool-call events with `latency_ms`, `ttft_ms`,
`status`, `http_status` and the response's `usage`, and adds the failed attempts a
gateway logs before retrying (status `error` or `timeout`, no response). The tool-call
content of every event is unchanged, so the demo's accuracy figures stay as they were.

Deterministic: each event draws from its own random.Random seeded by its id.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from metrics.choices import RequestStatus


@dataclass(frozen=True)
class SpeedProfile:
    name: str
    description: str
    ttft_ms: float  # median time to first token
    tokens_per_second: float  # median decoding speed after the first token
    spread: float = 0.3  # log-normal sigma of both
    failure_rate: float = 0.004  # failed attempts per request, a fifth of them timeouts
    # A day (counted back from the last generated day) when most attempts fail first.
    outage_days_before_end: int | None = None
    outage_failure_rate: float = 0.75


TYPICAL = SpeedProfile(
    "typical", "About 0.6 s to the first token and 60 tokens/s; 0.4% of attempts fail.",
    ttft_ms=600, tokens_per_second=60)
FAST_BUT_INACCURATE = SpeedProfile(
    "fast but inaccurate", "Chutes: about 0.2 s to the first token and 220 tokens/s, the "
    "fastest of the GPU clouds, while its tool calls are the worst (broken parser, int4).",
    ttft_ms=200, tokens_per_second=220)
ACCURATE_BUT_SLOW = SpeedProfile(
    "accurate but slow", "The model authors' own APIs (Moonshot AI, DeepSeek, Z.AI): the "
    "reference for accuracy, but about 1.4 s to the first token and 22 tokens/s.",
    ttft_ms=1400, tokens_per_second=22, spread=0.4)
CUSTOM_SILICON = SpeedProfile(
    "custom silicon", "Groq and Cerebras: under 0.2 s to the first token and 450+ tokens/s.",
    ttft_ms=150, tokens_per_second=480, spread=0.25)
OUTAGE = SpeedProfile(
    "outage day", "Together: typical speed, but two days before the end of the window three "
    "attempts in four fail first (HTTP 503 or a timeout) and are retried: that week's uptime "
    "falls to ~89%, below the pool's 95% bar (rule 6).",
    ttft_ms=550, tokens_per_second=70, outage_days_before_end=2)

PROFILES: dict[str, SpeedProfile] = {
    "chutes": FAST_BUT_INACCURATE,
    "moonshotai": ACCURATE_BUT_SLOW,
    "deepseek": ACCURATE_BUT_SLOW,
    "z-ai": ACCURATE_BUT_SLOW,
    "groq": CUSTOM_SILICON,
    "cerebras": CUSTOM_SILICON,
    "together": OUTAGE,
}


def profile_of(provider: str) -> SpeedProfile:
    return PROFILES.get(provider, TYPICAL)


def _completion_tokens(rng: random.Random, response: dict[str, Any]) -> int:
    message = (response.get("choices") or [{}])[0].get("message") or {}
    calls = len(message.get("tool_calls") or [])
    if calls:
        return 12 + sum(rng.randint(18, 90) for _ in range(calls))
    return rng.randint(40, 320)


def _failed(event: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    failed = {k: v for k, v in event.items() if k != "response"}
    failed["id"] = f"{event['id']}-fail"
    if rng.random() < 0.2:
        failed.update(status=RequestStatus.TIMEOUT, latency_ms=60_000)
    else:
        failed.update(status=RequestStatus.ERROR, http_status=rng.choice([500, 502, 503, 503, 429]))
    return failed


def with_speed(events: Iterable[dict[str, Any]], *, end: date) -> Iterator[dict[str, Any]]:
    """The events with speed fields, each preceded by a failed attempt when one is drawn."""
    for event in events:
        profile = profile_of(event["provider"])
        rng = random.Random(f"speed:{event['id']}")
        day = date.fromisoformat(event["created"][:10])
        outage = (profile.outage_days_before_end is not None
                  and day == end - timedelta(days=profile.outage_days_before_end))
        if rng.random() < (profile.outage_failure_rate if outage else profile.failure_rate):
            yield _failed(event, rng)
        tokens = _completion_tokens(rng, event["response"])
        ttft = rng.lognormvariate(math.log(profile.ttft_ms), profile.spread)
        speed = rng.lognormvariate(math.log(profile.tokens_per_second), profile.spread)
        latency = ttft + tokens / speed * 1000
        event["response"]["usage"] = {"prompt_tokens": 350, "completion_tokens": tokens,
                                      "total_tokens": 350 + tokens}
        event.update(latency_ms=round(latency, 1), ttft_ms=round(ttft, 1), status=RequestStatus.OK,
                     http_status=200)
        yield event
