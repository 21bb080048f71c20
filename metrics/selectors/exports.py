"""Open data (issue 18): every figure a public verdict rests on, as tables of published data.

Always the public view, whoever downloads: day rows come from the same query and
publication window as the public figures (toolcall_stats), the endpoint rows are the
public API rows, pool rows are the published pools (judged on published figures alone).
App and user identities never leave: only the capped totals the rules use, and the
numerator and denominator of each ignore rate. Each table lists its columns with their
meaning once, here; the dataset card (/data/) and the verifier's docs read them from here.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from metrics import export_formats
from metrics.choices import FAILURE_OUTCOMES, Bucket
from metrics.models import ROLLUP_COUNTS, PublishedPool, RotationEvent
from metrics.pools import PoolSettings
from metrics.selectors.benchmarks import stderr_used, visible_runs
from metrics.selectors.endpoints import endpoint_rows
from metrics.selectors.speed_stats import daily_performance
from metrics.selectors.toolcall_stats import Counts, daily_counts
from providers.choices import ApprovalStatus
from providers.models import Endpoint, LLMModel
from providers.visibility import Viewer

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
SOURCE = "Exacto: tool-call telemetry from gateways, benchmark runs, users' ignore preferences"

_COUNT_MEANINGS = {
    "requests_with_tools": "requests that offered at least one tool",
    "errored_requests": "requests with at least one call not valid/unchecked (§1)",
    "propensity_requests": "requests eligible for propensity: tool_choice absent or auto (§2)",
    "propensity_requests_with_calls": "eligible requests whose response called a tool (§2)",
    "calls": "tool calls judged (valid + unchecked + invalid_json + unknown_tool + "
             "schema_mismatch)",
    "valid": "calls whose arguments validate against the tool's schema",
    "unchecked": "calls of tools without a usable schema; counted as valid (§1)",
    "invalid_json": "calls whose arguments are not JSON",
    "unknown_tool": "calls naming a tool the request did not offer",
    "schema_mismatch": "calls whose arguments do not validate",
    "other": "calls of tools that are not functions (custom, hosted); not judged, not in calls",
}
_RATES = {
    "accuracy": "(capped_valid + capped_unchecked) / capped_calls",
    "request_error_rate": "capped_errored_requests / capped_requests_with_tools",
    **{f"{name}_rate": f"capped_{name} / capped_calls" for name in FAILURE_OUTCOMES},
    "propensity": "capped_propensity_requests_with_calls / capped_propensity_requests",
}

IDENTITY = [
    ("model", "model slug, author/name"),
    ("provider", "provider slug"),
    ("quantization", "the endpoint's quantization (empty when unknown)"),
    ("endpoint_key", "the endpoint's id; pools break ties by it, compared as text (§7)"),
]


def _count_columns() -> list[tuple[str, str]]:
    raw = [(name, f"raw count: {meaning}") for name, meaning in _COUNT_MEANINGS.items()]
    capped = [(f"capped_{name}", f"{name} after the per-app daily cap (§4): each app's counts "
               "of the endpoint and day scaled by min(1, cap / its requests_with_tools); a "
               "decimal") for name in ROLLUP_COUNTS]
    return raw + capped


def _rate_columns() -> list[tuple[str, str]]:
    out = []
    for name, formula in _RATES.items():
        out += [(name, f"{formula}; empty when the denominator is 0"),
                (f"{name}_ci95_low", f"95% Wilson interval of {name}, low end, on capped counts"),
                (f"{name}_ci95_high", f"95% Wilson interval of {name}, high end")]
    return out


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: list[tuple[str, str]]
    rows: Callable[[LLMModel | None, int], list[dict]]

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


def _endpoints(model: LLMModel | None) -> list[Endpoint]:
    # Pending models and providers are not public (METHODOLOGY §9).
    return list(
        Endpoint.objects.approved().select_related("model", "provider")
        .filter(**({"model": model} if model else {}))
        .order_by("model__slug", "provider__slug", "quantization")
    )


def _identity(endpoint: Endpoint) -> dict:
    return {"model": endpoint.model.slug, "provider": endpoint.provider.slug,
            "quantization": endpoint.quantization, "endpoint_key": str(endpoint.pk)}


def _counts_and_rates(counts: Counts) -> dict:
    f = counts.figures()
    row = {name: counts.raw[name] for name in ROLLUP_COUNTS}
    # Full float precision: summing these over a window gives the served figures.
    row.update({f"capped_{name}": counts.capped[name] for name in ROLLUP_COUNTS})
    intervals = {"accuracy": f["accuracy_ci95"], "propensity": f["propensity_ci95"],
                 "request_error_rate": f["request_error_rate_ci95"],
                 **{f"{n}_rate": f[f"{n}_rate_ci95"] for n in FAILURE_OUTCOMES}}
    for name in _RATES:
        low, high = intervals[name] or (None, None)
        row.update({name: f[name], f"{name}_ci95_low": low, f"{name}_ci95_high": high})
    return row


def _speed_columns(perf: dict | None) -> dict:
    if perf is None:
        return dict.fromkeys(name for name, _ in _SPEED_COLUMNS)
    low, high = perf["uptime_ci95"] or (None, None)
    return {**{name: perf.get(name) for name, _ in _SPEED_COLUMNS},
            "uptime_ci95_low": low, "uptime_ci95_high": high}


def day_rows(model: LLMModel | None, days: int) -> list[dict]:
    endpoints = _endpoints(model)
    daily = daily_counts(endpoints, Viewer.public(), days=days)
    speed = daily_performance(endpoints, Viewer.public(), days=days)
    rows = []
    for e in endpoints:
        counts = dict(daily[e.pk])
        # A day may have speed figures only (every request failed): it gets a row too.
        for day in sorted(set(counts) | set(speed[e.pk])):
            rows.append({"day": day.isoformat(), **_identity(e),
                         **_counts_and_rates(counts.get(day, Counts())),
                         **_speed_columns(speed[e.pk].get(day))})
    return rows


def day_bucket_rows(model: LLMModel | None, days: int) -> list[dict]:
    endpoints = _endpoints(model)
    daily = daily_counts(endpoints, Viewer.public(), days=days, by_bucket=True)
    return [{"day": day.isoformat(), **_identity(e), "bucket": bucket,
             **_counts_and_rates(counts)}
            for e in endpoints for day, bucket, counts in daily[e.pk]]


def endpoint_state_rows(model: LLMModel | None, days: int) -> list[dict]:
    """The public window of each endpoint today, and its ignore rate's two counts."""
    endpoints = _endpoints(model)
    out = []
    for endpoint, row in endpoint_rows(endpoints, Viewer.public()).pairs():
        exacto = row.exacto or {}
        out.append({
            **_identity(endpoint),
            "reference": endpoint.is_reference,
            "rotation_status": endpoint.rotation_status,
            "in_rotation": endpoint.in_rotation,
            "published_until": row.published_until,
            "window_days": row.tool_calls["window_days"],
            "window_start": row.window["start"], "window_end": row.window["end"],
            "ignoring_users": row.ignores["ignoring_users"],
            "active_users": row.ignores["active_users"],
            "ignore_rate": row.ignore_rate,
            "routing_tier": exacto.get("tier"), "routing_member": exacto.get("member"),
        })
    return out


def rotation_rows(model: LLMModel | None, days: int) -> list[dict]:
    """Status changes with their rule and date; reasons quote scores that may be
    unpublished (§8), so only the status, the rule and the time are open."""
    events = RotationEvent.objects.select_related("endpoint__model", "endpoint__provider").filter(
        endpoint__in=Endpoint.objects.approved())
    if model is not None:
        events = events.filter(endpoint__model=model)
    return [{**_identity(ev.endpoint), "at": ev.at.isoformat(), "day": ev.at.date().isoformat(),
             "old_status": ev.old_status, "new_status": ev.new_status, "rule": ev.actor}
            for ev in events.order_by("at", "id")]


def run_se(run) -> tuple[float, str]:
    """The standard error the range rule uses for a run (§6, the rule's own function), and
    how it was obtained: reported (as published, or derived by the importer), from the
    run's samples or the benchmark's item count, or none (taken as 0)."""
    se = stderr_used(run)
    how = se.basis if se.n is None else f"{se.basis} (n={se.n})"
    if se.basis == "reported" and (run.detail or {}).get("stderr_note"):
        how += ": " + str(run.detail["stderr_note"])
    return se.value, how


def benchmark_rows(model: LLMModel | None, days: int) -> list[dict]:
    runs = visible_runs(Viewer.public())
    if model is not None:
        runs = runs.filter(endpoint__model=model)
    out = []
    for run in runs.order_by("run_at", "id"):
        se, how = run_se(run)
        out.append({
            **_identity(run.endpoint), "benchmark": run.benchmark.slug, "run_id": run.external_id,
            "run_at": run.run_at.isoformat(), "score": run.score, "stderr": run.stderr,
            "samples": run.samples, "source": run.source, "se": se, "se_derivation": how,
            "published_at": run.published_at.isoformat() if run.published_at else None,
        })
    return out


def _published_pools(model: LLMModel | None):
    pools = PublishedPool.objects.select_related("model").filter(
        model__status=ApprovalStatus.APPROVED)
    if model is not None:
        pools = pools.filter(model=model)
    return pools.order_by("model__slug", "sequence")


def pool_rows(model: LLMModel | None, days: int) -> list[dict]:
    out = []
    for pool in _published_pools(model):
        band = pool.figures.get("propensity_range") or {}
        out.append({
            "model": pool.model.slug, "sequence": pool.sequence,
            "computed_at": pool.computed_at.isoformat(),
            "best_lower_bound": pool.figures.get("best_lower_bound"),
            "best_endpoint_key": pool.figures.get("best_endpoint_key"),
            "best_endpoint": pool.figures.get("best_endpoint"),
            "propensity_low": band.get("low"), "propensity_high": band.get("high"),
            "propensity_centre": band.get("centre"),
            "propensity_centre_kind": band.get("centre_kind"),
            "propensity_halfwidth": band.get("halfwidth"),
            "ignore_threshold": pool.figures.get("ignore_threshold"),
            "fallback": pool.figures.get("fallback"),
            "pool": " > ".join(pool.figures.get("pool", [])),
            "pool_keys": " ".join(pool.figures.get("pool_keys", [])),
            **{f"setting_{name}": value for name, value in sorted(pool.settings.items())},
        })
    return out


def pool_verdict_rows(model: LLMModel | None, days: int) -> list[dict]:
    out = []
    for pool in _published_pools(model):
        for v in pool.verdicts:
            out.append({"model": pool.model.slug, "sequence": pool.sequence,
                        "computed_at": pool.computed_at.isoformat(),
                        **{name: v.get(name) for name, _ in _VERDICT_COLUMNS},
                        "failed": " ".join(v.get("failed", []))})
    return out


_SPEED_COLUMNS = [
    ("requests", "§10 requests reporting a status (ok + errors + timeouts), raw"),
    ("ok", "requests with status ok"), ("errors", "requests with status error"),
    ("timeouts", "requests with status timeout"),
    ("uptime", "ok / requests (§10)"),
    ("uptime_ci95_low", "95% Wilson interval of uptime, low end"),
    ("uptime_ci95_high", "95% Wilson interval of uptime, high end"),
    ("latency_ms_p50", "the day's median latency of ok requests, ms (from histograms, ±2%)"),
    ("latency_ms_p90", "90th percentile latency, ms"),
    ("ttft_ms_p50", "median time to first token, ms"), ("ttft_ms_p90", "90th percentile, ms"),
    ("throughput_tps_p50", "median throughput, tokens per second"),
    ("throughput_tps_p90", "90th percentile throughput, tokens per second"),
]
_SETTING_MEANINGS = {
    "window_days": "§4 window in days",
    "app_daily_cap": "§4 tool-offering requests an app contributes per endpoint per day",
    "min_calls": "§7 rule 2: capped calls needed",
    "min_propensity_requests": "§7 rule 2: capped propensity-eligible requests needed",
    "accuracy_margin": "§7 rule 3: margin below the best lower bound (fraction)",
    "propensity_k": "§7 rule 4: MAD multiplier",
    "propensity_scale": "§7 rule 4: MAD consistency factor",
    "propensity_min_halfwidth": "§7 rule 4: least half-width of the band (fraction)",
    "ignore_median_factor": "§7 rule 5: multiple of the model's median ignore rate",
    "ignore_floor": "§7 rule 5: least threshold (fraction)",
    "min_status_requests": "§10 rule 6: status-reporting requests needed to judge availability",
    "min_uptime_upper": "§10 rule 6: least upper 95% bound of uptime",
    "throughput_margin": "§10: members this close to the top lower bound go by p50 throughput",
}
# Every setting a published pool records (services.published_pools.settings_in_force): the
# §4 ones and each field of the pool rules' settings, so a new rule's settings ship too.
_SETTING_COLUMNS = [
    (f"setting_{name}", _SETTING_MEANINGS.get(name, f"pool rule setting {name}"))
    for name in ("window_days", "app_daily_cap",
                 *(f.name for f in dataclasses.fields(PoolSettings)))
]
_VERDICT_COLUMNS = [
    ("endpoint_key", "the endpoint's id; ties break by it, compared as text"),
    ("provider", "provider slug"), ("quantization", "quantization"),
    ("reference", "the model's reference endpoint (centres the propensity band)"),
    ("rotation_status", "active, benchmark_hold or admin_removed at the time"),
    ("in_rotation", "rule 1"),
    ("forced", "an admin override: force_in, force_out, or empty"),
    ("window_start", "first day of the endpoint's published window"),
    ("window_end", "last day (its last published day)"),
    ("capped_calls", "sum of day rows' capped_calls over the window"),
    ("capped_correct", "sum of capped_valid + capped_unchecked over the window"),
    ("capped_propensity_requests", "sum of capped_propensity_requests over the window"),
    ("capped_propensity_requests_with_calls", "the same for capped_propensity_requests_with_calls"),
    ("ignoring_users", "users active in the window currently ignoring the provider (§5)"),
    ("active_users", "users who sent tool requests for the model in the window"),
    ("ignore_rate", "ignoring_users / active_users"),
    ("accuracy", "capped_correct / capped_calls"),
    ("accuracy_ci95_low", "Wilson 95% low end; the pool order and rule 3 use it"),
    ("accuracy_ci95_high", "Wilson 95% high end"),
    ("propensity", "capped_propensity_requests_with_calls / capped_propensity_requests"),
    ("tier", "verified, unverified (fails only rule 2) or deranked"),
    ("member", "in the pool"), ("fallback", "returned alone because no endpoint qualified"),
    ("position", "order in the pool, 0 first; empty when not a member"),
    ("status_requests", "§10: status-reporting requests over the window (sum of day rows)"),
    ("ok_requests", "§10: ok requests over the window (sum of day rows' ok)"),
    ("throughput_p50", "§10: p50 throughput over the window, tokens/s, as published (from "
     "histograms); orders members near the top"),
]

TABLES = {t.name: t for t in (
    Table("days", "Daily figures per endpoint",
          "One row per endpoint × published day: raw and capped counts of every outcome, "
          "request, errored and propensity figure, the day's rates with 95% intervals, and its "
          "speed and availability (§10).",
          [("day", "the UTC day"), *IDENTITY, *_count_columns(), *_rate_columns(),
           *_SPEED_COLUMNS], day_rows),
    Table("day_buckets", "Daily figures per endpoint and schema complexity bucket",
          "As days, split by the complexity bucket of §3 (simple, medium, complex).",
          [("day", "the UTC day"), *IDENTITY,
           ("bucket", "schema complexity bucket: " + ", ".join(b.value for b in Bucket)),
           *_count_columns(), *_rate_columns()], day_bucket_rows),
    Table("endpoints", "Endpoints and their public window today",
          "One row per endpoint: the window its public figures cover, the two counts of "
          "its ignore rate, its rotation status and today's routing tier.",
          [*IDENTITY, ("reference", "the model's reference endpoint"),
           ("rotation_status", "active, benchmark_hold or admin_removed"),
           ("in_rotation", "rotation_status is active"),
           ("published_until", "last published day"),
           ("window_days", "§4 window length"),
           ("window_start", "first day of the public window"),
           ("window_end", "last day of the public window"),
           ("ignoring_users", "users active in the window who currently ignore the provider"),
           ("active_users", "users who sent tool requests for the model in the window"),
           ("ignore_rate", "ignoring_users / active_users (§5)"),
           ("routing_tier", "tier in the latest routing pool (judged on all data, §7)"),
           ("routing_member", "in the latest routing pool")], endpoint_state_rows),
    Table("rotation", "Rotation status changes",
          "Every change of an endpoint's rotation status, with the rule that made it and when.",
          [*IDENTITY, ("at", "time of the change"), ("day", "its UTC day"),
           ("old_status", "status before"), ("new_status", "status after"),
           ("rule", "benchmark_range (§6), admin or system")], rotation_rows),
    Table("benchmark_runs", "Published benchmark runs",
          "Every published run with its standard error and how it was obtained.",
          [*IDENTITY, ("benchmark", "benchmark slug"), ("run_id", "the run's id"),
           ("run_at", "when it ran"), ("score", "0–100"),
           ("stderr", "the standard error as stored (empty when none was given)"),
           ("samples", "sample count, when known"), ("source", "who measured it"),
           ("se", "the standard error the range rule uses (§6)"),
           ("se_derivation", "how se was obtained: reported, samples (n=…), items (n=…: the "
            "benchmark's item count) or none (taken as 0)"),
           ("published_at", "when it was published")], benchmark_rows),
    Table("pools", "Published pools",
          "One row per published pool: the model judged on its published figures alone at "
          "a publication (§7), with the rule figures and the settings in force.",
          [("model", "model slug"), ("sequence", "1, 2, … per model"),
           ("computed_at", "when it was judged"),
           ("best_lower_bound", "highest accuracy lower bound among endpoints with enough data"),
           ("best_endpoint_key", "whose it is"), ("best_endpoint", "provider:quantization"),
           ("propensity_low", "normal band, low end"), ("propensity_high", "high end"),
           ("propensity_centre", "its centre"),
           ("propensity_centre_kind", "median, or reference"),
           ("propensity_halfwidth", "max(k × scale × MAD, min half-width)"),
           ("ignore_threshold", "max(factor × median ignore rate, floor)"),
           ("fallback", "the pool is one fallback endpoint"),
           ("pool", "members in order, provider:quantization"),
           ("pool_keys", "members in order, endpoint keys"), *_SETTING_COLUMNS], pool_rows),
    Table("pool_verdicts", "Published pool verdicts",
          "One row per published pool × endpoint: the inputs of every rule and the verdict.",
          [("model", "model slug"), ("sequence", "the pool's sequence"),
           ("computed_at", "when it was judged"), *_VERDICT_COLUMNS,
           ("failed", "rules failed, space-separated: rotation data accuracy propensity "
            "ignores")], pool_verdict_rows),
)}


@dataclass(frozen=True)
class OpenDataFile:
    """One table's rows in one format, with what travels beside them (API.md 1.1)."""

    body: str
    content_type: str
    filename: str
    headers: dict[str, str]


def open_models():
    """The models open data covers: the approved ones."""
    return Viewer.public().models(LLMModel.objects.order_by("slug"))


def export_scope(model_slug: str | None, days: str | None) -> tuple[LLMModel | None, int]:
    """The model (None: all) and days of an export request; 404 for an unknown or pending
    model (open data is the public view, whoever downloads)."""
    model = (LLMModel.objects.filter(slug=model_slug, status=ApprovalStatus.APPROVED).first()
             if model_slug else None)
    if model_slug and model is None:
        raise Http404("Unknown model")
    try:
        days_n = min(max(int(days or "30"), 1), 366)
    except ValueError:
        days_n = 30
    return model, days_n


def open_data_file(table: Table, fmt: str, model_slug: str | None, days: str | None,
                   card_url: str) -> OpenDataFile:
    """`table` as a file of format `fmt` (404 for an unknown format or model)."""
    if fmt not in export_formats.FORMATS:
        raise Http404("Unknown format")
    model, days_n = export_scope(model_slug, days)
    now = timezone.now()
    meta = {"table": table.name, "licence": LICENCE, "licence_url": LICENCE_URL,
            "source": SOURCE, "dataset_card": card_url, "generated": now.isoformat()}
    body = export_formats.render(fmt, table.rows(model, days_n), table.column_names, meta)
    scope = model.slug.replace("/", "_") if model else "all"
    return OpenDataFile(
        body=body, content_type=export_formats.FORMATS[fmt],
        filename=f"exacto-{table.name}-{scope}-{now.date().isoformat()}.{fmt}",
        # Licence and source travel beside the data, never inside it (API.md 1.1).
        headers={"Link": f'<{LICENCE_URL}>; rel="license", <{card_url}>; rel="describedby"',
                 "X-Licence": f"{LICENCE} {LICENCE_URL}", "X-Source": SOURCE},
    )
