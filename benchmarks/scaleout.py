"""Ingestion scale-out on one PostgreSQL: 1, 2 and 4 gunicorn workers (docs/operations.md).

    .venv/bin/python benchmarks/scaleout.py     # ~2 min

The same demo events (fresh ids each run) are POSTed in batches of 1,000 by as many client
threads as workers. Printed per run: events/s, and the hot-row lock wait on rollups — the
share of 20 ms samples of pg_stat_activity in which at least one backend of this database
waited on a lock, and the mean number waiting. The 1-worker run is the baseline. On a
2-core machine shared with the database, more workers than cores mostly measure CPU
contention: the lock figures say whether rollup upserts contend.
"""

from __future__ import annotations

import threading
import time
from datetime import date

import _common as c
import ingest

RUNS = (1, 2, 4)
EVENTS_PER_RUN = 12_000


class LockSampler(threading.Thread):
    """Samples pg_stat_activity on its own connection every 20 ms."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.url = database_url
        self.stop = threading.Event()
        self.samples = 0
        self.with_waiters = 0
        self.waiting = 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                n = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'").fetchone()[0]
                self.samples += 1
                self.with_waiters += n > 0
                self.waiting += n
                time.sleep(0.02)


def main() -> None:
    import os

    c.setup_django()
    c.reset_data()
    from providers.models import ApiToken

    c.log(f"== ingest scale-out benchmark ({c.machine()}, {date.today()}) ==")
    events = ingest.generate_events(requests_per_day=40)[:EVENTS_PER_RUN]
    _, key = ApiToken.issue("bench-scaleout", "ingest")
    url = os.environ["DATABASE_URL"]
    results = {}
    for workers in RUNS:
        batch = [dict(e, id=f"{e['id']}-w{workers}") for e in events]
        sampler = LockSampler(url)
        sampler.start()
        wall, accepted, *_ = ingest.run_http(batch, key, workers=workers, clients=workers)
        sampler.stop.set()
        sampler.join()
        share = sampler.with_waiters / max(1, sampler.samples)
        mean = sampler.waiting / max(1, sampler.samples)
        results[workers] = (accepted / wall, share, mean)
        c.log(f"  … {workers} worker(s): {accepted:,} events in {wall:.1f}s")
    base = results[RUNS[0]][0]
    for workers, (eps, share, mean) in results.items():
        c.log(f"RESULT scale-out ingest {workers} gunicorn worker(s), {workers} client(s): "
              f"{eps:,.0f} events/s = {eps / base:.2f}x 1 worker; lock waits in "
              f"{share:.1%} of samples (mean {mean:.2f} backends waiting)")


if __name__ == "__main__":
    main()
