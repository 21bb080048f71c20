"""What a provider sees of its own endpoints in the portal (private figures included)."""

from metrics.models import BenchmarkRun, FailureSample
from metrics.selectors.disclosure import Disclosure, rotation_log
from metrics.selectors.endpoints import provider_endpoints
from providers.models import Provider
from providers.visibility import Viewer


def portal_overview(provider: Provider, request) -> dict:
    viewer = Viewer.from_request(request)
    rows, snapshots = provider_endpoints(provider, viewer)
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
    return {"provider": provider, "sections": list(sections.values()),
            "feedback": provider.feedback.filter(status="forwarded").select_related("model")}
