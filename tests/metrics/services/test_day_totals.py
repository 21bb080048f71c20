"""Daily totals (ToolCallDayTotal) are the rollups summed over apps, generation by generation,
raw and capped (METHODOLOGY §4, §8): after ingestion, late events and a publication each row
equals the sums of the rollup rows it stands for, and readers get the same figures from them
as from the rollups."""

from collections import defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.models import ROLLUP_COUNTS, ToolCallDayTotal, ToolCallRollup
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.publication import publish
from metrics.services.upserts import rebuild_day_totals
from tests.factories import EndpointFactory
from tests.metrics.api.helpers import MODEL, PROVIDER, endpoint_row, event, good, now_iso, tool_call

pytestmark = pytest.mark.django_db

CAP = 5


def _expected(cap: int) -> dict[tuple, dict]:
    """Totals computed here from the rollups: per (endpoint, day, bucket, generation g), the
    rows of generations <= g, each app-day scaled by min(1, cap / its requests)."""
    rows = list(ToolCallRollup.objects.values())
    cuts = {(r["endpoint_id"], r["day"], r["generation"]) for r in rows}
    out: dict[tuple, dict] = {}
    for endpoint_id, day, cut in cuts:
        seen = [r for r in rows if (r["endpoint_id"], r["day"]) == (endpoint_id, day)
                and r["generation"] <= cut]
        requests: dict[str, int] = defaultdict(int)
        for r in seen:
            requests[r["app"]] += r["requests_with_tools"]
        for r in seen:
            factor = cap / requests[r["app"]] if requests[r["app"]] > cap else 1.0
            sums = out.setdefault((endpoint_id, day, r["bucket"], cut), defaultdict(float))
            for name in ROLLUP_COUNTS:
                sums[name] += r[name]
                sums[f"capped_{name}"] += r[name] * factor
    return out


def _stored() -> dict[tuple, dict]:
    fields = [*ROLLUP_COUNTS, *(f"capped_{f}" for f in ROLLUP_COUNTS)]
    return {
        (t["endpoint_id"], t["day"], t["bucket"], t["generation"]): {f: t[f] for f in fields}
        for t in ToolCallDayTotal.objects.values()
    }


def _assert_totals_match(cap: int = CAP) -> None:
    expected, stored = _expected(cap), _stored()
    assert stored.keys() == expected.keys()
    for key, sums in expected.items():
        for name, value in sums.items():
            assert stored[key][name] == pytest.approx(value, rel=1e-12), (key, name)
    assert set(ToolCallDayTotal.objects.values_list("cap", flat=True)) == {cap}
    # Each row names the next cumulative row of its endpoint and day (None: the newest).
    cuts = defaultdict(set)
    for endpoint_id, day, _, generation in stored:
        cuts[(endpoint_id, day)].add(generation)
    for total in ToolCallDayTotal.objects.all():
        later = [g for g in cuts[(total.endpoint_id, total.day)] if g > total.generation]
        assert total.next_generation == (min(later) if later else None)


def _bad(event_id, created, app):
    return event(event_id, [tool_call("get_weather", "{")], created=created, app=app)


@pytest.fixture
def two_endpoints(settings):
    settings.EXACTO_APP_DAILY_CAP = CAP
    first = EndpointFactory(provider__slug=PROVIDER, model__slug=MODEL)
    second = EndpointFactory(provider__slug="other", model=first.model)
    return first, second


def test_totals_equal_the_sums_of_rollups_after_ingest_late_events_and_publication(
        two_endpoints, admin_client_api, anon_client):
    first, second = two_endpoints
    day1, day2 = now_iso(-timedelta(days=2)), now_iso(-timedelta(days=1))
    # "big" is over the cap on day 1 at the first endpoint; "small" is not.
    events = [good(f"a{i}", created=day1, app="big") for i in range(8)]
    events += [_bad(f"b{i}", day1, "small") for i in range(3)]
    events += [good(f"c{i}", created=day2, app="small", provider="other") for i in range(4)]
    assert ingest_tool_calls(events, source="test").accepted == 15
    _assert_totals_match()
    publish([first, second])
    public_before = endpoint_row(anon_client)["tool_calls"]

    # Late events for a published day: a new generation, cumulative over the older one.
    late = [_bad(f"l{i}", day1, "big") for i in range(4)]
    late += [good(f"m{i}", created=day1, app="new-app") for i in range(2)]
    assert ingest_tool_calls(late, source="test").accepted == 6
    _assert_totals_match()
    assert ToolCallDayTotal.objects.filter(endpoint=first, generation=2).exists()
    assert endpoint_row(anon_client)["tool_calls"] == public_before  # frozen for the public

    publish([first, second])
    _assert_totals_match()  # a publication rewrites nothing
    public_after = endpoint_row(anon_client)["tool_calls"]
    assert public_after == endpoint_row(admin_client_api)["tool_calls"]
    # big: 12 requests scaled by 5/12 (8 valid, 4 not); small 3 invalid; new-app 2 valid.
    assert public_after["calls"] == 17
    assert public_after["accuracy"] == pytest.approx((8 * CAP / 12 + 2) / (CAP + 3 + 2))


def test_rebuilt_totals_are_the_ones_ingestion_maintained(two_endpoints):
    day = now_iso(-timedelta(days=1))
    events = [good(f"a{i}", created=day, app=f"app-{i % 3}") for i in range(12)]
    ingest_tool_calls(events, source="test")
    publish(list(two_endpoints))
    ingest_tool_calls([_bad("late", day, "app-0")], source="test")
    maintained = _stored()
    rebuild_day_totals()
    rebuilt = _stored()
    assert rebuilt.keys() == maintained.keys()
    for key, sums in maintained.items():
        assert rebuilt[key] == pytest.approx(sums, rel=1e-12), key


def test_a_new_cap_restates_the_figures_at_once(two_endpoints, admin_client_api, settings):
    created = now_iso(-timedelta(minutes=1))
    events = [good(f"a{i}", created=created, app="big") for i in range(10)]
    events += [_bad(f"b{i}", created, "small") for i in range(2)]
    ingest_tool_calls(events, source="test")
    assert endpoint_row(admin_client_api)["tool_calls"]["accuracy"] == pytest.approx(5 / 7)
    # Totals were computed under cap 5; the reader sums those days' rollups under cap 2.
    settings.EXACTO_APP_DAILY_CAP = 2
    assert endpoint_row(admin_client_api)["tool_calls"]["accuracy"] == pytest.approx(2 / 4)
    assert set(ToolCallDayTotal.objects.values_list("cap", flat=True)) == {CAP}
    # The command restates the totals under the new cap: the same figures, from the totals.
    call_command("rebuild_day_totals", stdout=StringIO())
    assert set(ToolCallDayTotal.objects.values_list("cap", flat=True)) == {2}
    _assert_totals_match(cap=2)
    assert endpoint_row(admin_client_api)["tool_calls"]["accuracy"] == pytest.approx(2 / 4)
