"""Pool recompute at scale: 500 models x 20 endpoints x 30 days of rollups in PostgreSQL.

    .venv/bin/python benchmarks/pools.py     # ~1 min

Times ``metrics.services.pools.recompute_all(trigger="command")`` (figures from SQL over
rollups, the pure rules, snapshot + verdicts + diff writes) — goal < 10 s for all models —
against the pure ``metrics.pools.judge_pool`` alone on the same figures (ratio DB+rules vs rules).
"""

from __future__ import annotations

import time
from datetime import date

import _common as c
import _synthetic as syn

MODELS = 500
ENDPOINTS = 20
DAYS = 30
APPS = ["coding-agent", "chat-assistant", ""]  # a few apps per endpoint ("" = no app)


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if self.done % 100 == 0 or self.done == self.total:
            c.progress(self.label, self.done, self.total, self.started)


def main() -> None:
    c.setup_django()
    c.reset_data()
    from metrics.models import PoolVerdict
    from metrics.pools import judge_pool
    from metrics.services.pools import model_figures, pool_settings, recompute_all
    from providers.models import Endpoint, LLMModel

    c.log(f"== pools benchmark ({c.machine()}, {date.today()}) ==")
    started = time.perf_counter()
    by_model = syn.create_catalogue(MODELS, ENDPOINTS, prefix="pools")
    endpoint_ids = [pk for pks in by_model.values() for pk in pks]
    rows, requests = syn.copy_rollups(endpoint_ids, days=DAYS, apps=APPS, buckets_per_app=1,
                                      requests=(100, 300))
    c.log(f"loaded {MODELS} models x {ENDPOINTS} endpoints x {DAYS} days: {rows:,} rollup rows "
          f"({requests:,} requests) in {time.perf_counter() - started:.1f}s")

    timings = []
    for run in ("first (no previous snapshot)", "second (diff against previous)"):
        started = time.perf_counter()
        snapshots = recompute_all(trigger="command", progress=Progress(f"recompute {run}", MODELS))
        elapsed = time.perf_counter() - started
        timings.append(elapsed)
        c.log(f"recompute_all {run}: {len(snapshots)} models in {elapsed:.2f}s "
              f"({elapsed / len(snapshots) * 1000:.1f} ms/model)")
    members = PoolVerdict.objects.filter(member=True).count() // 2
    c.log(f"  pool members per recompute: {members:,} of {MODELS * ENDPOINTS:,} endpoints")

    # Baseline: the pure rules alone over exactly the figures recompute used.
    settings_ = pool_settings()
    figures = []
    for model in LLMModel.objects.order_by("slug"):
        endpoints = list(Endpoint.objects.filter(model=model).select_related("provider"))
        figures.append(model_figures(model, endpoints))
    started = time.perf_counter()
    repeats = 5
    for _ in range(repeats):
        for figs in figures:
            judge_pool(figs, settings_)
    rules = (time.perf_counter() - started) / repeats
    c.log(f"baseline  judge_pool alone (pure rules, same figures): {rules:.3f}s for {MODELS} "
          f"models ({rules / MODELS * 1000:.2f} ms/model)")

    worst = max(timings)
    c.log(f"RESULT pools recompute_all seconds (worst of 2): {worst:.2f} "
          f"(goal < 10 s: {c.goal(worst < 10)})")
    c.log(f"RESULT pools per-model ms: {worst / MODELS * 1000:.1f}")
    c.log(f"RESULT ratio recompute (DB+rules) vs judge_pool (rules): {worst / rules:.0f}x")


if __name__ == "__main__":
    main()
