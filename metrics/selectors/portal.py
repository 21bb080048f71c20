"""What a provider sees of its own endpoints in the portal (private figures included).

A fixed number of queries, whatever the number of the provider's endpoints or models:
each per-endpoint list (samples, runs, rotation log, responses) is one query for all of
them, cut to its latest entries per endpoint in SQL.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Prefetch, Window
from django.db.models.functions import RowNumber

from metrics.charts_speed import speed_section
from metrics.models import BenchmarkRun, FailureSample, RotationEvent
from metrics.selectors.disclosure import Disclosure, rotation_log
from metrics.selectors.endpoints import provider_endpoints
from metrics.selectors.pages import PageRow, page_row
from metrics.selectors.speed_stats import daily_throughput
from providers.choices import FeedbackStatus
from providers.models import Endpoint, LLMModel, Provider, ProviderResponse
from providers.visibility import Viewer

# Entries of each list shown per endpoint.
LATEST = 20


@dataclass(frozen=True)
class PortalItem:
    row: PageRow
    endpoint: Endpoint
    verdict: dict | None  # the stored verdict's detail as this viewer may read it
    samples: list
    runs: list
    rotation_events: list  # each with `visible_reason`
    responses: list


@dataclass(frozen=True)
class PortalSection:
    model: LLMModel
    band: dict | None  # the model's propensity band, when this viewer may read it
    endpoints: list[PortalItem]
    speed: dict


def _latest_per_endpoint(queryset, endpoints: list[Endpoint], n: int = LATEST
                         ) -> dict[int, list]:
    """The first `n` rows of each endpoint in the model's default order, in one query."""
    ordering = queryset.model._meta.ordering
    ranked = (queryset.filter(endpoint__in=endpoints)
              .annotate(rank=Window(RowNumber(), partition_by=[F("endpoint_id")],
                                    order_by=ordering))
              .filter(rank__lte=n).order_by("endpoint_id", *ordering))
    out: dict[int, list] = defaultdict(list)
    for row in ranked:
        out[row.endpoint_id].append(row)
    return out


@dataclass(frozen=True)
class Portal:
    provider: Provider
    sections: list[PortalSection]  # one per model
    feedback: object  # the public feedback forwarded to the provider (a queryset)


def portal_overview(provider: Provider, viewer: Viewer) -> Portal:
    found = provider_endpoints(provider, viewer)
    endpoints = found.endpoints
    daily = daily_throughput(endpoints, viewer)
    # Thresholds resting on other endpoints' unpublished figures are for admins only (§8).
    disclosure = Disclosure(viewer, found.snapshots.values())
    samples = _latest_per_endpoint(FailureSample.objects.all(), endpoints)
    runs = _latest_per_endpoint(BenchmarkRun.objects.select_related("benchmark"), endpoints)
    events = _latest_per_endpoint(RotationEvent.objects.all(), endpoints)
    rotation_log(viewer, provider.pk, [e for pk in events for e in events[pk]])
    responses: dict[int, list] = defaultdict(list)
    for response in (ProviderResponse.objects.filter(endpoint__in=endpoints, parent__isnull=True)
                     .select_related("author")
                     .prefetch_related(Prefetch("replies", ProviderResponse.objects
                                                .select_related("author")))):
        responses[response.endpoint_id].append(response)
    sections: dict[int, dict] = {}
    for endpoint, row in found.pairs():
        snapshot = found.snapshots.get(endpoint.model_id)
        section = sections.setdefault(endpoint.model_id, {
            "model": endpoint.model, "band": disclosure.band(snapshot), "endpoints": [],
        })
        section["endpoints"].append(PortalItem(
            row=page_row(row, endpoint.pk),
            endpoint=endpoint,
            verdict=disclosure.verdict(snapshot, endpoint, found.verdicts.get(endpoint.pk)),
            samples=samples[endpoint.pk],
            runs=runs[endpoint.pk],
            rotation_events=events[endpoint.pk],
            responses=responses[endpoint.pk],
        ))
    return Portal(
        provider=provider,
        sections=[
            PortalSection(**section, speed=speed_section(
                [item.row for item in section["endpoints"]], daily, prefix=f"speed-{model_id}",
                window_days=settings.EXACTO_WINDOW_DAYS,
                min_uptime=settings.EXACTO_POOL_MIN_UPTIME))
            for model_id, section in sections.items()],
        feedback=provider.feedback.filter(status=FeedbackStatus.FORWARDED)
        .select_related("model"),
    )
