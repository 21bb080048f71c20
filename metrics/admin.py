"""Admin for measurements: runs per model, rollups, ignores, pool history and overrides."""

from django.contrib import admin

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
    ToolCallRollup,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Measurements are written by ingestion, never edited by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "unit", "higher_is_better", "tolerance")
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
    readonly_fields = ("external_id", "created_at")


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


class PoolVerdictInline(admin.TabularInline):
    model = PoolVerdict
    extra = 0
    can_delete = False
    fields = ("endpoint", "tier", "member", "position", "forced", "failed", "accuracy_lower")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PoolChangeInline(admin.TabularInline):
    model = PoolChange
    extra = 0
    can_delete = False
    fields = ("endpoint", "change", "rules", "reason")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PoolSnapshot)
class PoolSnapshotAdmin(ReadOnlyAdmin):
    list_display = ("model", "sequence", "computed_at", "trigger", "fallback")
    list_filter = ("model", "trigger", "fallback")
    date_hierarchy = "computed_at"
    inlines = [PoolChangeInline, PoolVerdictInline]


@admin.register(PoolOverride)
class PoolOverrideAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "action", "reason", "created_by", "created_at")
    list_filter = ("action",)
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug", "reason")
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
