"""Issue 11, finding 8: labels in Plotly charts are text, never markup (no link injection)."""

import json
import re
from types import SimpleNamespace

import pytest
from django.test import Client

from metrics.models import ToolCallRollup
from metrics.services.pools import recompute_model
from metrics.services.upserts import rebuild_day_totals
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

EVIL = '<a href="//e.vil/">fp8</a>'


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.django_db
def test_no_chart_of_a_model_page_carries_markup_from_a_label():
    # Stored before the vocabulary existed (registration now refuses it with a 400).
    model = LLMModelFactory(slug="acme/charted")
    endpoint = EndpointFactory(model=model, provider=ProviderFactory(slug="p1"),
                               quantization=EVIL)
    EndpointFactory(model=model, provider=ProviderFactory(slug="p2"), quantization="fp8")
    from django.utils import timezone
    ToolCallRollup.objects.create(endpoint=endpoint, app="a", bucket="simple",
                                  day=timezone.now().date(), requests_with_tools=10,
                                  propensity_requests=10, propensity_requests_with_calls=9,
                                  calls=10, valid=9, invalid_json=1)
    rebuild_day_totals()  # rollups written outside ingestion
    endpoint.published_until = timezone.now().date()
    endpoint.save()
    recompute_model(model, trigger="command")
    page = Client().get(f"/models/{model.slug}/").content.decode()
    scripts = re.findall(r'<script id="fig-[^"]+" type="application/json">(.*?)</script>', page,
                         re.S)
    assert len(scripts) >= 4  # accuracy, failures, propensity, one complexity panel
    labels = [s for script in scripts for s in _strings(json.loads(script))]
    assert any("fp8" in s and "e.vil" in s for s in labels)  # the label is there, as text
    assert not [s for s in labels if "<a" in s]
    assert any("&lt;a href" in s for s in labels)


def test_table_beside_a_chart_shows_the_label_as_typed():
    from metrics import charts

    row = SimpleNamespace(provider="p1", quantization=EVIL, exacto=None,
                          tool_calls={"accuracy": 0.9, "accuracy_ci95": [0.8, 0.95], "calls": 10})
    figure = charts.accuracy_chart([row])
    assert figure["data"][0]["y"] == ["p1 (&lt;a href=\"//e.vil/\"&gt;fp8&lt;/a&gt;)"]
    assert charts.table_of(figure)["rows"][0][0] == f"p1 ({EVIL})"  # the template escapes it
