"""Stored app-matched figures (METHODOLOGY §4; metrics.selectors.app_matched): what every
reader is served equals the figure computed afresh from the rollups, after a publication,
late events, a recompute, a repair of rollups and a change of the cap; a stored row whose
inputs moved is never served."""

from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.models import AppMatchedFigures, ToolCallRollup
from metrics.selectors.endpoints import model_endpoints, provider_endpoints
from metrics.selectors.toolcall_stats import app_matched_figures, endpoint_stats
from metrics.services.pools import recompute_model
from metrics.services.publication import publish
from metrics.services.upserts import rebuild_day_totals
from providers.models import Endpoint
from providers.visibility import Viewer
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def add_calls(endpoint, app: str, valid: int, invalid: int, days_ago: int = 2) -> None:
    """Counts as ingestion writes them: in the endpoint's next, unpublished generation."""
    endpoint.refresh_from_db()
    ToolCallRollup.objects.create(
        endpoint=endpoint, app=app, bucket="simple",
        day=timezone.now().date() - timedelta(days=days_ago),
        generation=endpoint.publication + 1, requests_with_tools=valid + invalid,
        calls=valid + invalid, valid=valid, invalid_json=invalid)
    rebuild_day_totals([endpoint.pk])


def computed(model, viewer) -> dict:
    """§4's figure computed from the rollups, without anything stored."""
    endpoints = list(viewer.endpoints(Endpoint.objects.filter(model=model)))
    return app_matched_figures(endpoint_stats(endpoints, viewer, apps=True))


def served(model, viewer) -> dict:
    return {e.pk: row.app_matched for e, row in model_endpoints(model, viewer).pairs()}


@pytest.fixture
def setup():
    model = LLMModelFactory(slug="am/model")
    first, second = (EndpointFactory(model=model, provider=ProviderFactory(slug=slug))
                     for slug in ("am-one", "am-two"))
    for app, (a, b) in {"app-a": (90, 70), "app-b": (40, 45), "app-c": (10, None)}.items():
        add_calls(first, app, a, 100 - a)
        if b is not None:
            add_calls(second, app, b, 100 - b)
    publish([first, second])
    return model, first, second


def test_public_figures_are_stored_at_the_first_read_and_equal_the_computed_ones(setup):
    model, first, second = setup
    public = Viewer.public()
    expected = computed(model, public)
    assert expected[first.pk]["apps"] == 2  # app-c is first's only
    assert served(model, public) == expected  # computed and stored
    stored = AppMatchedFigures.objects.get(model=model)
    assert {int(k): v for k, v in stored.figures.items()} == expected
    assert served(model, public) == expected  # read back from the row
    # The provider page compares the same endpoints: the same figures.
    rows = provider_endpoints(first.provider, public)
    assert rows.rows[0].app_matched == expected[first.pk]


def test_the_stored_row_is_what_a_matching_reader_is_served(setup):
    """The read path really uses the row (else the tests below would prove nothing)."""
    model, first, _ = setup
    served(model, Viewer.public())
    row = AppMatchedFigures.objects.get(model=model)
    row.figures[str(first.pk)] = {"accuracy_delta": 0.5, "apps": 9, "weight": 1.0}
    row.save()
    assert served(model, Viewer.public())[first.pk]["apps"] == 9


def test_late_events_change_nothing_public_until_the_next_publication(setup):
    model, first, second = setup
    public = Viewer.public()
    before = served(model, public)
    add_calls(second, "app-c", 0, 100)  # late, on a published day: second now shares app-c
    assert served(model, public) == before == computed(model, public)
    # Readers who see the unpublished counts get them at once, and nothing is stored for them.
    provider = Viewer(provider_ids=frozenset([second.provider_id]))
    admin = Viewer.everything()
    for viewer in (provider, admin):
        assert served(model, viewer) == computed(model, viewer) != before
    assert served(model, admin)[first.pk]["apps"] == 3
    assert served(model, public) == before

    publish([first, second])  # the stored row's key no longer matches: never served again
    after = served(model, public)
    assert after == computed(model, public) != before
    assert after[first.pk]["apps"] == 3


def test_recompute_and_a_repair_of_rollups_keep_served_equal_to_computed(setup):
    model, first, second = setup
    public = Viewer.public()
    before = served(model, public)
    recompute_model(model, trigger="api")
    assert served(model, public) == computed(model, public) == before
    assert before[second.pk]["accuracy_delta"] == pytest.approx(-0.075)  # (-0.2 + 0.05) / 2

    # A repair rewrites published rollups outside ingestion, then rebuilds the totals.
    ToolCallRollup.objects.filter(endpoint=second, app="app-a").update(valid=0, invalid_json=100)
    rebuild_day_totals([second.pk])
    assert not AppMatchedFigures.objects.filter(model=model).exists()
    assert served(model, public) == computed(model, public)
    assert served(model, public)[second.pk]["accuracy_delta"] == pytest.approx(-0.425)


def test_a_cap_or_window_change_is_another_key(setup, settings):
    model, first, second = setup
    public = Viewer.public()
    served(model, public)
    key = AppMatchedFigures.objects.get(model=model).key
    settings.EXACTO_APP_DAILY_CAP = 30  # every app-day above it now counts as 30 requests
    assert served(model, public) == computed(model, public)
    assert AppMatchedFigures.objects.get(model=model).key != key
    # A shorter window (the API's `days`) holds no data here: another key, empty figures.
    rows = model_endpoints(model, public, days=1)
    assert [r.app_matched["apps"] for r in rows.rows] == [0, 0]


def test_a_public_reader_and_a_newly_known_endpoint(setup):
    """An endpoint without a public window adds nothing to the figures of the others."""
    model, first, second = setup
    public = Viewer.public()
    before = served(model, public)
    third = EndpointFactory(model=model, provider=ProviderFactory(slug="am-three"))
    add_calls(third, "app-a", 0, 100)  # not published: no window for the public
    now = served(model, public)
    assert {k: now[k] for k in before} == before
    assert now[third.pk] == {"accuracy_delta": None, "apps": 0, "weight": 0.0}
    assert now == computed(model, public)


def test_windows_that_retention_may_reach_are_never_stored(settings):
    """Rollup retention deletes old days without a new publication; a window reaching back
    to days it may delete is computed every time."""
    model = LLMModelFactory(slug="am/old")
    endpoints = [EndpointFactory(model=model, provider=ProviderFactory(slug=slug))
                 for slug in ("am-old-1", "am-old-2")]
    old = settings.EXACTO_EVENT_MAX_AGE_DAYS + 10
    for endpoint in endpoints:
        add_calls(endpoint, "app-a", 80, 20, days_ago=old)
    publish(endpoints, through=timezone.now().date() - timedelta(days=old - 5))
    public = Viewer.public()
    assert served(model, public) == computed(model, public)
    assert served(model, public)[endpoints[0].pk]["apps"] == 1
    assert not AppMatchedFigures.objects.filter(model=model).exists()
