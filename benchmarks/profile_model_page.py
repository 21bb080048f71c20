"""cProfile of the cold model page (issue 17), in process, over `benchmarks/pages.py`'s data.

    .venv/bin/python benchmarks/profile_model_page.py [--load] [--requests 8] [--top 40]

With `--load`, empties the database and loads pages.py's data set first; without it, reuses
what the last `--load` left (pages.py itself deletes the speed rollups at its end). Prints
the median cold server time of the 1x, 10x-apps and 10x-history model pages beside /healthz,
then the profile of `--requests` cold requests of the 1x page, sorted by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

import _common as c


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--load", action="store_true")
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", help="also write the raw profile here (pstats format)")
    args = parser.parse_args()
    c.setup_django(migrate=args.load)
    from django.test import Client

    from metrics.public_cache import bump
    from providers.models import LLMModel

    if args.load:
        import pages

        c.reset_data()
        pages.load()
    models = {prefix: LLMModel.objects.filter(slug__startswith=prefix).order_by("slug").first()
              for prefix in ("pages-", "wide-", "long-")}
    client = Client()

    def cold(model, n):
        samples = []
        client.get(f"/models/{model.slug}/")
        for _ in range(n):
            bump([model.pk])
            t = time.perf_counter()
            assert client.get(f"/models/{model.slug}/").status_code == 200
            samples.append(time.perf_counter() - t)
        return c.median_ms(samples)

    healthz = []
    client.get("/healthz")
    for _ in range(args.repeats):
        t = time.perf_counter()
        client.get("/healthz")
        healthz.append(time.perf_counter() - t)
    base = c.median_ms(healthz)
    # Alternating rounds: the three pages see the same load.
    times = {k: [] for k in models}
    for _ in range(3):
        for k, m in models.items():
            times[k].append(cold(m, args.repeats // 3 or 1))
    one, wide, long = (sorted(times[k])[1] for k in ("pages-", "wide-", "long-"))
    c.log(f"load {os.getloadavg()[0]:.2f}: /healthz {base:.2f} ms; model page cold {one:.1f} ms "
          f"= {one / base:.0f}x; 10x apps {wide:.1f} ms = {wide / one:.2f}x; "
          f"10x history {long:.1f} ms = {long / one:.2f}x")
    model = models["pages-"]
    profiler = cProfile.Profile()
    for _ in range(args.requests):
        bump([model.pk])
        profiler.enable()
        client.get(f"/models/{model.slug}/")
        profiler.disable()
    if args.out:
        profiler.dump_stats(args.out)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
