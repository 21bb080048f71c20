"""API views: parse input, call one service or selector, render (API.md)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api import serializers as s
from metrics.events import has_surrogates
from metrics.selectors.benchmarks import burn_in, visible_runs
from metrics.selectors.endpoints import endpoint_rows, model_endpoints, public_row
from metrics.selectors.routing import EXACTO, parse_route_model, route
from metrics.services.benchmarks import ingest_benchmark_runs
from metrics.services.endpoint_admin import register
from metrics.services.ingest_ignores import ingest_ignores
from metrics.services.ingest_tool_calls import gc_paused, ingest_tool_calls
from providers.api.permissions import is_admin_key, token_of
from providers.models import LLMModel
from providers.visibility import Viewer

ERRORS = {400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut, 413: s.ErrorOut}


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


def get_model(slug: str | None, viewer: Viewer | None = None) -> LLMModel:
    """The model named by `slug`; a pending one exists only for admins (METHODOLOGY §9)."""
    if not slug:
        raise exceptions.ValidationError({"model": "The model parameter is required."})
    if "\x00" in slug or has_surrogates(slug):  # not storable text: no such model
        raise exceptions.NotFound("Unknown model (the slug is not valid text).")
    try:
        model = LLMModel.objects.get(slug=slug)
    except LLMModel.DoesNotExist as exc:
        raise exceptions.NotFound(f"Unknown model {slug!r}.") from exc
    if not model.approved and not (viewer is not None and viewer.sees_all):
        raise exceptions.NotFound(f"Unknown model {slug!r}.")
    return model


def days_param(request) -> int:
    raw = request.query_params.get("days")
    if raw is None:
        return settings.EXACTO_WINDOW_DAYS
    try:
        days = int(raw)
    except ValueError as exc:
        raise exceptions.ValidationError({"days": "days must be an integer."}) from exc
    if not 1 <= days <= 366:
        raise exceptions.ValidationError({"days": "days must be between 1 and 366."})
    return days


class EndpointsView(APIView):
    @extend_schema(
        summary="Per-endpoint quality figures of a model",
        parameters=[
            OpenApiParameter("model", str, required=True, description="Model slug author/name."),
            OpenApiParameter("days", int, description="Window in days (default 7)."),
        ],
        responses={200: s.EndpointOut(many=True), 400: s.ErrorOut, 404: s.ErrorOut},
    )
    def get(self, request):
        viewer = Viewer.from_request(request)
        model = get_model(request.query_params.get("model"), viewer)
        rows, _ = model_endpoints(model, viewer, days=days_param(request))
        return Response([public_row(row) for row in rows])

    @extend_schema(
        summary="Register an endpoint (idempotent)",
        request=s.EndpointRegisterIn,
        responses={200: s.EndpointOut, 201: s.EndpointOut, **ERRORS},
    )
    def post(self, request):
        data = s.EndpointRegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        is_admin = is_admin_key(request)
        if data.validated_data["reference"] and not is_admin:
            raise exceptions.PermissionDenied(
                "Only admins mark an endpoint as the reference (METHODOLOGY §9); this key's "
                "scope is 'ingest'.")
        endpoint, created = register(
            data.validated_data["model"], data.validated_data["provider"],
            data.validated_data["quantization"], data.validated_data["reference"],
            pending=not is_admin, sender=source_of(request),
        )
        rows, _, _ = endpoint_rows([endpoint], Viewer.from_request(request))
        return Response(public_row(rows[0]),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ToolCallsView(APIView):
    @extend_schema(
        summary="Ingest a batch of tool-call events",
        request=s.ToolCallBatchIn,
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        # The batch is taken out of request.data so that it is freed when the call returns,
        # before the cyclic GC runs again: it then never scans the batch's ~10^5 objects.
        with gc_paused():
            result = ingest_tool_calls(batch_items(request, "events", take=True),
                                       source=source_of(request), id_scope=id_scope_of(request))
        return Response(result.as_dict())


class IgnoresView(APIView):
    @extend_schema(
        summary="Ingest a batch of ignore/unignore preferences",
        request=s.IgnoreBatchIn,
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        result = ingest_ignores(batch_items(request, "events"), source=source_of(request),
                                id_scope=id_scope_of(request))
        return Response(result.as_dict())


class BenchmarkRunsView(APIView):
    @extend_schema(
        summary="Visible benchmark runs of a model (published only for anonymous readers)",
        parameters=[OpenApiParameter("model", str, required=True),
                    OpenApiParameter("benchmark", str)],
        responses={200: s.BenchmarkRunOut(many=True), 400: s.ErrorOut, 404: s.ErrorOut},
    )
    def get(self, request):
        viewer = Viewer.from_request(request)
        model = get_model(request.query_params.get("model"), viewer)
        runs = visible_runs(viewer).filter(endpoint__model=model)
        if request.query_params.get("benchmark"):
            if "\x00" in request.query_params["benchmark"] or has_surrogates(
                    request.query_params["benchmark"]):
                raise exceptions.ValidationError({"benchmark": "benchmark must be valid text."})
            runs = runs.filter(benchmark__slug=request.query_params["benchmark"])
        return Response(s.BenchmarkRunOut(runs.order_by("run_at", "id")[:5000], many=True).data)

    @extend_schema(
        summary="Store a batch of benchmark runs; re-evaluates rotation before answering",
        request=s.BenchmarkRunBatchIn,
        responses={200: s.BatchResultOut, **ERRORS},
    )
    def post(self, request):
        result = ingest_benchmark_runs(
            batch_items(request, "runs"), source=source_of(request),
            id_scope=id_scope_of(request), may_publish=is_admin_key(request),
        )
        return Response(result.as_dict())


class BurnInView(APIView):
    @extend_schema(
        summary="Benchmark scores against days since the model's release, per endpoint",
        parameters=[OpenApiParameter("model", str, required=True)],
        responses={200: {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "array", "items": {
                "$ref": "#/components/schemas/BurnInPointOut"}}}}},
    )
    def get(self, request):
        viewer = Viewer.from_request(request)
        model = get_model(request.query_params.get("model"), viewer)
        return Response({
            "model": model.slug,
            "released": model.released.isoformat() if model.released else None,
            "benchmarks": burn_in(model, viewer),
        })


class RouteView(APIView):
    @extend_schema(
        summary="Providers to route to: `author/name:exacto` for the pool, plain slug for all "
        "in-rotation endpoints",
        parameters=[OpenApiParameter("model", str, required=True)],
        responses={200: s.RouteOut, 400: s.ErrorOut, 404: s.ErrorOut},
    )
    def get(self, request):
        slug, variant = parse_route_model(request.query_params.get("model") or "")
        if variant not in (None, EXACTO):
            raise exceptions.ValidationError({"model": f"Unknown variant {variant!r}."})
        # Routing is public: a pending model is unknown to it, and never routed (§9).
        return Response(route(get_model(slug), variant))
