"""API views: validate with an `*In` serializer (batch items: metrics/events.py), call one
service or selector, answer through an `*Out` serializer (API.md)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from exacto_site.json_body import BoundedJSONParser, checked_body, loads_checked
from metrics.api import serializers as s
from metrics.api.schema import batch_request
from metrics.events import has_surrogates
from metrics.schema_validation.guards import gc_paused
from metrics.selectors.benchmarks import burn_in, visible_runs
from metrics.selectors.endpoints import endpoint_rows, home_cards, model_endpoints
from metrics.selectors.routing import EXACTO, parse_route_model, route
from metrics.services.benchmarks import ingest_benchmark_runs
from metrics.services.ingest_ignores import ingest_ignores
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.rotation import set_reference
from metrics.tool_call_batch import decode_batch
from providers.api.permissions import (
    AdminOnlyFields,
    ReadOrIngestScope,
    approves_what_it_names,
    publishes_what_it_sends,
    token_of,
)
from providers.models import LLMModel
from providers.services.endpoints import register_endpoint
from providers.visibility import Viewer

ERRORS = {400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut, 413: s.ErrorOut, 415: s.ErrorOut}
READ_ERRORS = {400: s.ErrorOut, 404: s.ErrorOut}


def batch_items(request, key: str, *, take: bool = False) -> list:
    """The list under `key`, or a 400 for the batch as a whole (API.md "Errors"); `take`
    removes it from request.data."""
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({key: "Body must be a JSON object."})
    items = request.data.pop(key, None) if take else request.data.get(key)
    if not isinstance(items, list):
        raise exceptions.ValidationError({key: f"'{key}' must be a list."})
    limit = settings.EXACTO_MAX_BATCH_ITEMS
    if len(items) > limit:
        raise exceptions.ValidationError({key: f"At most {limit} items per batch, got {len(items)}."})
    return items


def source_of(request) -> str:
    token = token_of(request)
    return f'api key "{token.name}"' if token else "session"


def id_scope_of(request) -> str:
    """Idempotency ids are scoped per API key (METHODOLOGY §9)."""
    token = token_of(request)
    return f"key:{token.pk}" if token else "session"


def valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def get_model(slug: str | None, viewer: Viewer) -> LLMModel:
    """The model named by `slug`; a pending one exists only for admins (METHODOLOGY §9)."""
    if not slug:
        raise exceptions.ValidationError({"model": "The model parameter is required."})
    if has_surrogates(slug):  # not storable text: no such model (NULs: RejectNulMiddleware)
        raise exceptions.NotFound("Unknown model (the slug is not valid text).")
    try:
        model = LLMModel.objects.get(slug=slug)
    except LLMModel.DoesNotExist as exc:
        raise exceptions.NotFound(f"Unknown model {slug!r}.") from exc
    if not viewer.knows(model):
        raise exceptions.NotFound(f"Unknown model {slug!r}.")
    return model


class EndpointsView(APIView):
    permission_classes = [ReadOrIngestScope, AdminOnlyFields]
    admin_only_fields = {"reference": "Only admins mark an endpoint as the reference"}

    @extend_schema(
        summary="Per-endpoint quality figures of a model",
        parameters=[s.EndpointsQueryIn],
        responses={200: s.EndpointOut(many=True), **READ_ERRORS},
    )
    def get(self, request):
        query = valid(s.EndpointsQueryIn, request.query_params)
        viewer = Viewer.for_request(request)
        model = get_model(query["model"], viewer)
        rows = model_endpoints(model, viewer, days=query.get("days")).rows
        return Response(s.EndpointOut(rows, many=True).data)

    @extend_schema(
        summary="Register an endpoint (idempotent)",
        request=s.EndpointRegisterIn,
        responses={200: s.EndpointRegisteredOut, 201: s.EndpointRegisteredOut, **ERRORS},
    )
    def post(self, request):
        data = valid(s.EndpointRegisterIn, request.data)
        endpoint, created = register_endpoint(
            data["model"], data["provider"], data["quantization"],
            pending=not approves_what_it_names(request),
        )
        if data["reference"]:
            set_reference(endpoint, sender=source_of(request))
        row = endpoint_rows([endpoint], Viewer.for_request(request)).rows[0]
        return Response(s.EndpointRegisteredOut(row).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ToolCallBatchParser(BoundedJSONParser):
    """A batch of tool-call events read in one typed pass that keeps each request's raw
    `tools` (metrics/tool_call_batch.py); any other body as BoundedJSONParser reads it."""

    def parse(self, stream, media_type=None, parser_context=None):
        text, raw = checked_body(stream)
        with gc_paused():
            batch = decode_batch(raw)
        return batch if batch is not None else loads_checked(text, raw)


class ToolCallsView(APIView):
    parser_classes = [ToolCallBatchParser]

    @extend_schema(
        summary="Ingest a batch of tool-call events",
        request=batch_request("events", "ToolCallEvent"),
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        # The batch is taken out of request.data so that it is freed when the call returns,
        # before the cyclic GC runs again: it then never scans the batch's ~10^5 objects.
        with gc_paused():
            tools_raw = getattr(request.data, "tools_raw", None)
            result = ingest_tool_calls(batch_items(request, "events", take=True),
                                       source=source_of(request), id_scope=id_scope_of(request),
                                       tools_raw=tools_raw)
        return Response(s.BatchResultOut(result.as_dict()).data)


class IgnoresView(APIView):
    @extend_schema(
        summary="Ingest a batch of ignore/unignore preferences",
        request=batch_request("events", "IgnoreEvent"),
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        result = ingest_ignores(batch_items(request, "events"), source=source_of(request),
                                id_scope=id_scope_of(request))
        return Response(s.BatchResultOut(result.as_dict()).data)


class BenchmarkRunsView(APIView):
    @extend_schema(
        summary="Visible benchmark runs of a model (published only for anonymous readers)",
        parameters=[s.RunsQueryIn],
        responses={200: s.BenchmarkRunOut(many=True), **READ_ERRORS},
    )
    def get(self, request):
        query = valid(s.RunsQueryIn, request.query_params)
        viewer = Viewer.for_request(request)
        model = get_model(query["model"], viewer)
        runs = visible_runs(viewer).filter(endpoint__model=model)
        if query.get("benchmark"):
            runs = runs.filter(benchmark__slug=query["benchmark"])
        return Response(s.BenchmarkRunOut(runs.order_by("run_at", "id")[:5000], many=True).data)

    @extend_schema(
        summary="Store a batch of benchmark runs; re-evaluates rotation before answering",
        request=batch_request("runs", "BenchmarkRun"),
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        result = ingest_benchmark_runs(
            batch_items(request, "runs"), source=source_of(request),
            id_scope=id_scope_of(request), may_publish=publishes_what_it_sends(request),
        )
        return Response(s.BatchResultOut(result.as_dict()).data)


class BurnInView(APIView):
    @extend_schema(
        summary="Benchmark scores against days since the model's release, per endpoint",
        parameters=[s.ModelQueryIn],
        responses={200: s.BurnInOut, **READ_ERRORS},
    )
    def get(self, request):
        query = valid(s.ModelQueryIn, request.query_params)
        viewer = Viewer.for_request(request)
        model = get_model(query["model"], viewer)
        return Response(s.BurnInOut(
            {"model": model.slug, "released": model.released, "benchmarks": burn_in(model, viewer)}
        ).data)


class ModelsView(APIView):
    @extend_schema(summary="Models with their endpoint count, pool size and last recompute",
                   responses={200: s.ModelListOut(many=True)})
    def get(self, request):
        return Response(s.ModelListOut(home_cards(Viewer.for_request(request)), many=True).data)


class RouteView(APIView):
    @extend_schema(
        summary="Providers to route to: `author/name:exacto` for the pool, plain slug for all "
        "in-rotation endpoints",
        parameters=[s.RouteQueryIn],
        responses={200: s.RouteOut, **READ_ERRORS},
    )
    def get(self, request):
        slug, variant = parse_route_model(valid(s.RouteQueryIn, request.query_params)["model"])
        if variant not in (None, EXACTO):
            raise exceptions.ValidationError({"model": f"Unknown variant {variant!r}."})
        # Routing is public: a pending model is unknown to it, and never routed (§9).
        return Response(s.RouteOut(route(get_model(slug, Viewer.public()), variant)).data)
