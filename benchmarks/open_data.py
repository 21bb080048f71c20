"""Open data and the verifier (issue 18) over a modest published dataset.

    .venv/bin/python benchmarks/open_data.py     # ~1 min

3 models x 8 endpoints x 30 days x 10 apps x 3 buckets of published rollups. Figures, each
beside a baseline measured in the same run:
- a model's day rows as CSV (/data/days.csv?model=…, 30 days) against the same model's
  public API read (/api/v1/endpoints/?model=…): median server time of 10 requests;
- recording a published pool (public figures → rules → row) against a routing recompute of
  the same model;
- the standalone verifier over the whole site through gunicorn against downloading the same
  tables alone (what its own arithmetic costs).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
import urllib.request
from contextlib import redirect_stdout
from datetime import date

import _common as c
import _synthetic as syn

REPEATS = 10
APPS = [f"app-{i:02d}" for i in range(10)]


def _median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return c.median_ms(samples)


def main() -> None:
    c.setup_django()
    c.reset_data()
    from django.test import Client

    from metrics.services.pools import recompute_all, recompute_model
    from metrics.services.published_pools import record_published_pool, record_published_pools
    from providers.models import LLMModel

    c.log(f"== open data benchmark ({c.machine()}, {date.today()}) ==")
    started = time.perf_counter()
    by_model = syn.create_catalogue(3, 8, prefix="open", published=True)
    endpoint_ids = [pk for pks in by_model.values() for pk in pks]
    rows, requests = syn.copy_rollups(endpoint_ids, days=30, apps=APPS, buckets_per_app=3,
                                      requests=(80, 142))
    recompute_all(trigger="command")
    record_published_pools(LLMModel.objects.order_by("slug"))
    c.log(f"loaded {rows:,} rollup rows = {requests:,} requests, pools and published pools "
          f"in {time.perf_counter() - started:.1f}s")

    model = LLMModel.objects.order_by("slug").first()
    client = Client()

    def get(path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, path
        return run

    api_ms = _median_ms(get(f"/api/v1/endpoints/?model={model.slug}"))
    csv_ms = _median_ms(get(f"/data/days.csv?model={model.slug}&days=30"))
    c.log(f"baseline  /api/v1/endpoints/?model=… median: {api_ms:.1f} ms")
    c.log(f"RESULT open data days.csv of one model (30 days) median ms: {csv_ms:.1f} "
          f"({csv_ms / api_ms:.1f}x the public API read of the model)")

    routing_ms = _median_ms(lambda: recompute_model(model, trigger="command"), 5)
    published_ms = _median_ms(lambda: record_published_pool(model), 5)
    c.log(f"baseline  routing recompute of one model median: {routing_ms:.1f} ms")
    c.log(f"RESULT published pool of one model median ms: {published_ms:.1f} "
          f"({published_ms / routing_ms:.2f}x a routing recompute)")

    sys.path.insert(0, str(c.ROOT / "verifier"))
    import exacto_verify

    with c.Gunicorn(workers=2) as server:
        tables = ("endpoints", "pools", "pool_verdicts", "days", "rotation")

        def download():
            for name in tables:
                with urllib.request.urlopen(f"{server.base}/data/{name}.jsonl",  # noqa: S310
                                            timeout=120) as r:
                    r.read()
            for slug in LLMModel.objects.values_list("slug", flat=True):
                with urllib.request.urlopen(  # noqa: S310
                        f"{server.base}/api/v1/endpoints/?model={slug}", timeout=120) as r:
                    r.read()

        download_ms = _median_ms(download, 3)
        sink = io.StringIO()
        with redirect_stdout(sink):
            verify_ms = _median_ms(lambda: exacto_verify.verify(server.base, out=sink), 3)
        code = subprocess.run([sys.executable, str(c.ROOT / "verifier" / "exacto_verify.py"),
                               server.base], capture_output=True, text=True).returncode
    checked = [line for line in sink.getvalue().splitlines() if "figures checked" in line]
    c.log(f"baseline  downloading the verifier's tables median: {download_ms:.0f} ms")
    c.log(f"RESULT verifier over the whole site median ms: {verify_ms:.0f} "
          f"({verify_ms / download_ms:.2f}x the downloads alone; {checked[-1]}; exit {code})")


if __name__ == "__main__":
    main()
