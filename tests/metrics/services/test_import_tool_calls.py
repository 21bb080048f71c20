"""`manage.py import_tool_calls FILE.jsonl`: same classification and idempotency as the API."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.models import ToolCallRollup
from providers.services.endpoints import register_endpoint

TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


def event(i: int, arguments: str, name: str = "get_weather") -> dict:
    return {"id": f"log-{i}", "model": "acme/m", "provider": "p1", "app": "a",
            "created": "2026-11-20T10:00:00Z", "request": {"tools": TOOLS},
            "response": {"choices": [{"message": {"tool_calls": [
                {"id": "c", "type": "function",
                 "function": {"name": name, "arguments": arguments}}]}}]}}


@pytest.mark.django_db
def test_import_classifies_reports_bad_lines_and_reimport_changes_nothing(tmp_path):
    register_endpoint("acme/m", "p1", "fp8")
    lines = [json.dumps(event(1, '{"city": "Paris"}')), json.dumps(event(2, '{"city": 3}')),
             json.dumps(event(3, "{", )), json.dumps(event(4, "{}", name="Get_Weather")),
             "{not json", json.dumps({"id": "x"})]
    path = tmp_path / "log.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command("import_tool_calls", str(path), stdout=out, stderr=err, verbosity=0)
    assert "4 accepted, 0 duplicates, 2 rejected" in out.getvalue()
    assert "line 5" in err.getvalue() and "line 6" in err.getvalue()
    row = ToolCallRollup.objects.get()
    assert (row.calls, row.valid, row.schema_mismatch, row.invalid_json, row.unknown_tool) == (
        4, 1, 1, 1, 1)
    out = StringIO()
    call_command("import_tool_calls", str(path), stdout=out, stderr=StringIO(), verbosity=0)
    assert "0 accepted, 4 duplicates" in out.getvalue()
    assert ToolCallRollup.objects.get().calls == 4
