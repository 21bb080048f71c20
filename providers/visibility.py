"""Who may see what (API.md "Auth", issue: provider portal). The one privacy rule.

Anonymous visitors and `ingest` tokens see published figures only: tool-call stats
of days up to each endpoint's `published_until`, and published benchmark runs.
`admin` tokens and staff sessions see everything; a provider's own users see
everything about that provider's endpoints.

A `Viewer` is built once per request (`for_request`) and passed down: selectors ask it,
views never decide privacy themselves.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from providers.choices import ApprovalStatus, TokenScope
from providers.models import ApiToken, Endpoint, ProviderUser


@dataclass(frozen=True)
class Viewer:
    is_admin: bool = False
    provider_ids: frozenset[int] = frozenset()

    @classmethod
    def public(cls) -> "Viewer":
        return cls()

    @classmethod
    def everything(cls) -> "Viewer":
        return cls(is_admin=True)

    @classmethod
    def from_token(cls, token: ApiToken) -> "Viewer":
        """An API key: `admin` sees everything, `ingest` what the public sees."""
        return cls(is_admin=token.scope == TokenScope.ADMIN)

    @classmethod
    def from_user(cls, user) -> "Viewer":
        """A session: staff see everything, a provider's users their provider's figures."""
        if user is None or not user.is_authenticated:
            return cls.public()
        if user.is_active and user.is_staff:
            return cls.everything()
        try:
            return cls(provider_ids=frozenset([user.provider_user.provider_id]))
        except ProviderUser.DoesNotExist:
            return cls.public()

    @classmethod
    def for_request(cls, request) -> "Viewer":
        """The reader of a request: its API key when it carries one, else its session."""
        auth = getattr(request, "auth", None)
        if isinstance(auth, ApiToken):
            return cls.from_token(auth)
        return cls.from_user(getattr(request, "user", None))

    @property
    def is_public(self) -> bool:
        """Sees published figures only: its answers may be shared with anyone."""
        return not (self.is_admin or self.provider_ids)

    def sees_unpublished(self, endpoint: Endpoint) -> bool:
        """May read this endpoint's figures past its publication date."""
        return self.is_admin or endpoint.provider_id in self.provider_ids

    def sees_reasons(self, endpoint: Endpoint) -> bool:
        """May read the stored verdict reasons of this endpoint: they quote figures computed
        on all data (METHODOLOGY §8). Shared thresholds in them are `Disclosure`'s to judge."""
        return self.sees_unpublished(endpoint)

    def knows(self, obj) -> bool:
        """A pending model or provider exists for admins only (METHODOLOGY §9)."""
        return self.is_admin or obj.approved

    def last_visible_day(self, endpoint: Endpoint, today: date) -> date | None:
        """The last day of tool-call figures this viewer may see (None: none at all)."""
        if self.sees_unpublished(endpoint):
            return today
        if endpoint.published_until is None:
            return None
        return min(today, endpoint.published_until)

    def endpoints(self, queryset):
        """Endpoints this viewer may know of: pending models and providers are admins' only
        (METHODOLOGY §9)."""
        return queryset if self.is_admin else queryset.approved()

    def models(self, queryset):
        return queryset if self.is_admin else queryset.filter(status=ApprovalStatus.APPROVED)

    def benchmark_runs(self, queryset):
        """Benchmark runs this viewer may see."""
        if self.is_admin:
            return queryset
        return queryset.filter(
            Q(published_at__isnull=False) | Q(endpoint__provider_id__in=self.provider_ids)
        ).filter(endpoint__model__status=ApprovalStatus.APPROVED,
                 endpoint__provider__status=ApprovalStatus.APPROVED)
