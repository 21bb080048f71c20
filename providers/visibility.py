"""Who may see what (API.md "Auth", issue: provider portal). The one privacy rule.

Anonymous visitors and `ingest` tokens see published figures only: tool-call stats
of days up to each endpoint's `published_until`, and published benchmark runs.
`admin` tokens and staff sessions see everything; a provider's own users see
everything about that provider's endpoints.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from providers.choices import ApprovalStatus, TokenScope
from providers.models import ApiToken, Endpoint, ProviderUser


@dataclass(frozen=True)
class Viewer:
    sees_all: bool = False
    provider_ids: frozenset[int] = frozenset()

    @classmethod
    def public(cls) -> "Viewer":
        return cls()

    @classmethod
    def everything(cls) -> "Viewer":
        return cls(sees_all=True)

    @classmethod
    def from_request(cls, request) -> "Viewer":
        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiToken):
            return cls(sees_all=auth.scope == TokenScope.ADMIN)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return cls.public()
        if user.is_active and user.is_staff:
            return cls.everything()
        try:
            return cls(provider_ids=frozenset([user.provider_user.provider_id]))
        except ProviderUser.DoesNotExist:
            return cls.public()

    def sees_private(self, endpoint: Endpoint) -> bool:
        return self.sees_all or endpoint.provider_id in self.provider_ids

    def sees_private_provider(self, provider_id: int) -> bool:
        return self.sees_all or provider_id in self.provider_ids

    def last_visible_day(self, endpoint: Endpoint, today: date) -> date | None:
        """The last day of tool-call figures this viewer may see (None: none at all)."""
        if self.sees_private(endpoint):
            return today
        if endpoint.published_until is None:
            return None
        return min(today, endpoint.published_until)

    def endpoints(self, queryset):
        """Endpoints this viewer may know of: pending models and providers are admins' only
        (METHODOLOGY §9)."""
        return queryset if self.sees_all else queryset.approved()

    def models(self, queryset):
        return queryset if self.sees_all else queryset.filter(status=ApprovalStatus.APPROVED)

    def benchmark_runs(self, queryset):
        """Benchmark runs this viewer may see."""
        if self.sees_all:
            return queryset
        return queryset.filter(
            Q(published_at__isnull=False) | Q(endpoint__provider_id__in=self.provider_ids)
        ).filter(endpoint__model__status=ApprovalStatus.APPROVED,
                 endpoint__provider__status=ApprovalStatus.APPROVED)
