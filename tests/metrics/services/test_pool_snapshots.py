"""Pool recompute stores a snapshot per run and a diff of who entered or left, by which rule."""

import pytest
from django.utils import timezone

from metrics.models import PoolChange, PoolOverride, PoolSnapshot, ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation
from metrics.services.upserts import rebuild_day_totals
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory


def rollup(endpoint, calls, valid, propensity=(300, 255)):
    ToolCallRollup.objects.create(
        endpoint=endpoint, app="app", bucket="simple", day=timezone.now().date(),
        requests_with_tools=propensity[0], propensity_requests=propensity[0],
        propensity_requests_with_calls=propensity[1], calls=calls, valid=valid,
        schema_mismatch=calls - valid)
    rebuild_day_totals()  # rollups written outside ingestion


@pytest.fixture
def model(db):
    model = LLMModelFactory(slug="acme/pool-model")
    for i in range(3):
        rollup(EndpointFactory(model=model, provider=ProviderFactory(slug=f"good-{i}")), 1000, 995)
    return model


def test_each_recompute_that_changes_a_verdict_stores_a_numbered_snapshot(model):
    first = recompute_model(model, trigger="command")
    # New figures, same pool.
    ToolCallRollup.objects.filter(endpoint__provider__slug="good-2").update(calls=1010, valid=1004)
    rebuild_day_totals()
    second = recompute_model(model, trigger="admin")
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.verdicts.count() == 3 and second.figures["pool"]
    assert set(first.changes.values_list("change", flat=True)) == {"entered"}
    assert second.changes.count() == 0


def test_a_recompute_that_changes_nothing_writes_no_snapshot_but_records_its_time(model):
    first = recompute_model(model, trigger="command")
    later = first.computed_at + timezone.timedelta(minutes=5)
    again = recompute_model(model, trigger="command", now=later)
    assert again.pk == first.pk and PoolSnapshot.objects.filter(model=model).count() == 1
    stored = PoolSnapshot.objects.get(pk=first.pk)
    assert (stored.computed_at, stored.checked_at) == (first.computed_at, later)
    assert stored.verdicts.count() == 3


def test_admin_removal_shows_as_leaving_by_the_rotation_rule(model):
    recompute_model(model, trigger="command")
    endpoint = model.endpoints.get(provider__slug="good-1")
    set_rotation(endpoint, "admin_removed", "parser regression reported")
    snapshot = recompute_model(model, trigger="command")
    change = PoolChange.objects.get(snapshot=snapshot)
    assert (change.endpoint_id, change.change, change.rules) == (endpoint.pk, "left", ["rotation"])
    verdict = snapshot.verdicts.get(endpoint=endpoint)
    assert verdict.tier == "deranked" and not verdict.member and verdict.failed == ["rotation"]


def test_force_out_override_wins_over_passing_rules(model):
    endpoint = model.endpoints.get(provider__slug="good-0")
    PoolOverride.objects.create(endpoint=endpoint, action="force_out", reason="contract ended")
    snapshot = recompute_model(model, trigger="command")
    verdict = snapshot.verdicts.get(endpoint=endpoint)
    assert verdict.tier == "verified" and not verdict.member and verdict.forced == "force_out"
    assert PoolSnapshot.objects.filter(model=model).count() == 1


def _recompute_queries(models) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from metrics.services.pools import recompute_models

    with CaptureQueriesContext(connection) as queries:
        recompute_models(models, trigger="command")
    return len(queries)


def test_recomputing_many_models_takes_as_many_statements_as_one(db):
    models = []
    for m in range(6):
        model = LLMModelFactory(slug=f"acme/many-{m}")
        for i in range(3):
            rollup(EndpointFactory(model=model, provider=ProviderFactory(slug=f"many-{i}")),
                   1000, 990 + m)
        models.append(model)
    # First run writes every snapshot, second finds nothing new: both a fixed count.
    assert _recompute_queries(models[:1]) == _recompute_queries(models[1:])
    assert _recompute_queries(models[:1]) == _recompute_queries(models[1:])
    assert PoolSnapshot.objects.filter(model__in=models).count() == 6


def test_the_propensity_range_rests_on_the_endpoints_with_enough_data_and_requests(model):
    # Enough calls but no request where the model could choose; then too few calls.
    no_requests = EndpointFactory(model=model, provider=ProviderFactory(slug="no-requests"))
    rollup(no_requests, 1000, 995, propensity=(0, 0))
    few_calls = EndpointFactory(model=model, provider=ProviderFactory(slug="few-calls"))
    rollup(few_calls, 10, 10)
    snapshot = recompute_model(model, trigger="command")
    good = model.endpoints.filter(provider__slug__startswith="good-").order_by("pk")
    assert snapshot.figures["sources"]["propensity"] == [str(e.pk) for e in good]
    assert snapshot.figures["propensity_range"] is not None


def test_a_digest_stored_in_the_json_dumps_form_still_finds_the_verdicts_unchanged(model):
    import hashlib
    import json

    first = recompute_model(model, trigger="command")
    assert first.digest.startswith("2:") and len(first.digest) == 64
    # The digest as stored before its versioned form: sha256 of json.dumps' sorted, compact
    # text of [fallback, shared figures, verdict rows by endpoint id].
    rows = [{k: v[k] for k in ("endpoint_id", "tier", "member", "position", "forced",
                               "failed", "detail", "accuracy_lower")}
            for v in first.verdicts.order_by("endpoint_id").values()]
    text = json.dumps([first.fallback, first.figures, rows], sort_keys=True,
                      separators=(",", ":"))
    PoolSnapshot.objects.filter(pk=first.pk).update(
        digest=hashlib.sha256(text.encode()).hexdigest())
    again = recompute_model(model, trigger="command")
    assert again.pk == first.pk and PoolSnapshot.objects.filter(model=model).count() == 1
    # Rewritten in the current form, so later recomputes compare it directly.
    assert PoolSnapshot.objects.get(pk=first.pk).digest == first.digest
