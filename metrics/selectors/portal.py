"""What a provider sees of its own endpoints in the portal (private figures included)."""

from metrics.models import BenchmarkRun, FailureSample
from metrics.selectors.endpoints import provider_endpoints
from providers.models import Provider
from providers.visibility import Viewer


def portal_overview(provider: Provider, request) -> dict:
    rows, snapshots = provider_endpoints(provider, Viewer.from_request(request))
    sections: dict = {}
    for row in rows:
        endpoint, verdict = row["_endpoint"], row["_verdict"]
        snapshot = snapshots.get(endpoint.model_id)
        section = sections.setdefault(endpoint.model_id, {
            "model": endpoint.model, "endpoints": [],
            "band": snapshot.figures.get("propensity_range") if snapshot else None,
        })
        section["endpoints"].append({
            "row": row,
            "endpoint": endpoint,
            "verdict": verdict.detail if verdict else None,
            "samples": FailureSample.objects.filter(endpoint=endpoint)[:20],
            "runs": BenchmarkRun.objects.filter(endpoint=endpoint).select_related("benchmark")[:20],
            "rotation_events": endpoint.rotation_events.all()[:20],
            "responses": endpoint.responses.filter(parent__isnull=True)
            .prefetch_related("replies"),
        })
    return {"provider": provider, "sections": list(sections.values()),
            "feedback": provider.feedback.filter(status="forwarded").select_related("model")}
