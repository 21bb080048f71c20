"""Publication (issue: provider portal): results are shared privately first, then published.

Publishing an endpoint makes its tool-call figures public up to a day and publishes its
benchmark runs up to that moment. Sharing starts an embargo that a periodic task ends.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from metrics.models import BenchmarkRun
from metrics.services.published_pools import record_published_pools
from providers.models import Endpoint
from providers.services.notify import notify_provider_on_commit


@transaction.atomic
def share_results(endpoints, *, embargo_days: int | None = None) -> int:
    """Starts the embargo: providers are told their results will be published on a date."""
    days = settings.EXACTO_EMBARGO_DAYS if embargo_days is None else embargo_days
    until = timezone.now() + timedelta(days=days)
    count = 0
    for endpoint in Endpoint.objects.filter(pk__in=[e.pk for e in endpoints]).select_related(
            "provider", "model"):
        endpoint.embargo_until = until
        endpoint.save(update_fields=["embargo_until"])
        count += 1
        notify_provider_on_commit(endpoint.provider, f"Results shared for {endpoint}",
                f"Your results for {endpoint} are in your portal. They will be published on "
                f"{until:%Y-%m-%d}; you can respond or dispute them there until then.")
    return count


@transaction.atomic
def publish(endpoints, *, through: date | None = None) -> int:
    """Publishes tool-call figures up to `through` (default: yesterday) and benchmark runs.

    Each publication also makes public what arrived since the previous one for days already
    published (the endpoint's next rollup generation, METHODOLOGY §8). The row lock waits
    for ingest batches in flight on the endpoint, so none of their counts is published
    unseen."""
    now = timezone.now()
    through = through or (now.date() - timedelta(days=1))
    count = 0
    models = {}
    for endpoint in Endpoint.objects.filter(pk__in=[e.pk for e in endpoints]).select_related(
            "provider", "model").select_for_update(of=("self",)).order_by("pk"):
        if endpoint.published_until is None or endpoint.published_until < through:
            endpoint.published_until = through
        endpoint.embargo_until = None
        endpoint.publication += 1
        endpoint.save(update_fields=["published_until", "embargo_until", "publication"])
        BenchmarkRun.objects.filter(endpoint=endpoint, published_at__isnull=True,
                                    run_at__lte=now).update(published_at=now)
        count += 1
        notify_provider_on_commit(endpoint.provider, f"Results published for {endpoint}",
                f"Figures of {endpoint} through {through:%Y-%m-%d} are now public.")
        models[endpoint.model_id] = endpoint.model
    # Every publication records the pool as judged on published figures alone (open data).
    record_published_pools([models[key] for key in sorted(models)], now=now)
    return count


def end_embargoes() -> int:
    """Publishes every endpoint whose embargo has ended (run by a periodic task)."""
    due = list(Endpoint.objects.filter(embargo_until__lte=timezone.now()))
    return publish(due) if due else 0
