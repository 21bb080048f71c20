"""Admin for measurements: runs per model, rollups, ignores, pool history and overrides."""

import tempfile
from datetime import UTC
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.db import models
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from providers.admin import EndpointAdmin as BaseEndpointAdmin
from providers.admin import LLMModelAdmin as BaseLLMModelAdmin
from providers.admin import ProviderAdmin as BaseProviderAdmin
from providers.models import Endpoint, LLMModel, Provider

from .choices import ProbeTrigger, RecomputeTrigger
from .management.commands.import_benchmarks import FORMATS, parse_file
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
    ToolCallRollup,
)
from .presentation import pct as _pct
from .selectors.benchmarks import endpoint_label, stderr_used
from .selectors.overview import admin_overview
from .services.imports import import_parse_result
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


# --- Endpoint and model actions that need metrics code (providers must not import metrics).

from metrics.services.approval import approve_model, approve_provider  # noqa: E402
from metrics.services.endpoint_admin import set_rotation  # noqa: E402
from metrics.services.pools import recompute_model  # noqa: E402
from metrics.services.publication import publish, share_results  # noqa: E402

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


class EndpointAdmin(BaseEndpointAdmin):
    actions = ["change_rotation", "share_results_action", "publish_now_action",
               "probe_now_action"]
    inlines = [*BaseEndpointAdmin.inlines, ProbeSettingsInline]

    @admin.action(description="Probe now (with the endpoint's probe settings)")
    def probe_now_action(self, request, queryset):
        found = list(ProbeSettings.objects.filter(endpoint__in=queryset))
        missing = queryset.count() - len(found)
        if missing:
            self.message_user(request, f"{missing} endpoint(s) have no probe settings: add a "
                              "base URL under Probe settings first.", messages.WARNING)
        if found:
            queue_probes(self, request, found)

    def apply_rotation(self, endpoint, status, reason, user):
        set_rotation(endpoint, status, reason, user=user)

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


def _approve(modeladmin, request, queryset, approve):
    by = f"user:{request.user.get_username()}"
    done = [obj for obj in queryset if approve(obj, by=by)]
    modeladmin.message_user(
        request, f"Approved {len(done)} pending: {', '.join(o.slug for o in done) or 'none'}; "
        "pools and benchmark ranges are updated.", messages.SUCCESS)


class LLMModelAdmin(BaseLLMModelAdmin):
    actions = ["approve_action", "recompute_pool_action", "publish_model_action"]
    list_display = (*BaseLLMModelAdmin.list_display, "status")
    list_filter = ("status", *BaseLLMModelAdmin.list_filter)
    # Approval goes through the action: it also updates pools and ranges (METHODOLOGY §9).
    readonly_fields = ("status",)

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


class ProviderAdmin(BaseProviderAdmin):
    actions = ["approve_action"]
    list_display = (*BaseProviderAdmin.list_display, "status")
    list_filter = ("status",)
    readonly_fields = ("status",)

    @admin.action(description="Approve (pending providers become public, judged and routed)")
    def approve_action(self, request, queryset):
        _approve(self, request, queryset, approve_provider)


for _model, _admin in ((Endpoint, EndpointAdmin), (LLMModel, LLMModelAdmin),
                       (Provider, ProviderAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin)


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


# --- Admin pages: import a results file, and the overview (linked from the admin index).

class ImportResultsForm(forms.Form):
    format = forms.ChoiceField(choices=[(k, f"{k}: {v}") for k, v in sorted(FORMATS.items())])
    file = forms.FileField(help_text="The published results file.")
    vendor = forms.CharField(required=False, help_text="k2vv-summary only: vendor name.")
    model = forms.CharField(required=False, help_text="k2vv-summary only: model slug.")
    run_at = forms.DateTimeField(required=False, help_text="k2vv-summary only: when it ran.")
    source = forms.CharField(required=False, help_text="Label for the import log.")
    unpublished = forms.BooleanField(required=False,
                                     help_text="Keep the runs private (default: published).")

    def clean(self):
        data = super().clean()
        if data.get("format") == "k2vv-summary" and not (
                data.get("vendor") and data.get("model") and data.get("run_at")):
            raise forms.ValidationError("k2vv-summary needs vendor, model and run at.")
        return data


def _parse_upload(data):
    upload = data["file"]
    suffix = Path(upload.name).suffix[:10]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"upload{suffix}"
        with open(target, "wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        run_at = data.get("run_at")
        if run_at is not None and timezone.is_naive(run_at):
            run_at = run_at.replace(tzinfo=UTC)
        return parse_file(data["format"], target, vendor=data.get("vendor") or None,
                          model=data.get("model") or None, run_at=run_at)


def import_results_view(request):
    if not request.user.has_perm("metrics.add_benchmarkrun"):
        raise PermissionDenied("Importing results needs the 'add benchmark run' permission.")
    report = None
    if request.method == "POST":
        form = ImportResultsForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                parsed = _parse_upload(data)
            except (CommandError, ValueError, UnicodeDecodeError, KeyError) as exc:
                form.add_error("file", f"Could not read this file as {data['format']}: {exc}")
            else:
                report = import_parse_result(
                    parsed, source=data["source"] or f"admin-import:{data['format']}",
                    publish=not data["unpublished"])
                messages.success(request, report.summary())
    else:
        form = ImportResultsForm()
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "admin/import_results.html", {
        **admin.site.each_context(request), "title": "Import a results file", "form": form,
        "report": report, "unmapped": sorted(report.unmapped.items()) if report else [],
    }, status=status)


def overview_view(request):
    return render(request, "admin/overview.html", {
        **admin.site.each_context(request), "title": "Overview", **admin_overview(),
    })


def _with_exacto_urls(get_urls):
    def urls():
        return [
            path("overview/", admin.site.admin_view(overview_view), name="overview"),
            path("import-results/", admin.site.admin_view(import_results_view),
                 name="import-results"),
            *get_urls(),
        ]
    return urls


if not getattr(admin.site, "_exacto_urls", False):
    admin.site.get_urls = _with_exacto_urls(admin.site.get_urls)
    admin.site._exacto_urls = True
