"""The API's request and response shapes (API.md), and the only path through which they go.

Views validate a request body with an `*In` serializer and answer with an `*Out` serializer
(`Out(rows, many=True).data`), so the OpenAPI schema drf-spectacular reads from these classes
is what the API answers: a field a row lacks fails loudly, a key a row adds is not served.
Output serializers read by field name, so selector rows may be dicts or objects.

Batch items (tool calls, ignores, benchmark runs) are not parsed here: metrics/events.py parses
them, fast and with a reason for each refused item, and their schema comes from there
(metrics/api/schema.py; docs/decisions.md "API contract").
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import get_attribute

from metrics.choices import Bucket, OverrideAction, Tier
from metrics.selectors.benchmarks import stderr_used
from metrics.selectors.routing import EXACTO
from providers import slugs
from providers.choices import ApprovalStatus, Quantization, RotationStatus

QUANTIZATIONS = " ".join(Quantization.values)


# --- Strict JSON types. DRF's fields also take 5 for "5", "1" for 1 and 0 for false; the schema
# promises JSON types, and these hold the request to them.

class StrictCharField(serializers.CharField):
    """A JSON string, kept as sent: DRF would strip it, so "\n" would pass `minLength: 1` in the
    schema and then be refused as blank."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A JSON number without a fraction (JSON Schema's `integer`: 3.0 is one), never a string."""

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


def _documented(field: type) -> type:
    """The slug field's JSON Schema, from the fragment and length it checks with."""
    return extend_schema_field({"type": "string", "pattern": slugs.schema_pattern(field.fragment),
                                "maxLength": field.max_length_of})(field)


class _SlugField(StrictCharField):
    """A slug of providers/slugs.py: checked with `fullmatch`, shown as a JSON Schema pattern."""

    fragment = ""
    message = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", self.max_length_of)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not slugs.matcher(self.fragment)(value):
            raise serializers.ValidationError(self.message)
        return value


@_documented
class ModelSlugField(_SlugField):
    fragment, max_length_of = slugs.MODEL, slugs.MODEL_MAX_LENGTH
    message = "Model slugs look like author/name."


@_documented
class ModelBaseSlugField(ModelSlugField):
    """A model without a routing variant: what registration takes (API.md 1.1)."""

    fragment = slugs.MODEL_BASE

    def to_internal_value(self, data):
        value = StrictCharField.to_internal_value(self, data)
        if ":" in value and slugs.matcher(slugs.MODEL)(value):
            raise serializers.ValidationError(
                f"{value!r} names a routing variant (the part after ':'); register the model "
                f"itself, {value.split(':', 1)[0]!r}.")
        if not slugs.matcher(self.fragment)(value):
            raise serializers.ValidationError(self.message)
        return value


@_documented
class BenchmarkSlugField(_SlugField):
    fragment, max_length_of = slugs.BENCHMARK, slugs.BENCHMARK_MAX_LENGTH
    message = "Benchmark slugs are lowercase letters, digits, '_' and '-'."


@_documented
class ProviderSlugField(_SlugField):
    fragment, max_length_of = slugs.PROVIDER, slugs.PROVIDER_MAX_LENGTH
    message = "Provider slugs are lowercase letters, digits and hyphens."


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_QUANTIZATION = "|".join(_any_case(q) for q in Quantization.values)


@extend_schema_field({"type": "string", "maxLength": 32,
                      "pattern": rf"^\s*(?:{_QUANTIZATION})?\s*$"})
class QuantizationField(StrictCharField):
    """One of Quantization, case-insensitive, stored lower-case; blank for none (API.md 1.1)."""

    def __init__(self, **kwargs):
        super().__init__(max_length=32, allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if len(value) > self.max_length:  # on what was sent: the validators see it stripped
            self.fail("max_length", max_length=self.max_length)
        value = value.strip().lower()
        if value and value not in Quantization.values:
            raise serializers.ValidationError(f"quantization must be one of: {QUANTIZATIONS}.")
        return value


class EndpointRegisterIn(serializers.Serializer):
    model = ModelBaseSlugField()
    provider = ProviderSlugField()
    quantization = QuantizationField(
        required=False, default="",
        help_text=f"One of: {QUANTIZATIONS} (case-insensitive, stored lower-case).")
    reference = StrictBooleanField(required=False, default=False,
                                   help_text="Admin keys only (403 for an ingest key).")


# --- Query parameters. A model name that is not a slug names no model: 404, as an unknown
# one (API.md "Routing"), so these fields check presence only; the schema shows the pattern.

def _required(name: str) -> dict:
    return {"required": f"The {name} parameter is required.",
            "blank": f"The {name} parameter is required."}


@extend_schema_field({"type": "string", "pattern": slugs.schema_pattern(slugs.MODEL),
                      "maxLength": slugs.MODEL_MAX_LENGTH})
class ModelParam(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, error_messages=_required("model"), **kwargs)


@extend_schema_field({"type": "string",
                      "pattern": slugs.schema_pattern(rf"{slugs.MODEL_BASE}(?::(?:{EXACTO})?)?"),
                      "maxLength": slugs.MODEL_MAX_LENGTH + len(f":{EXACTO}")})
class RouteModelParam(ModelParam):
    """`author/name:exacto` for the pool, the plain slug for every in-rotation endpoint."""


class ModelQueryIn(serializers.Serializer):
    model = ModelParam(help_text="Model slug author/name.")


class EndpointsQueryIn(ModelQueryIn):
    days = serializers.IntegerField(
        required=False, min_value=1, max_value=366,
        help_text="Window in days (default: the EXACTO_WINDOW_DAYS setting, 7).",
        error_messages={"invalid": "days must be an integer.",
                        "min_value": "days must be between 1 and 366.",
                        "max_value": "days must be between 1 and 366."})


class RunsQueryIn(ModelQueryIn):
    benchmark = BenchmarkSlugField(required=False, help_text="Only this benchmark's runs.")


class RouteQueryIn(serializers.Serializer):
    model = RouteModelParam(help_text="`author/name:exacto` for the exacto pool; the plain "
                            "slug for every in-rotation endpoint.")


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
    rejected = RejectedItem(many=True, help_text="Refused items, by index, with the reason.")
    warnings = WarningItem(many=True, required=False,
                           help_text="Items stored with a caveat (an alias applied).")


class PartialSuccessOut(serializers.Serializer):
    rejectedSpans = serializers.IntegerField()  # noqa: N815 - OTLP's own field names
    errorMessage = serializers.CharField()  # noqa: N815


class OTLPResultOut(BatchResultOut):
    skipped = serializers.IntegerField(help_text="Spans without GenAI tool attributes.")
    partialSuccess = PartialSuccessOut(  # noqa: N815 - OTLP's own field name
        required=False, help_text="OTLP's partial success, when some spans were refused.")


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
    tier = serializers.ChoiceField(choices=Tier.choices)
    member = serializers.BooleanField()
    forced = serializers.ChoiceField(choices=OverrideAction.choices, allow_null=True,
                                     help_text="An admin's override, if any.")
    rules = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="Each rule of METHODOLOGY §7 and whether it passed.")
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
    """One `tool_calls` object per bucket of METHODOLOGY §3 (its names are Bucket's values)."""

    simple = ToolCallFigures()
    medium = ToolCallFigures()
    complex = ToolCallFigures()


assert set(BucketsOut().fields) == set(Bucket.values), "BucketsOut lists every Bucket"


class ApprovalOut(serializers.Serializer):
    model = serializers.ChoiceField(choices=ApprovalStatus.choices)
    provider = serializers.ChoiceField(choices=ApprovalStatus.choices)


class EndpointRegisteredOut(serializers.Serializer):
    """An endpoint's row (API.md "Endpoints"), as registration answers it."""

    model = serializers.CharField()
    provider = serializers.CharField()
    quantization = serializers.CharField()
    reference = serializers.BooleanField()
    in_rotation = serializers.BooleanField()
    rotation_status = serializers.ChoiceField(choices=RotationStatus.choices)
    tool_calls = ToolCallWindowFigures()
    ignore_rate = serializers.FloatField(allow_null=True)
    exacto = ExactoOut(allow_null=True, help_text="The latest pool verdict; null before the "
                       "model's first recompute.")
    performance = PerformanceOut()
    window = WindowOut()
    published_until = serializers.DateField(allow_null=True)
    private = serializers.BooleanField(help_text="True when figures past the publication date "
                                       "are included (admin or the provider's own users).")
    ignores = IgnoresOut()
    buckets = BucketsOut()
    status = ApprovalOut(help_text="Approval of the model and the provider (METHODOLOGY §9).")


class EndpointOut(EndpointRegisteredOut):
    """A row of GET /endpoints/: adds the comparisons with the model's other endpoints."""

    bucket_mix_tvd = serializers.FloatField(allow_null=True)
    bucket_mix_flag = serializers.BooleanField()
    app_matched = AppMatchedOut()


class ModelListOut(serializers.Serializer):
    """A model of GET /models/ (API.md 1.1), read from a home card (selectors.endpoints)."""

    slug = serializers.CharField(source="model.slug")
    name = serializers.CharField(source="model.name")
    endpoints = serializers.IntegerField(help_text="Endpoints of the model you may see.")
    pool_size = serializers.SerializerMethodField(help_text="Members of the exacto pool.")
    computed_at = serializers.DateTimeField(
        source="snapshot.checked_at", allow_null=True,
        help_text="The last recompute of the model's pool; null before the first.")

    def get_pool_size(self, card) -> int:
        return len(get_attribute(card, ["pool"]))


class ErrorOut(serializers.Serializer):
    error = serializers.CharField()
    field = serializers.CharField(required=False)
    errors = serializers.DictField(required=False, help_text="Every invalid field, when "
                                   "there are several.")


class RouteProviderOut(serializers.Serializer):
    provider = serializers.CharField()
    routing_name = serializers.CharField(
        help_text="The provider's name for routers (admin-editable, default the slug): what "
        "`provider_preferences` lists.")
    quantization = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices, allow_null=True,
                                   help_text="Null outside a computed pool.")
    forced = serializers.BooleanField()


class RouteExcludedOut(serializers.Serializer):
    provider = serializers.CharField()
    quantization = serializers.CharField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    failed = serializers.ListField(child=serializers.CharField())
    forced = serializers.BooleanField()


class ProviderPreferencesOut(serializers.Serializer):
    order = serializers.ListField(child=serializers.CharField())
    only = serializers.ListField(child=serializers.CharField())
    allow_fallbacks = serializers.BooleanField()


class RouteOut(serializers.Serializer):
    model = serializers.CharField()
    variant = serializers.CharField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    fallback = serializers.BooleanField()
    providers = RouteProviderOut(many=True)
    excluded = RouteExcludedOut(many=True)
    provider_preferences = serializers.SerializerMethodField(
        help_text="The route as an OpenRouter-style `provider` object (API.md 1.1); a "
        "provider appears by its routing name (admin-editable, default the slug).")

    @extend_schema_field(ProviderPreferencesOut)
    def get_provider_preferences(self, route) -> dict:
        names = list(dict.fromkeys(get_attribute(entry, ["routing_name"])
                                   for entry in get_attribute(route, ["providers"])))
        return ProviderPreferencesOut(
            {"order": names, "only": names, "allow_fallbacks": False}).data


class BurnInPointOut(serializers.Serializer):
    days_since_release = serializers.IntegerField(allow_null=True)
    run_at = serializers.DateTimeField()
    score = serializers.FloatField()
    stderr = serializers.FloatField(allow_null=True)
    samples = serializers.IntegerField(allow_null=True)
    source = serializers.CharField()
    published = serializers.BooleanField()


class BurnInOut(serializers.Serializer):
    model = serializers.CharField()
    released = serializers.DateField(allow_null=True)
    benchmarks = serializers.DictField(
        child=serializers.DictField(child=BurnInPointOut(many=True)),
        help_text="{benchmark slug: {endpoint label: [points]}} (METHODOLOGY §6 burn-in).")


class StderrUsedOut(serializers.Serializer):
    value = serializers.FloatField()
    basis = serializers.ChoiceField(choices=["reported", "samples", "items", "none"])
    n = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


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

    @extend_schema_field(StderrUsedOut)
    def get_stderr_used(self, run) -> dict:
        return StderrUsedOut(stderr_used(run)).data
