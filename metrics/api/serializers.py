"""Explicit request/response shapes of API.md, for validation and the OpenAPI schema."""

from rest_framework import serializers

from metrics.choices import IgnoreAction, RequestStatus, Tier
from metrics.selectors.benchmarks import stderr_used
from metrics.wire import FORMATS
from providers.choices import Quantization, RotationStatus

QUANTIZATIONS = " ".join(Quantization.values)


class EndpointRegisterIn(serializers.Serializer):
    model = serializers.RegexField(r"^[A-Za-z0-9._-]+/[A-Za-z0-9._:-]+$", max_length=128)
    provider = serializers.RegexField(r"^[a-z0-9-]+$", max_length=64)
    quantization = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="",
        help_text=f"One of: {QUANTIZATIONS} (case-insensitive, stored lower-case).")
    reference = serializers.BooleanField(required=False, default=False,
                                         help_text="Admin keys only (403 for an ingest key).")

    def validate_model(self, value: str) -> str:
        if ":" in value:
            raise serializers.ValidationError(
                f"{value!r} names a routing variant (the part after ':'); register the model "
                f"itself, {value.split(':', 1)[0]!r}.")
        return value

    def validate_quantization(self, value: str) -> str:
        value = value.strip().lower()
        if value and value not in Quantization.values:
            raise serializers.ValidationError(f"quantization must be one of: {QUANTIZATIONS}.")
        return value


class RejectedItem(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.CharField(allow_null=True)
    error = serializers.CharField()


class WarningItem(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.CharField(allow_null=True)
    warning = serializers.CharField()


class BatchResultOut(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = RejectedItem(many=True)
    warnings = WarningItem(many=True, required=False,
                           help_text="Items stored with a caveat (an alias applied).")


class OTLPResultOut(BatchResultOut):
    skipped = serializers.IntegerField(help_text="Spans without GenAI tool attributes.")
    partialSuccess = serializers.DictField(required=False)  # noqa: N815 - OTLP's own field name


class ToolCallEventIn(serializers.Serializer):
    id = serializers.CharField(max_length=200)
    model = serializers.CharField()
    provider = serializers.CharField()
    quantization = serializers.CharField(required=False, help_text="Needed only when the "
                                         "provider serves the model in several quantizations.")
    app = serializers.CharField(required=False)
    user = serializers.CharField(required=False)
    created = serializers.DateTimeField(required=False)
    request = serializers.JSONField(help_text="The request body; `tools` and "
                                    "`tool_choice` are read (OpenAI or Anthropic shapes).")
    response = serializers.JSONField(help_text="As the client received it: an OpenAI chat "
                                     "completion or chunk list, a Responses API response, an "
                                     "Anthropic message or event list.")
    format = serializers.ChoiceField(required=False, choices=list(FORMATS),
                                     help_text="Forces the format; detected when absent.")
    # Speed fields (METHODOLOGY §10); an event whose status is not ok may omit the response.
    latency_ms = serializers.FloatField(required=False, min_value=0, help_text="Request sent "
                                        "→ last byte, in milliseconds.")
    ttft_ms = serializers.FloatField(required=False, min_value=0, help_text="Request sent → "
                                     "first token, in milliseconds.")
    status = serializers.ChoiceField(choices=[s.value for s in RequestStatus], required=False,
                                     help_text="Default ok; error and timeout count for "
                                     "uptime only.")
    http_status = serializers.IntegerField(required=False, min_value=100, max_value=599)


class ToolCallBatchIn(serializers.Serializer):
    events = ToolCallEventIn(many=True, max_length=1000)


class IgnoreEventIn(serializers.Serializer):
    id = serializers.CharField(max_length=200)
    user = serializers.CharField()
    provider = serializers.CharField()
    model = serializers.CharField(required=False, allow_null=True)
    action = serializers.ChoiceField(choices=IgnoreAction.values)
    created = serializers.DateTimeField(required=False)


class IgnoreBatchIn(serializers.Serializer):
    events = IgnoreEventIn(many=True, max_length=1000)


class BenchmarkRunIn(serializers.Serializer):
    id = serializers.CharField(max_length=200)
    model = serializers.CharField()
    provider = serializers.CharField()
    quantization = serializers.CharField(required=False)
    benchmark = serializers.CharField()
    score = serializers.FloatField(min_value=0, max_value=100)
    stderr = serializers.FloatField(required=False, allow_null=True)
    samples = serializers.IntegerField(required=False, allow_null=True)
    source = serializers.CharField(required=False)
    run_at = serializers.DateTimeField(required=False)
    detail = serializers.DictField(required=False)


class BenchmarkRunBatchIn(serializers.Serializer):
    runs = BenchmarkRunIn(many=True, max_length=1000)


class FailureRates(serializers.Serializer):
    invalid_json = serializers.FloatField(allow_null=True)
    unknown_tool = serializers.FloatField(allow_null=True)
    schema_mismatch = serializers.FloatField(allow_null=True)


class ToolCallFigures(serializers.Serializer):
    calls = serializers.IntegerField(help_text="Raw (uncapped) count of tool calls.")
    valid = serializers.IntegerField()
    unchecked = serializers.IntegerField(help_text="Counted as valid; the tool had no usable "
                                         "schema (METHODOLOGY §1).")
    invalid_json = serializers.IntegerField()
    unknown_tool = serializers.IntegerField()
    schema_mismatch = serializers.IntegerField()
    other = serializers.IntegerField(help_text="Calls of non-function tools (custom, hosted): "
                                     "not judged, not in `calls` (METHODOLOGY §1).")
    accuracy = serializers.FloatField(allow_null=True, help_text="(valid + unchecked) / calls "
                                      "on capped counts (§4).")
    accuracy_ci95 = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                          help_text="95% Wilson interval on capped counts.")
    requests_with_tools = serializers.IntegerField()
    errored_requests = serializers.IntegerField()
    request_error_rate = serializers.FloatField(allow_null=True, help_text="errored_requests / "
                                                "requests_with_tools on capped counts.")
    request_error_rate_ci95 = serializers.ListField(
        child=serializers.FloatField(), allow_null=True,
        help_text="95% Wilson interval of request_error_rate on capped counts (§4).")
    propensity_requests = serializers.IntegerField()
    propensity_requests_with_calls = serializers.IntegerField()
    propensity = serializers.FloatField(allow_null=True)
    propensity_ci95 = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    failure_rates = FailureRates()
    invalid_json_rate = serializers.FloatField(allow_null=True, help_text="invalid_json / calls, "
                                               "capped.")
    invalid_json_rate_ci95 = serializers.ListField(child=serializers.FloatField(),
                                                   allow_null=True)
    unknown_tool_rate = serializers.FloatField(allow_null=True)
    unknown_tool_rate_ci95 = serializers.ListField(child=serializers.FloatField(),
                                                   allow_null=True)
    schema_mismatch_rate = serializers.FloatField(allow_null=True)
    schema_mismatch_rate_ci95 = serializers.ListField(child=serializers.FloatField(),
                                                      allow_null=True)
    capped = serializers.DictField(child=serializers.FloatField(),
                                   help_text="The same counts after capping large apps (§4).")


class ToolCallWindowFigures(ToolCallFigures):
    window_days = serializers.IntegerField()


class ExactoOut(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.values)
    member = serializers.BooleanField()
    forced = serializers.CharField(allow_null=True)
    rules = serializers.DictField(child=serializers.BooleanField())
    failed = serializers.ListField(child=serializers.CharField())


class PerformanceOut(serializers.Serializer):
    """API.md 1.1 `performance` (METHODOLOGY §10); nulls where nothing was reported."""

    window_days = serializers.IntegerField()
    requests = serializers.IntegerField(help_text="Requests reporting a status (ok, error, "
                                        "timeout; events without `status` are ok).")
    ok = serializers.IntegerField()
    errors = serializers.IntegerField()
    timeouts = serializers.IntegerField()
    uptime = serializers.FloatField(allow_null=True, help_text="ok / requests.")
    uptime_ci95 = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                        help_text="95% Wilson interval of the uptime.")
    latency_ms_p50 = serializers.FloatField(allow_null=True, help_text="Over ok requests; "
                                            "from daily histograms, within 2% (§10).")
    latency_ms_p90 = serializers.FloatField(allow_null=True)
    ttft_ms_p50 = serializers.FloatField(allow_null=True)
    ttft_ms_p90 = serializers.FloatField(allow_null=True)
    throughput_tps_p50 = serializers.FloatField(allow_null=True, help_text="Completion tokens "
                                                "per second (§10).")
    throughput_tps_p90 = serializers.FloatField(allow_null=True)


class WindowOut(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class IgnoresOut(serializers.Serializer):
    ignore_rate = serializers.FloatField(allow_null=True)
    ignoring_users = serializers.IntegerField()
    active_users = serializers.IntegerField()


class AppMatchedOut(serializers.Serializer):
    accuracy_delta = serializers.FloatField(allow_null=True, help_text="Accuracy minus the "
                                            "other endpoints' on the same apps (§4).")
    apps = serializers.IntegerField()
    weight = serializers.FloatField()


class BucketsOut(serializers.Serializer):
    simple = ToolCallFigures()
    medium = ToolCallFigures()
    complex = ToolCallFigures()


class ApprovalOut(serializers.Serializer):
    model = serializers.CharField(help_text="pending or approved")
    provider = serializers.CharField(help_text="pending or approved")


class EndpointOut(serializers.Serializer):
    model = serializers.CharField()
    provider = serializers.CharField()
    quantization = serializers.CharField()
    reference = serializers.BooleanField()
    in_rotation = serializers.BooleanField()
    rotation_status = serializers.ChoiceField(choices=RotationStatus.values)
    tool_calls = ToolCallWindowFigures()
    ignore_rate = serializers.FloatField(allow_null=True)
    exacto = ExactoOut(allow_null=True)
    performance = PerformanceOut()
    window = WindowOut()
    published_until = serializers.DateField(allow_null=True)
    private = serializers.BooleanField(help_text="True when figures past the publication date "
                                       "are included (admin or the provider's own users).")
    ignores = IgnoresOut()
    buckets = BucketsOut()
    bucket_mix_tvd = serializers.FloatField(allow_null=True)
    bucket_mix_flag = serializers.BooleanField()
    app_matched = AppMatchedOut()
    status = ApprovalOut(help_text="Approval of the model and the provider (METHODOLOGY §9).")


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    field = serializers.CharField(required=False)


class RouteProviderOut(serializers.Serializer):
    provider = serializers.CharField()
    quantization = serializers.CharField()
    tier = serializers.CharField(allow_null=True)
    forced = serializers.BooleanField()


class RouteExcludedOut(serializers.Serializer):
    provider = serializers.CharField()
    quantization = serializers.CharField()
    tier = serializers.CharField()
    failed = serializers.ListField(child=serializers.CharField())
    forced = serializers.BooleanField()


class RouteOut(serializers.Serializer):
    model = serializers.CharField()
    variant = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    fallback = serializers.BooleanField()
    providers = RouteProviderOut(many=True)
    excluded = RouteExcludedOut(many=True)


class BurnInPointOut(serializers.Serializer):
    days_since_release = serializers.IntegerField(allow_null=True)
    run_at = serializers.DateTimeField()
    score = serializers.FloatField()
    stderr = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    published = serializers.BooleanField()


class BenchmarkRunOut(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    model = serializers.CharField(source="endpoint.model.slug")
    provider = serializers.CharField(source="endpoint.provider.slug")
    quantization = serializers.CharField(source="endpoint.quantization")
    benchmark = serializers.CharField(source="benchmark.slug")
    score = serializers.FloatField()
    stderr = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    run_at = serializers.DateTimeField()
    published = serializers.SerializerMethodField()
    detail = serializers.DictField()
    stderr_used = serializers.SerializerMethodField(
        help_text="The standard error the range rule uses (METHODOLOGY §6): `basis` is "
                  "reported, samples, items (the benchmark's item count) or none (taken as 0).")

    def get_published(self, run) -> bool:
        return run.published_at is not None

    def get_stderr_used(self, run) -> dict:
        used = stderr_used(run)
        return {"value": used.value, "basis": used.basis, "n": used.n, "note": used.note}
