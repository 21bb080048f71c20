"""Admin automation API (admin-scoped tokens): rotation, recompute, publish, share, overview.

Each view validates with an `*In` serializer, calls one service or selector and answers through
an `*Out` serializer (API.md "Admin").
"""

from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api.serializers import ErrorOut, StrictCharField, StrictIntegerField
from metrics.api.views import get_model, source_of
from metrics.choices import IngestKind, PoolChangeKind, ProbeTrigger, RecomputeTrigger
from metrics.events import has_surrogates
from metrics.selectors.overview import admin_overview
from metrics.services.approval import approve_model, approve_provider
from metrics.services.pools import recompute_all, recompute_model
from metrics.services.probes import ProbeError, resolve_endpoint, run_probe, summary
from metrics.services.publication import publish, share_results
from metrics.services.rotation import set_rotation
from providers.api.permissions import AdminScope
from providers.choices import ApprovalStatus, RotationStatus
from providers.models import Endpoint, LLMModel, Provider
from providers.services.endpoints import EndpointResolver
from providers.visibility import Viewer

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut,
          415: ErrorOut}


class RotationIn(serializers.Serializer):
    model = StrictCharField(max_length=128)
    provider = StrictCharField(max_length=64)
    quantization = StrictCharField(max_length=32, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=[RotationStatus.ACTIVE.value, RotationStatus.ADMIN_REMOVED.value])
    reason = StrictCharField(min_length=3, max_length=5000,
                             help_text="Required: kept in the endpoint's audit log.")

    def validate_reason(self, value: str) -> str:
        # Strict fields keep white space as sent; a reason of spaces says nothing (§9).
        if len(value.strip()) < 3:
            raise serializers.ValidationError("A reason is required to change rotation.")
        return value


class RotationOut(serializers.Serializer):
    model = serializers.CharField(source="endpoint.model.slug")
    provider = serializers.CharField(source="endpoint.provider.slug")
    quantization = serializers.CharField(source="endpoint.quantization")
    rotation_status = serializers.ChoiceField(source="endpoint.rotation_status",
                                              choices=RotationStatus.choices)
    changed = serializers.BooleanField()


class RecomputeIn(serializers.Serializer):
    model = StrictCharField(max_length=128, required=False,
                            help_text="One model; all models when absent.")


class SnapshotOut(serializers.Serializer):
    model = serializers.CharField(source="model.slug")
    sequence = serializers.IntegerField()
    computed_at = serializers.DateTimeField()
    fallback = serializers.BooleanField()
    pool = serializers.SerializerMethodField(help_text="Endpoint keys of the pool, in order.")

    def get_pool(self, snapshot) -> list[str]:
        return [str(key) for key in snapshot.figures.get("pool", [])]


class RecomputeOut(serializers.Serializer):
    snapshots = SnapshotOut(many=True)


class PublishIn(serializers.Serializer):
    model = StrictCharField(max_length=128)
    provider = StrictCharField(max_length=64, required=False,
                               help_text="One provider's endpoints; all when absent.")
    through = serializers.DateField(required=False,
                                    help_text="Last public day of tool-call figures "
                                              "(default: yesterday; at most today).")

    def validate_through(self, value):
        # A future date would publish each new day as it is ingested: no private preview.
        if value > timezone.now().date():
            raise serializers.ValidationError("through cannot be in the future.")
        return value


class ShareIn(serializers.Serializer):
    model = StrictCharField(max_length=128)
    provider = StrictCharField(max_length=64, required=False)
    embargo_days = StrictIntegerField(required=False, min_value=0, max_value=365)


class CountOut(serializers.Serializer):
    endpoints = serializers.IntegerField()


class ApproveIn(serializers.Serializer):
    model = StrictCharField(max_length=128, required=False)
    provider = StrictCharField(max_length=64, required=False)

    def validate(self, attrs):
        if bool(attrs.get("model")) == bool(attrs.get("provider")):
            raise serializers.ValidationError("Send exactly one of model or provider.")
        return attrs


class ApproveInSchema(OpenApiSerializerExtension):
    """The schema says what ApproveIn.validate does: exactly one of the two."""

    target_class = ApproveIn

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "oneOf": [{"required": ["model"]}, {"required": ["provider"]}]}


class ApproveOut(serializers.Serializer):
    model = serializers.CharField(required=False)
    provider = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=ApprovalStatus.choices)
    changed = serializers.BooleanField(help_text="False when it was already approved.")


def _valid(serializer_class, request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError("Body must be a JSON object.")
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


def _model(slug: str) -> LLMModel:
    # Admin keys know every model, pending ones included (METHODOLOGY §9).
    return get_model(slug, Viewer.everything())


def _endpoints(data: dict) -> list[Endpoint]:
    model = _model(data["model"])
    query = Q(model=model)
    if data.get("provider"):
        query &= Q(provider__slug=data["provider"])
    endpoints = list(Endpoint.objects.filter(query))
    if not endpoints:
        raise exceptions.NotFound(f"No endpoint of {model.slug} at {data.get('provider')!r}.")
    return endpoints


class AdminAPIView(APIView):
    permission_classes = [AdminScope]


class RotationView(AdminAPIView):
    @extend_schema(
        summary="Remove an endpoint from rotation or put it back (reason required, audited)",
        request=RotationIn, responses={200: RotationOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(RotationIn, request)
        resolver = EndpointResolver([(data["model"], data["provider"])])
        try:
            endpoint = resolver.resolve(data["model"], data["provider"], data.get("quantization"))
        except ValueError as exc:
            raise exceptions.NotFound(str(exc)) from exc
        changed = set_rotation(endpoint, data["status"], data["reason"],
                               source=source_of(request))
        endpoint.refresh_from_db()
        return Response(RotationOut({"endpoint": endpoint, "changed": changed}).data)


class RecomputeView(AdminAPIView):
    @extend_schema(
        summary="Recompute the exacto pool of one model, or of all models",
        request=RecomputeIn, responses={200: RecomputeOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(RecomputeIn, request)
        if data.get("model"):
            snapshots = [recompute_model(_model(data["model"]), trigger=RecomputeTrigger.API)]
        else:
            snapshots = recompute_all(trigger=RecomputeTrigger.API)
        return Response(RecomputeOut({"snapshots": snapshots}).data)


class PublishView(AdminAPIView):
    @extend_schema(
        summary="Publish the results of a model's endpoints now (ends their embargo)",
        request=PublishIn, responses={200: CountOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(PublishIn, request)
        count = publish(_endpoints(data), through=data.get("through"))
        return Response(CountOut({"endpoints": count}).data)


class ShareView(AdminAPIView):
    @extend_schema(
        summary="Share results privately with providers and start the embargo",
        request=ShareIn, responses={200: CountOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(ShareIn, request)
        count = share_results(_endpoints(data), embargo_days=data.get("embargo_days"))
        return Response(CountOut({"endpoints": count}).data)


class ApproveView(AdminAPIView):
    @extend_schema(
        summary="Approve a pending model or provider (METHODOLOGY §9)",
        request=ApproveIn, responses={200: ApproveOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(ApproveIn, request)
        by = source_of(request)
        if data.get("model"):
            model = _model(data["model"])
            changed = approve_model(model, by=by)
            return Response(ApproveOut({"model": model.slug, "status": model.status,
                                        "changed": changed}).data)
        provider = (None if has_surrogates(data["provider"])
                    else Provider.objects.filter(slug=data["provider"]).first())
        if provider is None:
            raise exceptions.NotFound(f"Unknown provider {data['provider']!r}.")
        changed = approve_provider(provider, by=by)
        return Response(ApproveOut({"provider": provider.slug, "status": provider.status,
                                    "changed": changed}).data)


class HoldOut(serializers.Serializer):
    endpoint_id = serializers.IntegerField()
    endpoint = serializers.CharField()
    model = serializers.CharField()
    provider = serializers.CharField()
    quantization = serializers.CharField()
    status = serializers.ChoiceField(choices=RotationStatus.choices)
    status_display = serializers.CharField()
    reason = serializers.CharField()
    since = serializers.DateTimeField(allow_null=True)


class PoolChangeOut(serializers.Serializer):
    at = serializers.DateTimeField()
    model = serializers.CharField()
    sequence = serializers.IntegerField()
    endpoint_id = serializers.IntegerField()
    endpoint = serializers.CharField()
    change = serializers.ChoiceField(choices=PoolChangeKind.choices)
    rules = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


class OpenFeedbackOut(serializers.Serializer):
    model = serializers.CharField(allow_null=True)
    provider = serializers.CharField(allow_null=True)
    endpoint_id = serializers.IntegerField(allow_null=True)
    new = serializers.IntegerField()
    triaged = serializers.IntegerField()
    forwarded = serializers.IntegerField()
    total = serializers.IntegerField()
    oldest = serializers.DateTimeField()


class IngestOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IngestKind.choices)
    source = serializers.CharField()
    last_at = serializers.DateTimeField()
    batches = serializers.IntegerField()


class OverviewOut(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    holds = HoldOut(many=True, help_text="Endpoints out of rotation, newest first.")
    pool_changes = PoolChangeOut(many=True)
    pool_changes_since = serializers.DateTimeField()
    open_feedback = OpenFeedbackOut(many=True)
    ingest = IngestOut(many=True)


class OverviewView(AdminAPIView):
    @extend_schema(
        summary="Admin overview: holds, pool changes of the last day, open feedback, ingest",
        responses={200: OverviewOut, 401: ErrorOut, 403: ErrorOut},
    )
    def get(self, request):
        return Response(OverviewOut(admin_overview()).data)


class ProbeIn(serializers.Serializer):
    model = StrictCharField(max_length=128)
    provider = StrictCharField(max_length=64)
    base_url = serializers.URLField(max_length=500, help_text="OpenAI-compatible base URL.")
    quantization = StrictCharField(max_length=32, required=False, allow_blank=True)
    api_key_env = StrictCharField(
        max_length=128, required=False, allow_blank=True, default="",
        validators=[RegexValidator(r"^(?:[A-Za-z_][A-Za-z0-9_]{0,127})?$")],
        help_text="Name of the environment variable holding the key (never the key).")
    suite = StrictCharField(max_length=48, required=False)
    limit = StrictIntegerField(required=False, min_value=1, max_value=100_000,
                               help_text="Only the suite's first N cases.")
    upstream_model = StrictCharField(max_length=200, required=False, allow_blank=True,
                                     default="")


class ProbeOut(serializers.Serializer):
    suite = serializers.CharField()
    cases = serializers.IntegerField()
    calls = serializers.IntegerField()
    schema_accuracy = serializers.FloatField(allow_null=True)
    tool_call_f1 = serializers.FloatField(allow_null=True)
    errors = serializers.IntegerField(help_text="Cases without a usable answer (errors, timeouts).")


class ProbesView(AdminAPIView):
    @extend_schema(
        summary="Run one probe of an endpoint now and answer its summary (METHODOLOGY §11)",
        request=ProbeIn, responses={200: ProbeOut, **ERRORS},
    )
    def post(self, request):
        data = _valid(ProbeIn, request)
        try:
            endpoint = resolve_endpoint(data["model"], data["provider"],
                                        data.get("quantization") or None)
        except ProbeError as exc:
            raise exceptions.NotFound(str(exc)) from exc
        try:
            run = run_probe(endpoint, base_url=data["base_url"], api_key_env=data["api_key_env"],
                            suite=data.get("suite"), limit=data.get("limit"),
                            upstream_model=data["upstream_model"], trigger=ProbeTrigger.API)
        except ProbeError as exc:
            raise exceptions.ValidationError(str(exc)) from exc
        return Response(ProbeOut(summary(run)).data)
