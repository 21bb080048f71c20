"""Probe suites: the shipped one, and the checks that refuse a bad suite file (§11). Pure."""

import copy
import json
import shutil
from collections import Counter

import pytest

from metrics.probes.suite import SuiteError, available_suites, load_suite, parse_suite
from tests.metrics.probes.conftest import SUITES


def test_shipped_suite_covers_what_methodology_asks(suite):
    assert suite.name == "exacto-core" and suite.version == "1.0.0"
    assert len(suite.cases) >= 100
    buckets = Counter(case.bucket for case in suite.cases)
    assert set(buckets) == {"simple", "medium", "complex"} and min(buckets.values()) >= 20
    kinds = Counter(case.kind for case in suite.cases)
    assert kinds["parallel"] >= 10 and kinds["no call"] >= 10
    assert kinds["tool_choice none"] and kinds["tool_choice required"] and kinds["tool_choice named"]
    assert sum(not case.expect_call for case in suite.cases) >= 20
    assert suite.sampling == {"temperature": 0, "max_tokens": 2048}


def test_a_case_request_is_an_openai_chat_body_with_the_fixed_sampling(suite):
    case = suite.cases[0]
    body = case.request("acme/model", suite.sampling)
    assert body["model"] == "acme/model" and body["temperature"] == 0
    assert body["tools"][0] == {"type": "function", "function": {
        "name": "get_weather", "description": "Current weather for a city.",
        "parameters": suite.cases[0].tools[0]["function"]["parameters"]}}
    assert body["tool_choice"] == "auto" and body["messages"][-1]["role"] == "user"


def test_first_n_cases_are_the_suites_order(suite):
    assert [c.id for c in suite.first(3)] == [c.id for c in suite.cases[:3]]
    assert suite.first(None) == suite.cases


def raw_suite():
    return json.loads((SUITES / "exacto-core.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["cases"][0]["tools"].append("no_such_tool"), "unknown tool(s) no_such_tool"),
    (lambda d: d["cases"][1].update(id=d["cases"][0]["id"]), "id repeats"),
    (lambda d: d["cases"][0].update(tool_choice="none"), "tool_choice none cannot expect a call"),
    (lambda d: d["cases"][0]["expect"]["calls"][0]["arguments"].update(city=7),
     "example call of 'get_weather' is schema_mismatch"),
    (lambda d: d["cases"][0]["expect"].update(call=False), "expect.call must be true exactly"),
    (lambda d: d["cases"][0].update(tool_choice={"type": "function", "function": {"name": "get_time"}}),
     "tool_choice names get_time, which is not offered"),
])
def test_semantic_errors_are_refused_with_the_case_named(mutate, message):
    data = raw_suite()
    mutate(data)
    with pytest.raises(SuiteError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_suite(data)


def test_a_file_that_breaks_the_suite_schema_is_refused_when_loaded(tmp_path):
    shutil.copy(SUITES / "suite.schema.json", tmp_path)
    data = raw_suite()
    broken = copy.deepcopy(data)
    broken["name"] = "broken"
    broken["cases"][2]["tool_choice"] = "sometimes"
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(SuiteError, match=r"broken.json: cases/2/tool_choice"):
        load_suite(tmp_path, "broken")
    renamed = copy.deepcopy(data)
    (tmp_path / "other.json").write_text(json.dumps(renamed), encoding="utf-8")
    with pytest.raises(SuiteError, match="differs from the file name"):
        load_suite(tmp_path, "other")
    assert available_suites(tmp_path) == ["broken", "other"]
    with pytest.raises(SuiteError, match="no probe suite 'missing'"):
        load_suite(tmp_path, "missing")
    with pytest.raises(SuiteError, match="not a slug"):
        load_suite(tmp_path, "../etc/passwd")


def test_docs_table_is_generated_from_the_shipped_suite():
    from metrics.probes.doc import render_table
    from tests.metrics.probes.conftest import SUITES as directory

    docs = (directory.parent.parent / "docs" / "probes.md").read_text(encoding="utf-8")
    assert render_table(load_suite(directory, "exacto-core")) in docs, (
        "docs/probes.md is stale: run `python -m metrics.probes.doc > docs/probes.md`")
