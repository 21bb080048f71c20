#!/usr/bin/env python3
"""Check an Exacto site's numbers from its open data alone.

Downloads the open-data tables of a running Exacto site (/data/<table>.jsonl) and its
public API rows, then recomputes with the code below — written from METHODOLOGY.md, not
taken from the site — every endpoint's public accuracy, propensity, request error rate
and failure-mode rates with their 95% Wilson intervals (§4), every ignore rate (§5), and
every verdict, rule figure and the pool order of each model's latest published pool (§7).
Prints agreement per figure and exits 1 on any disagreement (2 when a download fails).

Standard library only, one file: copy it anywhere and run

    python3 exacto_verify.py https://exacto.example.com [--model author/name] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import date, datetime

Z = statistics.NormalDist().inv_cdf(0.975)  # two-sided 95%
TOLERANCE = 1e-9  # floats summed in another order differ in the last bits, never more
COUNTS = ("requests_with_tools", "errored_requests", "propensity_requests",
          "propensity_requests_with_calls", "calls", "valid", "unchecked", "invalid_json",
          "unknown_tool", "schema_mismatch", "other")
SPEED_COUNTS = ("requests", "ok", "errors", "timeouts")  # §10, where the site reports them
FAILURES = ("invalid_json", "unknown_tool", "schema_mismatch")
RULES = ("rotation", "data", "accuracy", "propensity", "ignores")


# ---------------------------------------------------------------- downloading

class Site:
    def __init__(self, base: str, timeout: float = 120.0):
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) address: {base!r}")
        self.base = base.rstrip("/")
        self.timeout = timeout

    def get(self, path: str, **params) -> bytes:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            url, headers={"User-Agent": "exacto-verify/1", "Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return response.read()

    def table(self, name: str, **params) -> list[dict]:
        text = self.get(f"/data/{name}.jsonl", **params).decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def api_rows(self, model: str) -> list[dict]:
        return json.loads(self.get("/api/v1/endpoints/", model=model))


# ---------------------------------------------------------------- the methodology, again

def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def wilson(successes: float, n: float) -> list[float] | None:
    """95% Wilson score interval of successes / n (§4)."""
    if n <= 0:
        return None
    s = min(max(successes, 0.0), n)
    centre = (s + Z * Z / 2) / (n + Z * Z)
    half = Z * math.sqrt(s * (n - s) / n + Z * Z / 4) / (n + Z * Z)
    # All failures or all successes: that end is exactly 0 or 1.
    return [0.0 if s == 0 else max(0.0, centre - half), 1.0 if s == n else min(1.0, centre + half)]


def window_sums(days: list[dict], start: str | None, end: str | None) -> dict[str, float]:
    """Raw and capped counts of one endpoint summed over [start, end]."""
    sums = ({name: 0 for name in (*COUNTS, *SPEED_COUNTS)}
            | {f"capped_{name}": 0.0 for name in COUNTS})
    if start is None or end is None:
        return sums
    for row in sorted(days, key=lambda r: r["day"]):
        if start <= row["day"] <= end:
            for name in sums:
                sums[name] += row.get(name) or 0  # a column the site does not have counts 0
    return sums


def public_figures(s: dict[str, float]) -> dict:
    """The §4 figures of one window from its sums: rates on capped counts."""
    correct = s["capped_valid"] + s["capped_unchecked"]
    out = {
        "accuracy": ratio(correct, s["capped_calls"]),
        "accuracy_ci95": wilson(correct, s["capped_calls"]),
        "request_error_rate": ratio(s["capped_errored_requests"], s["capped_requests_with_tools"]),
        "request_error_rate_ci95": wilson(s["capped_errored_requests"],
                                          s["capped_requests_with_tools"]),
        "propensity": ratio(s["capped_propensity_requests_with_calls"],
                            s["capped_propensity_requests"]),
        "propensity_ci95": wilson(s["capped_propensity_requests_with_calls"],
                                  s["capped_propensity_requests"]),
    }
    for name in FAILURES:
        out[f"{name}_rate"] = ratio(s[f"capped_{name}"], s["capped_calls"])
        out[f"{name}_rate_ci95"] = wilson(s[f"capped_{name}"], s["capped_calls"])
    return out


def judge(endpoints: list[dict], cfg: dict) -> dict:
    """§7 on plain inputs: every rule for every endpoint, tiers, overrides, fallback, order.

    Each endpoint: key, in_rotation, reference, forced, calls, correct, prop_requests,
    prop_with_calls, ignore_rate; where the site applies §10 (its settings name it), also
    status_requests, ok_requests and throughput_p50.
    """
    speed = "setting_min_status_requests" in cfg
    def enough(e):
        return (e["calls"] >= cfg["setting_min_calls"]
                and e["prop_requests"] >= cfg["setting_min_propensity_requests"])

    for e in endpoints:
        e["interval"] = wilson(e["correct"], e["calls"])
        e["propensity"] = ratio(e["prop_with_calls"], e["prop_requests"])
    scored = [(e["interval"][0], e["key"]) for e in endpoints if enough(e) and e["interval"]]
    # Highest lower bound; on a tie the smaller key, compared as text.
    best = min(scored, key=lambda c: (-c[0], c[1])) if scored else None

    qualified = [e for e in endpoints if enough(e) and e["propensity"] is not None]
    band = None
    if qualified:
        values = [e["propensity"] for e in qualified]
        middle = statistics.median(values)
        mad = statistics.median(abs(v - middle) for v in values)
        refs = sorted((e["key"], e["propensity"]) for e in qualified if e["reference"])
        centre = refs[0][1] if refs else middle
        half = max(cfg["setting_propensity_k"] * cfg["setting_propensity_scale"] * mad,
                   cfg["setting_propensity_min_halfwidth"])
        band = {"low": centre - half, "high": centre + half, "centre": centre,
                "centre_kind": "reference" if refs else "median"}

    rates = [e["ignore_rate"] for e in endpoints if e["ignore_rate"] is not None]
    threshold = cfg["setting_ignore_floor"]
    if rates:
        threshold = max(cfg["setting_ignore_median_factor"] * statistics.median(rates),
                        cfg["setting_ignore_floor"])

    for e in endpoints:
        passed = {
            "rotation": bool(e["in_rotation"]),
            "data": enough(e),
            "accuracy": (e["interval"] is None or best is None
                         or e["interval"][1] >= best[0] - cfg["setting_accuracy_margin"]),
            "propensity": (e["propensity"] is None or band is None
                           or band["low"] <= e["propensity"] <= band["high"]),
            "ignores": e["ignore_rate"] is None or e["ignore_rate"] <= threshold,
        }
        if speed:  # §10 rule 6: too few status-reporting requests pass
            uptime = wilson(e["ok_requests"], e["status_requests"])
            passed["availability"] = (e["status_requests"] < cfg["setting_min_status_requests"]
                                      or uptime[1] >= cfg["setting_min_uptime_upper"])
        e["failed"] = [rule for rule in (*RULES, "availability") if not passed.get(rule, True)]
        e["tier"] = ("verified" if not e["failed"]
                     else "unverified" if e["failed"] == ["data"] else "deranked")
        e["member"] = (True if e["forced"] == "force_in" else False
                       if e["forced"] == "force_out" else e["tier"] == "verified")
        e["fallback"] = False

    if not any(e["member"] for e in endpoints):
        # Fallback: the best in-rotation endpoint not forced out; while none of them has
        # any calls there is no best, and every one of them is returned.
        eligible = [e for e in endpoints if e["in_rotation"] and e["forced"] != "force_out"]
        measured = [e for e in eligible if e["interval"]]
        chosen = ([min(measured, key=lambda e: (-e["interval"][0], e["key"]))] if measured
                  else eligible)
        for e in chosen:
            e["member"] = e["fallback"] = True
    members = sorted((e for e in endpoints if e["member"]),
                     key=lambda e: (e["interval"] is None,
                                    -(e["interval"][0] if e["interval"] else 0.0), e["key"]))
    if speed and members and members[0]["interval"]:
        # §10: members within the margin of the top lower bound go first, fastest p50
        # throughput first, those without a throughput after them; the rest as before.
        floor = members[0]["interval"][0] - cfg["setting_throughput_margin"]
        near = [e for e in members if e["interval"] and e["interval"][0] >= floor]
        fast = sorted((e for e in near if e["throughput_p50"] is not None),
                      key=lambda e: (-e["throughput_p50"], e["key"]))
        members = [*fast, *(e for e in near if e["throughput_p50"] is None),
                   *(e for e in members if e not in near)]
    for e in endpoints:
        e["position"] = None
    for i, e in enumerate(members):
        e["position"] = i
    return {"best_lower_bound": best[0] if best else None,
            "best_endpoint_key": best[1] if best else None,
            "band": band, "ignore_threshold": threshold, "pool_keys": [e["key"] for e in members]}


# ---------------------------------------------------------------- comparing

class Report:
    """Every comparison, counted per kind and figure; disagreements printed as found."""

    def __init__(self, verbose: bool = False, out=sys.stdout):
        self.verbose = verbose
        self.out = out
        self.agree: dict[tuple[str, str], int] = defaultdict(int)
        self.disagree: dict[tuple[str, str], int] = defaultdict(int)

    def check(self, kind: str, where: str, figure: str, ours, theirs) -> bool:
        ok = same(ours, theirs)
        (self.agree if ok else self.disagree)[(kind, figure)] += 1
        if not ok or self.verbose:
            mark = "agree   " if ok else "DISAGREE"
            print(f"{mark} {kind:<16} {where:<48} {figure:<28} ours={_show(ours)} "
                  f"site={_show(theirs)}", file=self.out)
        return ok

    def summary(self) -> int:
        """Agreement per figure, then the verdict; 1 when anything disagreed or nothing ran."""
        figures = sorted(set(self.agree) | set(self.disagree))
        print("", file=self.out)
        for kind, figure in figures:
            agreed, total = self.agree[(kind, figure)], (self.agree[(kind, figure)]
                                                         + self.disagree[(kind, figure)])
            mark = "agree   " if agreed == total else "DISAGREE"
            print(f"{mark} {kind:<16} {figure:<40} {agreed}/{total}", file=self.out)
        bad = sum(self.disagree.values())
        print(f"{'ALL AGREE' if not bad else f'{bad} DISAGREE'} "
              f"({sum(self.agree.values())} figures checked)", file=self.out)
        return 1 if bad or not figures else 0


def same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))
    return a == b


def _show(x) -> str:
    if isinstance(x, float):
        return f"{x:.12g}"
    if isinstance(x, list):
        return "[" + ", ".join(_show(v) for v in x) + "]"
    return str(x)


def _label(row: dict) -> str:
    quant = f":{row['quantization']}" if row.get("quantization") else ""
    return f"{row['model']} {row['provider']}{quant}"


# ---------------------------------------------------------------- the checks

def check_public_figures(report: Report, endpoints: list[dict], days: dict, api: dict) -> None:
    """Each endpoint's served figures against the sums of its published day rows."""
    for e in endpoints:
        where = _label(e)
        row = api.get((e["model"], e["provider"], e["quantization"]))
        if row is None:
            report.check("public", where, "listed by the API", True, False)
            continue
        report.check("public", where, "window", [e["window_start"], e["window_end"]],
                     [row["window"]["start"], row["window"]["end"]])
        sums = window_sums(days[e["endpoint_key"]], e["window_start"], e["window_end"])
        served = row["tool_calls"]
        for name in COUNTS:
            if name in served:
                report.check("public", where, f"raw {name}", sums[name], served[name])
        for name, value in public_figures(sums).items():
            if name in served:
                report.check("public", where, name, value, served[name])
        for name in COUNTS:
            capped = served.get("capped", {}).get(name)
            if capped is not None:  # the API rounds capped counts to 3 decimals
                report.check("public", where, f"capped {name} (3 dp)",
                             round(sums[f"capped_{name}"], 3), capped)
        performance = row.get("performance")
        if performance and any("ok" in r for r in days[e["endpoint_key"]]):
            # §10 availability, where the site reports it: additive counts and their rate.
            for name in SPEED_COUNTS:
                report.check("public", where, f"performance {name}", sums[name],
                             performance.get(name))
            status = sums["ok"] + sums["errors"] + sums["timeouts"]
            report.check("public", where, "uptime", ratio(sums["ok"], status),
                         performance.get("uptime"))
            report.check("public", where, "uptime_ci95", wilson(sums["ok"], status),
                         performance.get("uptime_ci95"))
        ours = ratio(e["ignoring_users"], e["active_users"])
        report.check("ignores", where, "ignore_rate (export counts)", ours, e["ignore_rate"])
        report.check("ignores", where, "ignore_rate (API)", ours, row["ignore_rate"])


def rotation_at(events: list[dict], key: str, moment: str) -> str:
    """Rotation status of an endpoint at a time, from the audit of its changes."""
    status = "active"
    at = _when(moment)
    for ev in sorted((ev for ev in events if ev["endpoint_key"] == key), key=lambda ev: ev["at"]):
        if _when(ev["at"]) <= at:
            status = ev["new_status"]
    return status


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_pool(report: Report, pool: dict, verdicts: list[dict], days: dict,
               rotation: list[dict]) -> None:
    model = pool["model"]
    inputs = []
    for v in verdicts:
        where = f"{model} {v['provider']}" + (f":{v['quantization']}" if v["quantization"] else "")
        sums = window_sums(days.get(v["endpoint_key"], []), v["window_start"], v["window_end"])
        correct = sums["capped_valid"] + sums["capped_unchecked"]
        for name, ours, theirs in (
            ("capped_calls", sums["capped_calls"], v["capped_calls"]),
            ("capped_correct", correct, v["capped_correct"]),
            ("capped_propensity_requests", sums["capped_propensity_requests"],
             v["capped_propensity_requests"]),
            ("capped_propensity_requests_with_calls",
             sums["capped_propensity_requests_with_calls"],
             v["capped_propensity_requests_with_calls"]),
        ):
            report.check("pool inputs", where, name, ours, theirs)
        ignore_rate = ratio(v["ignoring_users"], v["active_users"])
        report.check("pool inputs", where, "ignore_rate", ignore_rate, v["ignore_rate"])
        report.check("pool inputs", where, "rotation_status",
                     rotation_at(rotation, v["endpoint_key"], pool["computed_at"]),
                     v["rotation_status"])
        inputs.append({"key": v["endpoint_key"], "where": where,
                       "in_rotation": v["rotation_status"] == "active",
                       "reference": v["reference"], "forced": v["forced"] or None,
                       "calls": sums["capped_calls"], "correct": correct,
                       "prop_requests": sums["capped_propensity_requests"],
                       "prop_with_calls": sums["capped_propensity_requests_with_calls"],
                       "ignore_rate": ignore_rate, "verdict": v,
                       # §10, where exported: availability from the day rows; the p50
                       # throughput as published (a percentile of histograms not exported).
                       "status_requests": sums.get("requests", 0), "ok_requests": sums.get("ok", 0),
                       "throughput_p50": v.get("throughput_p50")})
        if "status_requests" in v:
            report.check("pool inputs", where, "status_requests", sums.get("requests", 0),
                         v["status_requests"])
            report.check("pool inputs", where, "ok_requests", sums.get("ok", 0),
                         v["ok_requests"])
    shared = judge(inputs, pool)
    for e in inputs:
        v = e["verdict"]
        lower, upper = e["interval"] or (None, None)
        for name, ours, theirs in (
            ("accuracy", ratio(e["correct"], e["calls"]), v["accuracy"]),
            ("accuracy_ci95_low", lower, v["accuracy_ci95_low"]),
            ("accuracy_ci95_high", upper, v["accuracy_ci95_high"]),
            ("propensity", e["propensity"], v["propensity"]),
            ("failed", e["failed"], (v["failed"] or "").split()),
            ("tier", e["tier"], v["tier"]),
            ("member", e["member"], v["member"]),
            ("fallback", e["fallback"], v["fallback"]),
            ("position", e["position"], v["position"]),
        ):
            report.check("pool verdicts", e["where"], name, ours, theirs)
    band = shared["band"] or {}
    for name, ours, theirs in (
        ("best_lower_bound", shared["best_lower_bound"], pool["best_lower_bound"]),
        ("best_endpoint_key", shared["best_endpoint_key"], pool["best_endpoint_key"]),
        ("propensity_low", band.get("low"), pool["propensity_low"]),
        ("propensity_high", band.get("high"), pool["propensity_high"]),
        ("propensity_centre", band.get("centre"), pool["propensity_centre"]),
        ("propensity_centre_kind", band.get("centre_kind"), pool["propensity_centre_kind"]),
        ("ignore_threshold", shared["ignore_threshold"], pool["ignore_threshold"]),
        ("pool order", shared["pool_keys"], (pool["pool_keys"] or "").split()),
    ):
        report.check("pool figures", f"{model} #{pool['sequence']}", name, ours, theirs)


def verify(base: str, model: str | None = None, verbose: bool = False, out=sys.stdout) -> int:
    site = Site(base)
    report = Report(verbose, out)
    endpoints = site.table("endpoints", model=model)
    pools = site.table("pools", model=model)
    latest: dict[str, dict] = {}
    for pool in pools:
        if pool["model"] not in latest or pool["sequence"] > latest[pool["model"]]["sequence"]:
            latest[pool["model"]] = pool
    verdicts = [v for v in site.table("pool_verdicts", model=model)
                if latest.get(v["model"], {}).get("sequence") == v["sequence"]]
    # Day rows reach back from each endpoint's last published day: ask for enough of them.
    starts = [r["window_start"] for r in (*endpoints, *verdicts) if r["window_start"]]
    ends = [r["window_end"] for r in endpoints if r["window_end"]]
    span = 1
    if starts and ends:
        span = (date.fromisoformat(max(ends)) - date.fromisoformat(min(starts))).days + 1
    days: dict[str, list[dict]] = defaultdict(list)
    for row in site.table("days", model=model, days=min(max(span, 1), 366)):
        days[row["endpoint_key"]].append(row)
    rotation = site.table("rotation", model=model)
    api = {}
    for slug in sorted({e["model"] for e in endpoints}):
        for row in site.api_rows(slug):
            api[(row["model"], row["provider"], row["quantization"])] = row
    check_public_figures(report, endpoints, days, api)
    for slug in sorted(latest):
        check_pool(report, latest[slug], [v for v in verdicts if v["model"] == slug], days,
                   rotation)
    for slug in sorted({e["model"] for e in endpoints} - set(latest)):
        print(f"note: {slug} has no published pool yet", file=out)
    return report.summary()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", help="base address of the site, e.g. http://127.0.0.1:8000")
    parser.add_argument("--model", help="check one model (author/name)")
    parser.add_argument("--verbose", action="store_true", help="print every figure checked")
    args = parser.parse_args(argv)
    try:
        return verify(args.site, args.model, args.verbose)
    except (OSError, ValueError) as exc:  # urllib's errors are OSErrors
        print(f"could not download from {args.site}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
