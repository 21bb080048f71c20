"""Admin for access and conversation: aliases, provider users, API tokens, feedback, responses.

Provider, LLMModel and Endpoint are registered once, by metrics/admin.py: their actions
(approval, rotation, reference, publication, probes) are metrics services, and this app
imports nothing from metrics.
"""

from django.contrib import admin
from django.db.models import Count

from .models import ApiToken, Feedback, ProviderAlias, ProviderResponse, ProviderUser
from .services.feedback import update_status
from .services.responses import post_admin_reply


@admin.register(ProviderAlias)
class ProviderAliasAdmin(admin.ModelAdmin):
    list_display = ("alias", "provider")
    search_fields = ("alias", "provider__slug")
    list_select_related = ("provider",)


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
