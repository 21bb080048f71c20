"""Endpoint registration and lookup by the (model, provider[, quantization]) of incoming items."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from providers.choices import ApprovalStatus
from providers.models import Endpoint, LLMModel, Provider


@transaction.atomic
def register_endpoint(
    model_slug: str, provider_slug: str, quantization: str = "", *, pending: bool = False,
) -> tuple[Endpoint, bool]:
    """Idempotent registration (API.md POST /endpoints/); unknown slugs are created, and
    `pending` (an ingest key registers) when they are (METHODOLOGY §9).

    Marking the reference moves every endpoint's range, so it is not done here but by
    metrics.services.rotation.set_reference, which re-applies the rule."""
    status = ApprovalStatus.PENDING if pending else ApprovalStatus.APPROVED
    model, _ = LLMModel.objects.get_or_create(
        slug=model_slug, defaults={"author": model_slug.split("/", 1)[0], "status": status}
    )
    provider, _ = Provider.objects.get_or_create(slug=provider_slug, defaults={"status": status})
    try:
        with transaction.atomic():
            return Endpoint.objects.get_or_create(
                model=model, provider=provider, quantization=quantization or ""
            )
    except IntegrityError:
        # A concurrent registration won the race; the row exists now.
        return Endpoint.objects.get(
            model=model, provider=provider, quantization=quantization or ""
        ), False


class EndpointResolver:
    """Resolves many (model, provider, quantization) triples with one query."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        pairs = set(pairs)
        self._by_pair: dict[tuple[str, str], list[Endpoint]] = defaultdict(list)
        # A batch names a few triples many times: each found endpoint is looked up once.
        self._found: dict[tuple[str, str, str | None], Endpoint] = {}
        if not pairs:
            return
        models = {m for m, _ in pairs}
        providers = {p for _, p in pairs}
        qs = Endpoint.objects.filter(
            model__slug__in=models, provider__slug__in=providers
        ).select_related("model", "provider")
        for endpoint in qs:
            self._by_pair[(endpoint.model.slug, endpoint.provider.slug)].append(endpoint)

    def resolve(self, model: str, provider: str, quantization: str | None) -> Endpoint:
        """The endpoint, or ValueError with the reason the item is refused."""
        names = (model, provider, quantization)
        endpoint = self._found.get(names)
        if endpoint is None:
            endpoint = self._found[names] = self._resolve(model, provider, quantization)
        return endpoint

    def _resolve(self, model: str, provider: str, quantization: str | None) -> Endpoint:
        candidates = self._by_pair.get((model, provider), [])
        if not candidates:
            raise ValueError(
                f"endpoint {model} @ {provider} is not registered (POST /api/v1/endpoints/ first)."
            )
        if quantization is not None:
            wanted = quantization.lower()  # stored lower-case (API.md 1.1)
            for endpoint in candidates:
                if endpoint.quantization.lower() == wanted:
                    return endpoint
            raise ValueError(f"endpoint {model} @ {provider} has no quantization {quantization!r}.")
        return default_endpoint(candidates)


def default_endpoint(candidates: list[Endpoint]) -> Endpoint:
    """The one marked default, else the first registered (API.md 1.1: missing quantization)."""
    for endpoint in candidates:
        if endpoint.is_default:
            return endpoint
    return min(candidates, key=lambda endpoint: endpoint.pk)


@transaction.atomic
def set_default_endpoint(endpoint: Endpoint) -> None:
    """Makes `endpoint` receive its provider's events for the model that name no quantization."""
    Endpoint.objects.filter(
        model_id=endpoint.model_id, provider_id=endpoint.provider_id, is_default=True
    ).exclude(pk=endpoint.pk).update(is_default=False)
    Endpoint.objects.filter(pk=endpoint.pk).update(is_default=True)
    endpoint.is_default = True
