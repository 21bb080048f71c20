"""The verifier on an endpoint with one app above the daily cap (§4, issue 18): the public
accuracy is not the raw ratio, and the open data reproduces it exactly."""

import io
import re
from datetime import UTC, datetime, time, timedelta

import pandas
import pytest
from django.utils import timezone

from metrics.models import PublishedPool
from metrics.services.ingest_tool_calls import ingest_tool_calls
from metrics.services.publication import publish
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory
from tests.metrics.api.helpers import event, good, tool_call


def _created(day) -> str:
    return datetime.combine(day, time(12), tzinfo=UTC).isoformat()


@pytest.fixture
def capped_site(transactional_db, live_server, settings):
    """One app above the daily cap on one endpoint, published through yesterday."""
    settings.EXACTO_APP_DAILY_CAP = 10
    yesterday = timezone.now().date() - timedelta(days=1)
    model = LLMModelFactory(slug="acme/capped")
    big_one = EndpointFactory(model=model, provider=ProviderFactory(slug="bigserve"))
    other = EndpointFactory(model=model, provider=ProviderFactory(slug="otherserve"))
    when = _created(yesterday)
    events = [good(f"big-{i}", model=model.slug, provider="bigserve", app="big-app",
                   created=when) for i in range(30)]
    events += [event(f"small-{i}", [tool_call("get_weather", "{")], model=model.slug,
                     provider="bigserve", app="small-app", created=when) for i in range(10)]
    events += [good(f"other-{i}", model=model.slug, provider="otherserve", app="small-app",
                    created=when) for i in range(5)]
    assert ingest_tool_calls(events, source="test").accepted == 45
    publish([big_one, other], through=yesterday)
    return {"url": live_server.url, "model": model}


def test_public_accuracy_of_an_endpoint_with_a_capped_app_is_reproduced_from_the_export(
        capped_site, verifier):
    site = verifier.Site(capped_site["url"])
    served = next(r for r in site.api_rows("acme/capped") if r["provider"] == "bigserve")
    tool_calls = served["tool_calls"]
    raw_ratio = (tool_calls["valid"] + tool_calls["unchecked"]) / tool_calls["calls"]
    assert raw_ratio == 30 / 40
    # big-app's 30 requests count as 10 (§4): 10 correct of 20 capped calls.
    assert tool_calls["accuracy"] == 0.5 != raw_ratio

    days = [r for r in site.table("days", model="acme/capped") if r["provider"] == "bigserve"]
    endpoint = next(r for r in site.table("endpoints") if r["provider"] == "bigserve")
    ours = verifier.public_figures(
        verifier.window_sums(days, endpoint["window_start"], endpoint["window_end"]))
    assert ours["accuracy"] == tool_calls["accuracy"]
    assert ours["accuracy_ci95"] == tool_calls["accuracy_ci95"]
    assert ours["invalid_json_rate_ci95"] == tool_calls["invalid_json_rate_ci95"]

    out = io.StringIO()
    assert verifier.verify(capped_site["url"], "acme/capped", out=out) == 0, out.getvalue()
    assert "ALL AGREE" in out.getvalue()


def test_open_data_reads_with_pandas_from_its_address(capped_site):
    url = capped_site["url"]
    frame = pandas.read_csv(f"{url}/data/days.csv")
    lines = pandas.read_json(f"{url}/data/days.jsonl", lines=True)
    assert len(frame) == len(lines) == 2
    assert sorted(frame["capped_calls"]) == [5.0, 20.0]
    assert sorted(frame["calls"]) == [5, 40]


def test_verifier_reports_a_published_verdict_that_its_inputs_do_not_support(capped_site,
                                                                               verifier):
    pool = PublishedPool.objects.get(model=capped_site["model"])
    for verdict in pool.verdicts:
        if verdict["provider"] == "bigserve":
            verdict["tier"] = "verified" if verdict["tier"] != "verified" else "deranked"
    pool.save()
    out = io.StringIO()
    assert verifier.verify(capped_site["url"], "acme/capped", out=out) == 1
    assert re.search(r"^DISAGREE pool verdicts +acme/capped bigserve:fp8 +tier ", out.getvalue(),
                     re.M), out.getvalue()


def test_verifier_reports_a_public_figure_the_day_rows_do_not_support(capped_site, verifier):
    # Day rows one correct call richer than what the site serves: the verifier must say so.
    out = io.StringIO()
    original = verifier.Site.table

    def tampered(self, name, **params):
        rows = original(self, name, **params)
        if name == "days":
            for row in rows:
                row["capped_valid"] += 1
        return rows

    verifier.Site.table = tampered
    try:
        assert verifier.verify(capped_site["url"], "acme/capped", out=out) == 1
    finally:
        verifier.Site.table = original
    assert re.search(r"^DISAGREE public +acme/capped bigserve:fp8 +accuracy ", out.getvalue(),
                     re.M), out.getvalue()
