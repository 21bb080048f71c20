"""What a provider sees of its own endpoints in the portal (private figures included)."""

from metrics.models import BenchmarkRun, FailureSample
from metrics.selectors.endpoints import latest_snapshot, model_endpoints
from providers.models import LLMModel, Provider
from providers.visibility import Viewer


def portal_overview(provider: Provider, request) -> dict:
    viewer = Viewer.from_request(request)
    sections = []
    for model in LLMModel.objects.filter(endpoints__provider=provider).distinct().order_by("slug"):
        rows = model_endpoints(model, viewer)
        snapshot = latest_snapshot(model)
        band = snapshot.figures.get("propensity_range") if snapshot else None
        mine = []
        for row in rows:
            endpoint = row["_endpoint"]
            if endpoint.provider_id != provider.pk:
                continue
            verdict = next((v for v in snapshot.verdicts.all() if v.endpoint_id == endpoint.pk),
                           None) if snapshot else None
            mine.append({
                "row": row,
                "endpoint": endpoint,
                "verdict": verdict.detail if verdict else None,
                "samples": FailureSample.objects.filter(endpoint=endpoint)[:20],
                "runs": BenchmarkRun.objects.filter(endpoint=endpoint)
                .select_related("benchmark")[:20],
                "rotation_events": endpoint.rotation_events.all()[:20],
                "responses": endpoint.responses.filter(parent__isnull=True)
                .prefetch_related("replies"),
            })
        sections.append({"model": model, "endpoints": mine, "band": band})
    return {"provider": provider, "sections": sections,
            "feedback": provider.feedback.filter(status="forwarded").select_related("model")}
