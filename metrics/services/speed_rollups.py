"""Speed rollup deltas of one ingest batch (METHODOLOGY §10), written in the batch's
transaction with the tool-call rollups, so a batch counts whole or not at all."""

from collections import Counter
from datetime import date

from metrics.events import ToolCallEvent
from metrics.histogram import bucket_of
from metrics.services.upserts import increment_speed_rollups
from metrics.speed import DEFAULT, STATUS_BUCKETS, Metric, completion_tokens, samples


class SpeedDeltas:
    """Counts per (endpoint_id, day, metric, bucket), summed over a batch."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def add(self, endpoint_id: int, day: date, event: ToolCallEvent,
            tokens: int | None = None) -> None:
        """One accepted event: its status, and its timings when it reported them.

        `tokens` overrides the count read from an OpenAI-style `usage` (for wire formats
        whose normalised form carries completion tokens).
        """
        fields = event.speed
        self.counts[(endpoint_id, day, Metric.STATUS.value, STATUS_BUCKETS[fields.status])] += 1
        if fields is DEFAULT:
            return  # no timings reported: the common case costs one counter
        if tokens is None and fields.latency_ms is not None and fields.ttft_ms is not None:
            tokens = completion_tokens(event.response)
        for metric, value in samples(fields, tokens).items():
            self.counts[(endpoint_id, day, metric.value, bucket_of(value))] += 1

    def write(self) -> None:
        increment_speed_rollups(self.counts)
