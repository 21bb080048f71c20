"""Who serves what and who may see it: providers, models, endpoints, access.

An endpoint's rotation state is stored here as catalogue data, but only the metrics
rotation service (metrics/services/rotation.py) writes it, with its audit record
(metrics.RotationEvent); see docs/decisions.md.
"""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from . import slugs
from .choices import (
    ApprovalStatus,
    FeedbackCategory,
    FeedbackStatus,
    Quantization,
    RotationStatus,
    TokenScope,
)
from .naming import alias_key

provider_slug_validator = RegexValidator(
    slugs.python_pattern(slugs.PROVIDER), "Provider slugs are lowercase letters, digits and hyphens."
)
model_slug_validator = RegexValidator(
    slugs.python_pattern(slugs.MODEL), "Model slugs look like author/name."
)


class Provider(models.Model):
    slug = models.CharField(max_length=slugs.PROVIDER_MAX_LENGTH, unique=True,
                            validators=[provider_slug_validator])
    name = models.CharField(max_length=128, blank=True)
    website = models.URLField(blank=True)
    routing_name = models.CharField(
        max_length=128, blank=True,
        help_text="How routers name this provider in an OpenRouter-style `provider` object "
        "(the route's provider_preferences, API.md 1.1); empty means the slug.",
    )
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.APPROVED,
        db_default=ApprovalStatus.APPROVED,
        help_text="Pending when first named by an ingest key: not public, not judged, not "
        "routed until an admin approves it (METHODOLOGY §9).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name or self.slug

    @property
    def approved(self) -> bool:
        return self.status == ApprovalStatus.APPROVED

    @property
    def display_name(self) -> str:
        return self.name or self.slug

    @property
    def routing(self) -> str:
        return self.routing_name or self.slug


class ProviderAlias(models.Model):
    """How an outside source spells a provider ("GoogleVertex" → google-vertex).

    Importers map vendor names through this table and report names it lacks
    instead of guessing.
    """

    alias = models.CharField(max_length=128, unique=True, help_text="Matched case-insensitively.")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = "provider aliases"

    def __str__(self) -> str:
        return f"{self.alias} → {self.provider.slug}"

    def save(self, *args, **kwargs):
        self.alias = alias_key(self.alias)
        super().save(*args, **kwargs)


class LLMModel(models.Model):
    slug = models.CharField(max_length=slugs.MODEL_MAX_LENGTH, unique=True,
                            validators=[model_slug_validator])
    name = models.CharField(max_length=128, blank=True)
    author = models.CharField(max_length=64, blank=True)
    released = models.DateField(null=True, blank=True, help_text="Release date of the weights.")
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.APPROVED,
        db_default=ApprovalStatus.APPROVED,
        help_text="Pending when first named by an ingest key: not public, not judged, not "
        "routed until an admin approves it (METHODOLOGY §9).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "model"

    def __str__(self) -> str:
        return self.slug

    @property
    def approved(self) -> bool:
        return self.status == ApprovalStatus.APPROVED

    @property
    def display_name(self) -> str:
        return self.name or self.slug


class EndpointQuerySet(models.QuerySet):
    def approved(self):
        """Endpoints whose model and provider are approved: the only ones public, judged and
        routed (METHODOLOGY §9)."""
        return self.filter(model__status=ApprovalStatus.APPROVED,
                           provider__status=ApprovalStatus.APPROVED)


class Endpoint(models.Model):
    """One model at one provider with one quantization: the unit of stats, rotation and pools."""

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="endpoints")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="endpoints")
    quantization = models.CharField(max_length=32, blank=True, default="",
                                    choices=Quantization.choices)
    is_reference = models.BooleanField(
        default=False, help_text="The model's reference endpoint (usually the author's own API)."
    )
    # Events naming no quantization go to the provider's default endpoint of the model:
    # this one when set, else the first registered (API.md 1.1 "Tool-call events").
    is_default = models.BooleanField(
        default=False, help_text="Receives this provider's events for the model that name no "
        "quantization (unset everywhere: the first registered does).",
    )
    # Written only by metrics/services/rotation.py, which audits every change.
    rotation_status = models.CharField(
        max_length=20, choices=RotationStatus.choices, default=RotationStatus.ACTIVE
    )
    rotation_reason = models.TextField(blank=True)
    rotation_changed_at = models.DateTimeField(null=True, blank=True)
    # Publication: tool-call figures of days up to and including this one are public
    # (None = nothing public yet).
    published_until = models.DateField(null=True, blank=True)
    # Set when results were shared privately; a periodic task publishes once it passes.
    embargo_until = models.DateTimeField(null=True, blank=True)
    # How many times this endpoint has been published. Rollup rows carry the publication that
    # makes them public (their `generation`): counts that arrive after a publication, even for
    # an already published day, wait for the next one (METHODOLOGY §8).
    publication = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["model__slug", "provider__slug", "quantization"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "provider", "quantization"], name="uniq_endpoint"
            ),
            models.UniqueConstraint(
                fields=["model"], condition=Q(is_reference=True), name="one_reference_per_model"
            ),
            models.UniqueConstraint(
                fields=["model", "provider"], condition=Q(is_default=True),
                name="one_default_per_model_provider",
            ),
        ]

    def __str__(self) -> str:
        quant = f" ({self.quantization})" if self.quantization else ""
        return f"{self.model.slug} @ {self.provider.slug}{quant}"

    @property
    def in_rotation(self) -> bool:
        return self.rotation_status == RotationStatus.ACTIVE

    @property
    def approved(self) -> bool:
        return self.model.approved and self.provider.approved


class ProviderUser(models.Model):
    """A Django user who acts for one provider (portal access to that provider's data only)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_user"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="users")
    notify = models.BooleanField(default=True, help_text="Email this user about results.")

    def __str__(self) -> str:
        return f"{self.user} ({self.provider.slug})"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def get_by_key(self, key: str) -> "ApiToken":
        return self.get(key_hash=_hash_key(key), revoked_at__isnull=True)


class ApiToken(models.Model):
    """API key with a scope (API.md "Auth"). Only a hash of the key is stored."""

    name = models.CharField(max_length=128)
    scope = models.CharField(max_length=10, choices=TokenScope.choices)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="First characters, to tell keys apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.scope}, {self.prefix}…)"

    @classmethod
    def issue(cls, name: str, scope: str) -> tuple["ApiToken", str]:
        """Create a token and return it with the clear key, which is shown once only."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(name=name, scope=scope, key_hash=_hash_key(key), prefix=key[:8])
        return token, key

    def allows(self, scope: str) -> bool:
        return self.scope == TokenScope.ADMIN or self.scope == scope

    # DRF's IsAuthenticated looks at request.user; tokens are not users, these make that explicit.
    is_authenticated = True


class Feedback(models.Model):
    """A user's report about a provider of a model, triaged by admins."""

    model = models.ForeignKey(LLMModel, on_delete=models.CASCADE, related_name="feedback")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="feedback")
    endpoint = models.ForeignKey(
        Endpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    category = models.CharField(max_length=24, choices=FeedbackCategory.choices)
    description = models.TextField(max_length=5000)
    request_id = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    status = models.CharField(
        max_length=12, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW, db_index=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_feedback",
    )
    notes = models.TextField(blank=True, help_text="Internal triage notes.")
    client_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.get_category_display()} about {self.provider.slug} / {self.model.slug}"


class ProviderResponse(models.Model):
    """A provider's response or dispute on its results, with admins' answers in the thread."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="responses")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    from_admin = models.BooleanField(default=False)
    text = models.TextField(max_length=10000)
    links = models.TextField(blank=True, help_text="One URL per line.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        who = "admin" if self.from_admin else "provider"
        return f"{who} on {self.endpoint} at {self.created_at:%Y-%m-%d}"
