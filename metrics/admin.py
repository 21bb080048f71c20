"""Admin for measurements and decisions: runs, rollups, ignores, pools, probes, rotation.

The catalogue's Provider, LLMModel and Endpoint are registered here, once, because their
actions (approve, recompute, publish, rotation, reference, probe) are metrics services;
providers/admin.py registers the rest of the catalogue and access. The admin's own pages
(overview, import) are added by the site (exacto_site/admin.py).
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.shortcuts import render

from providers.choices import RotationStatus
from providers.models import Endpoint, LLMModel, Provider, ProviderAlias
from providers.services.endpoints import set_default_endpoint

from .choices import ProbeTrigger, RecomputeTrigger
from .models import (
    Benchmark,
    BenchmarkRun,
    FailureSample,
    IgnoreEvent,
    IngestBatch,
    PoolChange,
    PoolOverride,
    PoolSnapshot,
    PoolVerdict,
    ProbeRun,
    ProbeSettings,
    PublishedPool,
    RotationEvent,
    ToolCallRollup,
)
from .presentation import pct as _pct
from .selectors.benchmarks import endpoint_label, stderr_used
from .services.approval import approve_model, approve_provider
from .services.pools import recompute_model
from .services.publication import publish, share_results
from .services.rotation import set_reference, set_rotation
from .tasks import probe_endpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    """Measurements are written by ingestion, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditAdmin(ReadOnlyAdmin):
    """An audit trail (pool snapshots, rotation events, publication records): readable by
    admins, never added, changed or deleted by anyone, superusers included."""

    # Without the delete permission Django offers no "delete selected" action either.
    def has_delete_permission(self, request, obj=None):
        return False


def _pool_names(snapshot) -> str:
    names = {str(v.endpoint_id): endpoint_label(v.endpoint) for v in snapshot.verdicts.all()}
    return ", ".join(names.get(key, f"endpoint {key}") for key in snapshot.figures.get("pool", [])
                     ) or "empty"


def snapshot_figures_text(figures: dict) -> str:
    """The shared figures of a snapshot in words, instead of raw JSON."""
    band = figures.get("propensity_range") or None
    parts = [f"best accuracy lower bound {_pct(figures.get('best_lower_bound'), 2)}"]
    if band:
        parts.append(f"propensity band {_pct(band['low'])}–{_pct(band['high'])} "
                     f"({band.get('centre_kind', 'median')}-centred at {_pct(band['centre'])})")
    else:
        parts.append("no propensity band (too little data)")
    parts.append(f"ignore threshold {_pct(figures.get('ignore_threshold'))}")
    return "; ".join(parts)


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "unit", "higher_is_better", "tolerance", "item_count")
    search_fields = ("slug", "name")


@admin.register(BenchmarkRun)
class BenchmarkRunAdmin(admin.ModelAdmin):
    list_display = ("run_at", "benchmark", "endpoint", "score", "stderr", "samples", "source",
                    "published_at")
    list_filter = ("benchmark", "source", "endpoint__model", "endpoint__provider",
                   ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("external_id", "endpoint__provider__slug", "endpoint__model__slug", "source")
    list_select_related = ("benchmark", "endpoint__model", "endpoint__provider")
    date_hierarchy = "run_at"
    readonly_fields = ("external_id", "created_at", "stderr_used")

    @admin.display(description="Standard error used (§6)")
    def stderr_used(self, obj):
        used = stderr_used(obj)
        return f"{used.value:.3g} ({used.note})"


@admin.register(ToolCallRollup)
class ToolCallRollupAdmin(ReadOnlyAdmin):
    list_display = ("day", "endpoint", "app", "bucket", "requests_with_tools", "calls", "valid",
                    "unchecked", "invalid_json", "unknown_tool", "schema_mismatch")
    list_filter = ("bucket", "endpoint__model", "endpoint__provider")
    search_fields = ("app", "endpoint__provider__slug", "endpoint__model__slug")
    list_select_related = ("endpoint__model", "endpoint__provider")
    date_hierarchy = "day"


@admin.register(FailureSample)
class FailureSampleAdmin(ReadOnlyAdmin):
    list_display = ("day", "endpoint", "outcome", "tool_name", "app", "short_message")
    list_filter = ("outcome", "endpoint__model", "endpoint__provider")
    search_fields = ("tool_name", "message", "event_id")
    list_select_related = ("endpoint__model", "endpoint__provider")
    date_hierarchy = "day"

    @admin.display(description="Message")
    def short_message(self, obj):
        return obj.message[:80]


@admin.register(IgnoreEvent)
class IgnoreEventAdmin(ReadOnlyAdmin):
    list_display = ("created", "provider", "model", "action", "user_hash")
    list_filter = ("action", "provider", "model")
    search_fields = ("external_id", "provider__slug")
    list_select_related = ("provider", "model")
    date_hierarchy = "created"


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "source", "accepted", "duplicates", "rejected")
    list_filter = ("kind", "source")
    date_hierarchy = "at"


class AuditInline(admin.TabularInline):
    """A snapshot's verdicts or changes: part of the audit trail, never edited or deleted."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("endpoint__provider")

    @admin.display(description="Endpoint")
    def endpoint_label(self, obj):
        return endpoint_label(obj.endpoint)


class PoolVerdictInline(AuditInline):
    model = PoolVerdict
    fields = ("endpoint_label", "tier", "member", "position", "forced", "failed_rules",
              "accuracy_lower_pct")
    readonly_fields = fields

    @admin.display(description="Failed rules")
    def failed_rules(self, obj):
        return ", ".join(obj.failed) or "none"

    @admin.display(description="Accuracy lower bound")
    def accuracy_lower_pct(self, obj):
        return _pct(obj.accuracy_lower, 2)


class PoolChangeInline(AuditInline):
    model = PoolChange
    fields = ("endpoint_label", "change", "rule_names", "reason")
    readonly_fields = fields

    @admin.display(description="Rules")
    def rule_names(self, obj):
        return ", ".join(obj.rules) or "—"


@admin.register(PoolSnapshot)
class PoolSnapshotAdmin(AuditAdmin):
    list_display = ("model", "sequence", "computed_at", "trigger", "fallback", "pool",
                    "best_bound")
    list_filter = ("model", "trigger", "fallback")
    list_select_related = ("model",)
    date_hierarchy = "computed_at"
    fields = ("model", "sequence", "computed_at", "trigger", "fallback", "pool", "shared_figures")
    readonly_fields = fields
    inlines = [PoolChangeInline, PoolVerdictInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("verdicts__endpoint__provider")

    @admin.display(description="Pool, in routing order")
    def pool(self, obj):
        return _pool_names(obj)

    @admin.display(description="Best lower bound")
    def best_bound(self, obj):
        return _pct(obj.figures.get("best_lower_bound"), 2)

    @admin.display(description="Figures")
    def shared_figures(self, obj):
        return snapshot_figures_text(obj.figures)


@admin.register(PublishedPool)
class PublishedPoolAdmin(AuditAdmin):
    """The pools judged on published figures at each publication (open data); an audit
    record, so nobody deletes one either."""

    list_display = ("model", "sequence", "computed_at")
    list_filter = ("model",)
    date_hierarchy = "computed_at"


class PoolOverrideForm(forms.ModelForm):
    class Meta:
        model = PoolOverride
        fields = ("endpoint", "action", "reason")

    def clean_reason(self):
        reason = (self.cleaned_data.get("reason") or "").strip()
        if len(reason) < 3:
            raise forms.ValidationError("Give the reason for this override (kept with it).")
        return reason


@admin.register(PoolOverride)
class PoolOverrideAdmin(admin.ModelAdmin):
    form = PoolOverrideForm
    list_display = ("endpoint", "action", "reason", "created_by", "created_at")
    list_filter = ("action",)
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug", "reason")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)


# --- The catalogue: providers, models and endpoints, with their metrics actions.

# Probe base URLs are typed with their scheme; a bare host means https (Django 6's default).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ProbeSettingsInline(admin.StackedInline):
    model = ProbeSettings
    formfield_overrides = URL_FIELDS
    extra = 0
    max_num = 1
    fields = ("base_url", "upstream_model", "api_key_env", "suite", "every_hours", "enabled",
              "last_started_at")
    readonly_fields = ("last_started_at",)


def queue_probes(admin_obj, request, settings_list) -> None:
    """"Probe now": one task per endpoint (in-process without a broker)."""
    for item in settings_list:
        probe_endpoint.delay(item.pk, ProbeTrigger.ADMIN)
    admin_obj.message_user(
        request, f"Probe queued for {len(settings_list)} endpoint(s); results appear under "
        "Probe runs and as probe-* benchmark runs.", messages.SUCCESS)


def _approve(modeladmin, request, queryset, approve):
    by = f"user:{request.user.get_username()}"
    done = [obj for obj in queryset if approve(obj, by=by)]
    modeladmin.message_user(
        request, f"Approved {len(done)} pending: {', '.join(o.slug for o in done) or 'none'}; "
        "pools and benchmark ranges are updated.", messages.SUCCESS)


class AliasInline(admin.TabularInline):
    model = ProviderAlias
    extra = 1


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "routing_name", "website", "endpoint_count", "status")
    list_filter = ("status",)
    search_fields = ("slug", "name", "aliases__alias")
    inlines = [AliasInline]
    # Approval goes through the action: it also updates pools and ranges (METHODOLOGY §9).
    readonly_fields = ("status",)
    actions = ["approve_action"]

    @admin.display(description="Endpoints")
    def endpoint_count(self, obj):
        return obj.endpoints.count()

    @admin.action(description="Approve (pending providers become public, judged and routed)")
    def approve_action(self, request, queryset):
        _approve(self, request, queryset, approve_provider)


class EndpointInline(admin.TabularInline):
    model = Endpoint
    extra = 0
    fields = ("provider", "quantization", "is_reference", "rotation_status", "published_until")
    # Rotation, reference and publication change through the endpoint's actions only.
    readonly_fields = ("is_reference", "rotation_status", "published_until")
    show_change_link = True


@admin.register(LLMModel)
class LLMModelAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "author", "released", "status")
    search_fields = ("slug", "name", "author")
    list_filter = ("status", "author")
    inlines = [EndpointInline]
    # Approval goes through the action: it also updates pools and ranges (METHODOLOGY §9).
    readonly_fields = ("status",)
    actions = ["approve_action", "recompute_pool_action", "publish_model_action"]

    @admin.action(description="Approve (pending models become public, judged and routed)")
    def approve_action(self, request, queryset):
        _approve(self, request, queryset, approve_model)

    @admin.action(description="Recompute pool now")
    def recompute_pool_action(self, request, queryset):
        for model in queryset:
            snapshot = recompute_model(model, trigger=RecomputeTrigger.ADMIN)
            self.message_user(
                request, f"{model.slug}: snapshot #{snapshot.sequence}"
                f"{' (fallback)' if snapshot.fallback else ''}, pool: {_pool_names(snapshot)}.",
                messages.SUCCESS)

    @admin.action(description="Publish all endpoints of the model")
    def publish_model_action(self, request, queryset):
        count = publish(list(Endpoint.objects.filter(model__in=queryset)))
        self.message_user(request, f"Published results of {count} endpoint(s).",
                          messages.SUCCESS)


class RotationEventInline(admin.TabularInline):
    model = RotationEvent
    extra = 0
    can_delete = False
    fields = ("at", "old_status", "new_status", "actor", "user", "source", "reason")
    readonly_fields = fields
    ordering = ("-at",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RotationReasonForm(forms.Form):
    # Admins remove or restore; holds are the benchmark rule's to make.
    status = forms.ChoiceField(
        choices=[
            (RotationStatus.ADMIN_REMOVED, "Remove from rotation"),
            (RotationStatus.ACTIVE, "Put back in rotation"),
        ]
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), min_length=3)


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("__str__", "quantization", "is_reference", "is_default", "rotation_status",
                    "rotation_changed_at", "published_until")
    list_filter = ("rotation_status", "is_reference", "model", "provider", "quantization")
    search_fields = ("model__slug", "provider__slug", "quantization")
    list_select_related = ("model", "provider")
    # Rotation, the reference and publication only change through the actions below (the
    # range rule is re-applied, the audit and the published pools recorded), never by
    # editing the fields.
    readonly_fields = ("is_reference", "rotation_status", "rotation_reason",
                       "rotation_changed_at", "published_until", "embargo_until")
    inlines = [RotationEventInline, ProbeSettingsInline]
    actions = ["change_rotation", "make_reference", "make_default", "share_results_action",
               "publish_now_action", "probe_now_action"]
    exclude = ("is_default",)  # set through the action, which keeps one default per pair

    @admin.action(description="Change rotation (reason required, audited)")
    def change_rotation(self, request, queryset):
        if "apply" in request.POST:
            form = RotationReasonForm(request.POST)
            if form.is_valid():
                for endpoint in queryset:
                    set_rotation(endpoint, form.cleaned_data["status"],
                                 form.cleaned_data["reason"], user=request.user)
                self.message_user(
                    request, f"Rotation changed for {queryset.count()} endpoint(s).",
                    messages.SUCCESS,
                )
                return None
        else:
            form = RotationReasonForm()
        return render(
            request,
            "admin/rotation_reason.html",
            {**self.admin_site.each_context(request), "form": form, "endpoints": queryset,
             "action": "change_rotation", "title": "Change rotation"},
        )

    @admin.action(description="Make the model's reference (re-applies the benchmark range rule)")
    def make_reference(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one endpoint: a model has one reference.",
                              messages.ERROR)
            return
        endpoint = queryset.get()
        set_reference(endpoint, sender=f"user:{request.user.get_username()}")
        self.message_user(request, f"{endpoint} is the reference of {endpoint.model.slug}.",
                          messages.SUCCESS)

    @admin.action(description="Make default for events without quantization (per model × provider)")
    def make_default(self, request, queryset):
        for endpoint in queryset:
            set_default_endpoint(endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) made default.", messages.SUCCESS)

    @admin.action(description="Share results with provider (start embargo)")
    def share_results_action(self, request, queryset):
        count = share_results(list(queryset))
        self.message_user(
            request, f"Shared results of {count} endpoint(s); they will be published when the "
            "embargo ends.", messages.SUCCESS)

    @admin.action(description="Publish results now")
    def publish_now_action(self, request, queryset):
        count = publish(list(queryset))
        self.message_user(request, f"Published results of {count} endpoint(s).",
                          messages.SUCCESS)

    @admin.action(description="Probe now (with the endpoint's probe settings)")
    def probe_now_action(self, request, queryset):
        found = list(ProbeSettings.objects.filter(endpoint__in=queryset))
        missing = queryset.count() - len(found)
        if missing:
            self.message_user(request, f"{missing} endpoint(s) have no probe settings: add a "
                              "base URL under Probe settings first.", messages.WARNING)
        if found:
            queue_probes(self, request, found)


@admin.register(RotationEvent)
class RotationEventAdmin(AuditAdmin):
    list_display = ("at", "endpoint", "old_status", "new_status", "actor", "user", "source",
                    "reason")
    list_filter = ("actor", "new_status", "endpoint__model", "endpoint__provider")
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug", "reason")
    list_select_related = ("endpoint__model", "endpoint__provider", "user")
    date_hierarchy = "at"
    fields = ("at", "endpoint", "old_status", "new_status", "actor", "user", "source", "reason",
              "figures_text")
    readonly_fields = fields

    @admin.display(description="Figures")
    def figures_text(self, obj):
        return format_figures(obj.figures) or "—"


def format_figures(value, depth: int = 0) -> str:
    """Recorded figures in words ("score: 72.4; threshold: 97.0"), floats rounded, not JSON."""
    if isinstance(value, dict):
        inner = "; ".join(f"{key}: {format_figures(item, depth + 1)}" for key, item in value.items())
        return f"({inner})" if depth and inner else inner
    if isinstance(value, list):
        return ", ".join(format_figures(item, depth + 1) for item in value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


@admin.register(ProbeSettings)
class ProbeSettingsAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("endpoint", "base_url", "api_key_env", "suite", "every_hours", "enabled",
                    "last_started_at")
    list_filter = ("enabled", "suite", "endpoint__model", "endpoint__provider")
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug", "base_url")
    list_select_related = ("endpoint__model", "endpoint__provider")
    autocomplete_fields = ("endpoint",)
    readonly_fields = ("last_started_at",)
    actions = ["probe_now_action"]

    @admin.action(description="Probe now")
    def probe_now_action(self, request, queryset):
        queue_probes(self, request, list(queryset))


@admin.register(ProbeRun)
class ProbeRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "endpoint", "suite", "suite_version", "trigger", "cases", "ok",
                    "errors", "timeouts", "calls", "schema_accuracy", "tool_call_f1")
    list_filter = ("suite", "trigger", "endpoint__model", "endpoint__provider")
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug")
    list_select_related = ("endpoint__model", "endpoint__provider")
    date_hierarchy = "started_at"
