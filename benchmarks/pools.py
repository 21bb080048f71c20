"""Pool recompute at scale: 500 models x 20 endpoints x 30 days of rollups in PostgreSQL.

    .venv/bin/python benchmarks/pools.py     # ~3 min on a loaded 2-core machine

Times ``metrics.services.pools.recompute_all(trigger="command")`` (figures from SQL over
rollups, the pure rules, snapshot + verdicts + diff writes) three ways — the first run (every
snapshot written), a run over unchanged figures (nothing written but ``checked_at``) and a
run after today's figures moved (every snapshot written again, with diffs) — against the
pure ``metrics.pools.judge_pool`` alone on the same figures (goal: the worst ≤ 10x the rules).
Then the periodic task's fan-out with real Celery workers (50 models per task, 2 worker
processes on Redis: ``BENCH_CELERY_BROKER_URL``, default redis://127.0.0.1:6379/7).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date

import _common as c
import _synthetic as syn

MODELS = 500
ENDPOINTS = 20
DAYS = 30
APPS = ["coding-agent", "chat-assistant", ""]  # a few apps per endpoint ("" = no app)
WORKERS = 2
BROKER = os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/7")


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.perf_counter()

    def update(self, n: int) -> None:
        self.done += n
        if self.done % 100 == 0 or self.done == self.total:
            c.progress(self.label, self.done, self.total, self.started)


def fan_out(slugs: list[str]) -> float | None:
    """Seconds for WORKERS celery worker processes to recompute every model."""
    from exacto_site.celery import app

    queue = f"bench-pools-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, CELERY_BROKER_URL=BROKER, CELERY_TASK_DEFAULT_QUEUE=queue,
               CONN_MAX_AGE="60")
    celery = os.path.join(os.path.dirname(sys.executable), "celery")
    workers = [subprocess.Popen(  # noqa: S603
        [celery, "-A", "exacto_site", "worker", "--pool=solo", "-Q", queue, "-l", "warning",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"{queue}-{i}@%h"],
        cwd=c.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(WORKERS)]
    app.conf.update(broker_url=BROKER, result_backend=BROKER, task_always_eager=False)
    try:
        # Workers are up when a ping task comes back from each.
        warm = [app.send_task("metrics.recompute_pools", kwargs={"model_slug": slugs[0],
                                                                 "trigger": "command"},
                              queue=queue) for _ in range(WORKERS)]
        for result in warm:
            result.get(timeout=120)
        from metrics.tasks import FAN_OUT_MODELS

        # As the periodic task fans out: one task per FAN_OUT_MODELS models.
        started = time.perf_counter()
        results = [app.send_task("metrics.recompute_pools",
                                 kwargs={"model_slugs": slugs[i:i + FAN_OUT_MODELS],
                                         "trigger": "command"}, queue=queue)
                   for i in range(0, len(slugs), FAN_OUT_MODELS)]
        for result in results:
            result.get(timeout=600)
        return time.perf_counter() - started
    except Exception as exc:  # no Redis here: say so, the other figures stand
        c.log(f"  fan-out not measured: {exc!r}")
        return None
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)


def main() -> None:
    c.setup_django()
    c.reset_data()
    from django.db import connection

    from metrics.models import PoolOverride, PoolSnapshot, PoolVerdict
    from metrics.pools import judge_pool
    from metrics.selectors.ignores import ignore_rates_of_models
    from metrics.selectors.toolcall_stats import endpoint_stats
    from metrics.services.pools import model_figures, pool_settings, recompute_all
    from providers.models import Endpoint, LLMModel
    from providers.visibility import Viewer

    c.log(f"== pools benchmark ({c.machine()}, {date.today()}) ==")
    started = time.perf_counter()
    by_model = syn.create_catalogue(MODELS, ENDPOINTS, prefix="pools")
    endpoint_ids = [pk for pks in by_model.values() for pk in pks]
    rows, requests = syn.copy_rollups(endpoint_ids, days=DAYS, apps=APPS, buckets_per_app=1,
                                      requests=(100, 300))
    c.log(f"loaded {MODELS} models x {ENDPOINTS} endpoints x {DAYS} days: {rows:,} rollup rows "
          f"({requests:,} requests) in {time.perf_counter() - started:.1f}s")

    timings = {}
    runs = ("first (every snapshot written)", "unchanged figures (nothing written)",
            "figures moved (every snapshot written, with diffs)")
    for run in runs:
        if run.startswith("figures moved"):
            with connection.cursor() as cursor:  # today's counts move for every endpoint
                cursor.execute("UPDATE metrics_toolcallrollup SET valid = valid - 1, "
                               "invalid_json = invalid_json + 1 WHERE day = CURRENT_DATE "
                               "AND valid > 0")
            # Ingestion refreshes the daily totals of what it writes; not timed here.
            from metrics.services.upserts import refresh_day_totals

            today = date.today()
            refresh_day_totals((pk, today, 0) for pk in endpoint_ids)
        before = PoolSnapshot.objects.count()
        started = time.perf_counter()
        snapshots = recompute_all(trigger="command", progress=Progress(f"recompute {run}",
                                                                       MODELS))
        elapsed = time.perf_counter() - started
        timings[run] = elapsed
        c.log(f"recompute_all {run}: {len(snapshots)} models in {elapsed:.2f}s "
              f"({elapsed / len(snapshots) * 1000:.1f} ms/model, "
              f"{PoolSnapshot.objects.count() - before} snapshots written)")
    members = PoolVerdict.objects.filter(member=True).count() // 2
    c.log(f"  pool members per snapshot set: {members:,} of {MODELS * ENDPOINTS:,} endpoints")

    # Baseline: the pure rules alone over exactly the figures recompute used.
    settings_ = pool_settings()
    endpoints = list(Endpoint.objects.select_related("provider").order_by("pk"))
    stats = endpoint_stats(endpoints, Viewer.everything())
    grouped: dict[int, list] = {}
    for endpoint in endpoints:
        grouped.setdefault(endpoint.model_id, []).append(endpoint)
    windows = {e.pk: (stats[e.pk].window_start, stats[e.pk].window_end) for e in endpoints}
    ignores = ignore_rates_of_models(grouped, windows)
    overrides = {o.endpoint_id: o for o in PoolOverride.objects.all()}
    figures = [model_figures(model, grouped[model.pk], stats=stats, ignores=ignores,
                             overrides=overrides)
               for model in LLMModel.objects.order_by("slug")]
    started = time.perf_counter()
    repeats = 5
    for _ in range(repeats):
        for figs in figures:
            judge_pool(figs, settings_)
    rules = (time.perf_counter() - started) / repeats
    c.log(f"baseline  judge_pool alone (pure rules, same figures): {rules:.3f}s for {MODELS} "
          f"models ({rules / MODELS * 1000:.2f} ms/model)")

    slugs = list(LLMModel.objects.order_by("slug").values_list("slug", flat=True))
    c.log(f"  … fan-out: {MODELS} models to {WORKERS} celery workers (solo pool) on {BROKER}")
    fanned = fan_out(slugs)
    worst = max(timings.values())
    for run, elapsed in timings.items():
        c.log(f"RESULT pools recompute_all {run}: {elapsed:.2f}s = {elapsed / rules:.1f}x "
              f"the pure rules")
    c.log(f"RESULT ratio recompute_all (worst run) vs judge_pool (rules): {worst / rules:.1f}x "
          f"(goal <= 10x: {c.goal(worst / rules <= 10)})")
    if fanned is not None:
        c.log(f"RESULT pools fan-out, {WORKERS} celery workers, 50 models per task: "
              f"{fanned:.2f}s ({fanned / MODELS * 1000:.1f} ms/model, {fanned / rules:.1f}x the "
              f"pure rules; serial recompute_all of the same figures: "
              f"{timings[runs[1]]:.2f}s)")


if __name__ == "__main__":
    main()
