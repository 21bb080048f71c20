"""Admin for who serves what: rotation changes go through the audited service, with a reason."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.shortcuts import render

from .choices import RotationStatus
from .models import (
    ApiToken,
    Endpoint,
    Feedback,
    LLMModel,
    Provider,
    ProviderAlias,
    ProviderResponse,
    ProviderUser,
    RotationEvent,
)
from .services.endpoints import set_default_endpoint
from .services.feedback import update_status
from .services.responses import post_admin_reply
from .services.rotation import set_rotation_by_admin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RotationEventInline(ReadOnlyInline):
    model = RotationEvent
    fields = ("at", "old_status", "new_status", "actor", "user", "source", "reason")
    readonly_fields = fields
    ordering = ("-at",)


class EndpointInline(admin.TabularInline):
    model = Endpoint
    extra = 0
    fields = ("provider", "quantization", "is_reference", "rotation_status", "published_until")
    readonly_fields = ("rotation_status",)
    show_change_link = True


class AliasInline(admin.TabularInline):
    model = ProviderAlias
    extra = 1


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "website", "endpoint_count")
    search_fields = ("slug", "name", "aliases__alias")
    inlines = [AliasInline]

    @admin.display(description="Endpoints")
    def endpoint_count(self, obj):
        return obj.endpoints.count()


@admin.register(ProviderAlias)
class ProviderAliasAdmin(admin.ModelAdmin):
    list_display = ("alias", "provider")
    search_fields = ("alias", "provider__slug")
    list_select_related = ("provider",)


@admin.register(LLMModel)
class LLMModelAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "author", "released")
    search_fields = ("slug", "name", "author")
    list_filter = ("author",)
    inlines = [EndpointInline]


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
    list_display = (
        "__str__",
        "quantization",
        "is_reference",
        "is_default",
        "rotation_status",
        "rotation_changed_at",
        "published_until",
    )
    list_filter = ("rotation_status", "is_reference", "model", "provider", "quantization")
    search_fields = ("model__slug", "provider__slug", "quantization")
    list_select_related = ("model", "provider")
    # Rotation only changes through the audited action below, never by editing the field.
    readonly_fields = ("rotation_status", "rotation_reason", "rotation_changed_at")
    inlines = [RotationEventInline]
    actions = ["change_rotation", "make_default"]
    exclude = ("is_default",)  # set through the action, which keeps one default per pair

    @admin.action(description="Make default for events without quantization (per model × provider)")
    def make_default(self, request, queryset):
        for endpoint in queryset:
            set_default_endpoint(endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) made default.", messages.SUCCESS)

    def apply_rotation(self, endpoint, status, reason, user):
        """The audited change; the metrics app's admin also re-applies the range rule."""
        set_rotation_by_admin(endpoint, status, reason, user=user)

    @admin.action(description="Change rotation (reason required, audited)")
    def change_rotation(self, request, queryset):
        if "apply" in request.POST:
            form = RotationReasonForm(request.POST)
            if form.is_valid():
                for endpoint in queryset:
                    self.apply_rotation(endpoint, form.cleaned_data["status"],
                                        form.cleaned_data["reason"], request.user)
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


@admin.register(RotationEvent)
class RotationEventAdmin(admin.ModelAdmin):
    list_display = ("at", "endpoint", "old_status", "new_status", "actor", "user", "source", "reason")
    list_filter = ("actor", "new_status", "endpoint__model", "endpoint__provider")
    search_fields = ("endpoint__model__slug", "endpoint__provider__slug", "reason")
    list_select_related = ("endpoint__model", "endpoint__provider", "user")
    date_hierarchy = "at"

    fields = ("at", "endpoint", "old_status", "new_status", "actor", "user", "source", "reason",
              "figures_text")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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


@admin.register(ProviderUser)
class ProviderUserAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "notify")
    list_filter = ("provider",)
    search_fields = ("user__username", "user__email", "provider__slug")
    autocomplete_fields = ("provider",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "scope", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    fields = ("name", "scope", "prefix", "created_at", "last_used_at", "revoked_at")

    def has_add_permission(self, request):
        # Keys are shown once; they are made with `manage.py create_api_token`.
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "provider", "model", "category", "short_description", "status",
                    "assignee")
    list_editable = ("status", "assignee")
    list_filter = ("status", "category", "provider", "model")
    search_fields = ("description", "request_id", "email", "provider__slug", "model__slug")
    list_select_related = ("provider", "model", "assignee")
    readonly_fields = ("created_at", "updated_at", "resolved_at", "client_hash")
    date_hierarchy = "created_at"

    @admin.display(description="Description")
    def short_description(self, obj):
        return obj.description[:80]

    def save_model(self, request, obj, form, change):
        # Status changes go through the triage service (resolved_at, email to the reporter).
        if change:
            update_status(obj, obj.status, request.user)
        else:
            super().save_model(request, obj, form, change)


class ReplyInline(admin.StackedInline):
    """Answers in a thread: added here, saved as admin replies through the service."""

    model = ProviderResponse
    fk_name = "parent"
    extra = 1
    fields = ("from_admin", "author", "text", "links", "created_at")
    readonly_fields = ("from_admin", "author", "created_at")
    verbose_name = "reply"
    verbose_name_plural = "replies"
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ProviderResponse)
class ProviderResponseAdmin(admin.ModelAdmin):
    list_display = ("created_at", "endpoint", "from_admin", "author", "reply_count", "short_text")
    list_filter = ("from_admin", "endpoint__provider")
    search_fields = ("text", "endpoint__model__slug", "endpoint__provider__slug")
    list_select_related = ("endpoint__model", "endpoint__provider", "author")
    readonly_fields = ("from_admin", "author", "created_at")
    fields = ("endpoint", "parent", "from_admin", "author", "text", "links", "created_at")
    inlines = [ReplyInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_replies=Count("replies"))

    @admin.display(description="Replies")
    def reply_count(self, obj):
        return getattr(obj, "_replies", 0)

    @admin.display(description="Text")
    def short_text(self, obj):
        return obj.text[:80]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a provider's words are not edited by admins
            return (*self.readonly_fields, "endpoint", "parent", "text", "links")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return
        if obj.parent_id:
            reply = post_admin_reply(obj.parent, request.user, obj.text, obj.links)
            obj.__dict__.update({k: v for k, v in reply.__dict__.items() if not k.startswith("_")})
            return
        obj.author = request.user
        obj.from_admin = True
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProviderResponse:
            return super().save_formset(request, form, formset, change)
        formset.new_objects = [
            post_admin_reply(form.instance, request.user, reply.text, reply.links)
            for reply in formset.save(commit=False) if reply.pk is None
        ]
