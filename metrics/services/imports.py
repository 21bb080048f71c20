"""Stores parsed benchmark result files (metrics/importers) as runs, mapping vendor names
through the alias table and reporting the names it cannot map instead of guessing."""

from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction

from metrics.events import BatchResult, BenchmarkRunItem
from metrics.importers.records import ParseResult
from metrics.services.benchmarks import BenchmarkDefaults, store_runs
from metrics.services.rotation import set_reference
from providers.models import Endpoint
from providers.services.aliases import AliasMap
from providers.services.endpoints import register_endpoint


@dataclass
class ImportReport:
    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    rotation_changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.accepted} runs stored", f"{self.duplicates} already stored"]
        if self.errors:
            parts.append(f"{len(self.errors)} rows refused")
        if self.unmapped:
            names = ", ".join(f"{name} ({n})" for name, n in sorted(self.unmapped.items()))
            parts.append(f"unmapped vendor names: {names} — add them to the provider aliases")
        return "; ".join(parts)


def _endpoint_for(model: str, provider: str, reference: bool, source: str) -> Endpoint:
    """The provider's endpoint of the model: the only one if it has exactly one, else a new
    one without quantization (results files rarely say which quantization was tested). A
    file's reference becomes the model's reference, which re-applies the range rule."""
    existing = list(Endpoint.objects.filter(model__slug=model, provider__slug=provider))
    if len(existing) == 1:
        endpoint = existing[0]
    else:
        endpoint, _ = register_endpoint(model, provider, "")
    if reference:
        set_reference(endpoint, sender=source)
    return endpoint


@transaction.atomic
def import_parse_result(
    parsed: ParseResult, *, source: str, publish: bool = True, progress=None
) -> ImportReport:
    report = ImportReport(errors=[f"line {e.line}: {e.reason}" for e in parsed.errors])
    aliases = AliasMap()
    ready = []
    for record in parsed.records:
        provider = aliases.provider_for(record.vendor)
        if progress is not None:
            progress.update(1)
        if provider is None:
            report.unmapped[record.vendor] += 1
            continue
        endpoint = _endpoint_for(record.model, provider, record.reference, source)
        ready.append((
            BenchmarkRunItem(
                id=record.external_id, model=record.model, provider=provider,
                quantization=endpoint.quantization, benchmark=record.benchmark,
                score=record.score, stderr=record.stderr, samples=record.samples,
                source=record.source, run_at=record.run_at,
                detail={**record.detail, "vendor": record.vendor},
            ),
            endpoint,
        ))
    specs = {
        spec.slug: BenchmarkDefaults(
            name=spec.name, unit=spec.unit, higher_is_better=spec.higher_is_better,
            tolerance=spec.tolerance, description=spec.description, link=spec.link,
            item_count=spec.item_count,
        )
        for spec in parsed.benchmarks
    }
    result = BatchResult()
    published = {item.id for item, _ in ready} if publish else set()
    changes = store_runs(ready, result, source=source, published_ids=published, specs=specs)
    report.accepted, report.duplicates = result.accepted, result.duplicates
    report.rotation_changes = [f"{e}: {old} → {new}" for e, old, new in changes]
    return report
