"""The failure-mix chart gives every rate its 95% interval (METHODOLOGY §4, issue 19 gap 2):
each failure mode's rate in the hover text and the numbers table, the request error rate in
the table, from the same figures the API publishes."""

import pytest

from metrics.charts import failure_modes_chart
from metrics.selectors.endpoints import model_endpoints
from providers.models import LLMModel
from providers.visibility import Viewer
from tests.metrics.api.helpers import MODEL, endpoint_row, event, good, post_events, register, tool_call

pytestmark = pytest.mark.django_db


def test_failure_rates_and_the_request_error_rate_carry_their_intervals(
        ingest_client, admin_client_api):
    register(ingest_client)
    events = [good(f"ok-{i}") for i in range(3)]
    events.append(event("broken", [tool_call("get_weather", '{"city": ')]))
    assert post_events(ingest_client, events).json()["accepted"] == 4
    row = endpoint_row(admin_client_api)
    low, high = row["tool_calls"]["invalid_json_rate_ci95"]
    err_low, err_high = row["tool_calls"]["request_error_rate_ci95"]

    # The page draws the selector's row for the same reader.
    (page_row,) = model_endpoints(LLMModel.objects.get(slug=MODEL), Viewer.everything()).rows
    chart = failure_modes_chart([page_row])

    invalid = next(t for t in chart["data"] if t["name"] == "invalid JSON")
    assert invalid["customdata"] == [f" (95% interval {100 * low:.2f}–{100 * high:.2f}%)"]
    (cells,) = chart["table"]["rows"]
    assert cells[1] == f"25.00 ({100 * low:.2f}–{100 * high:.2f})"
    assert cells[-1] == f"25.00 ({100 * err_low:.2f}–{100 * err_high:.2f})"
