"""Speed rollup deltas of one ingest batch (METHODOLOGY §10), written in the batch's
transaction with the tool-call rollups, so a batch counts whole or not at all."""

from datetime import date

from metrics.choices import RequestStatus
from metrics.events import ToolCallEvent
from metrics.histogram import bucket_of
from metrics.services.upserts import increment_availability, increment_speed_rollups
from metrics.speed import DEFAULT, throughput_tps

# Column positions of a speed row's counts (metrics.models.SpeedRollup) and of a day's statuses.
LATENCY, TTFT, THROUGHPUT = 0, 1, 2
STATUS_COLUMNS = {RequestStatus.OK: 0, RequestStatus.ERROR: 1, RequestStatus.TIMEOUT: 2}


class SpeedDeltas:
    """Counts per (endpoint_id, day, bucket, generation) and statuses per
    (endpoint_id, day, generation) of a batch; the generation is the endpoint's publication
    that will make them public (METHODOLOGY §8, ToolCallRollup)."""

    def __init__(self) -> None:
        self.buckets: dict[tuple, list[int]] = {}
        self.statuses: dict[tuple, list[int]] = {}

    def _count(self, key: tuple, column: int) -> None:
        row = self.buckets.get(key)
        if row is None:
            row = self.buckets[key] = [0, 0, 0]
        row[column] += 1

    def add(self, endpoint_id: int, day: date, generation: int, event: ToolCallEvent) -> None:
        """One accepted event: its status, and its timings when it reported them; completion
        tokens come from the normalised exchange (every wire format's `usage`)."""
        # metrics.speed.samples spelled out: this runs for every event of every batch.
        fields = event.speed
        key = (endpoint_id, day, generation)
        statuses = self.statuses.get(key)
        if statuses is None:
            statuses = self.statuses[key] = [0, 0, 0]
        statuses[STATUS_COLUMNS[fields.status]] += 1
        if fields is DEFAULT or fields.status is not RequestStatus.OK:
            return  # no timings, or a failed request: counted for uptime only
        latency, ttft = fields.latency_ms, fields.ttft_ms
        if latency is not None:
            self._count((endpoint_id, day, bucket_of(latency), generation), LATENCY)
        if ttft is not None:
            self._count((endpoint_id, day, bucket_of(ttft), generation), TTFT)
            if latency is not None and event.exchange is not None:
                tps = throughput_tps(event.exchange.completion_tokens, latency, ttft)
                if tps is not None:
                    self._count((endpoint_id, day, bucket_of(tps), generation), THROUGHPUT)

    def write(self) -> None:
        increment_speed_rollups(self.buckets)
        increment_availability(self.statuses)
