"""What a provider sees of its own endpoints in the portal (private figures included)."""

from django.conf import settings

from metrics.charts_speed import speed_section
from metrics.models import BenchmarkRun, FailureSample
from metrics.selectors.disclosure import Disclosure, rotation_log
from metrics.selectors.endpoints import provider_endpoints
from metrics.selectors.speed_stats import daily_throughput
from providers.choices import FeedbackStatus
from providers.models import Provider
from providers.visibility import Viewer


def portal_overview(provider: Provider, request) -> dict:
    viewer = Viewer.from_request(request)
    rows, snapshots = provider_endpoints(provider, viewer)
    daily = daily_throughput([row["_endpoint"] for row in rows], viewer)
    # Thresholds resting on other endpoints' unpublished figures are for admins only (§8).
    disclosure = Disclosure(viewer, snapshots.values())
    sections: dict = {}
    for row in rows:
        endpoint, verdict = row["_endpoint"], row["_verdict"]
        snapshot = snapshots.get(endpoint.model_id)
        section = sections.setdefault(endpoint.model_id, {
            "model": endpoint.model, "endpoints": [], "band": disclosure.band(snapshot),
        })
        section["endpoints"].append({
            "row": row,
            "endpoint": endpoint,
            "verdict": disclosure.verdict(snapshot, verdict.detail if verdict else None),
            "samples": FailureSample.objects.filter(endpoint=endpoint)[:20],
            "runs": BenchmarkRun.objects.filter(endpoint=endpoint).select_related("benchmark")[:20],
            "rotation_events": rotation_log(viewer, endpoint,
                                            list(endpoint.rotation_events.all()[:20])),
            "responses": endpoint.responses.filter(parent__isnull=True)
            .prefetch_related("replies"),
        })
    for model_id, section in sections.items():
        section["speed"] = speed_section(
            [item["row"] for item in section["endpoints"]], daily, prefix=f"speed-{model_id}",
            window_days=settings.EXACTO_WINDOW_DAYS, min_uptime=settings.EXACTO_POOL_MIN_UPTIME)
    return {"provider": provider, "sections": list(sections.values()),
            "feedback": provider.feedback.filter(status=FeedbackStatus.FORWARDED).select_related("model")}
