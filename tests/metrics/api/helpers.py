"""Hand-built API payloads shared by the contract tests (API.md, METHODOLOGY.md)."""

from datetime import UTC, datetime, timedelta

MODEL = "acme/tool-model"
PROVIDER = "fastinfer"

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
FREEFORM_TOOL = {"type": "function", "function": {"name": "ping", "description": "no parameters"}}

_UNSET = object()


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def tool_call(name: str, arguments, call_id: str = "call_1") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def event(event_id: str, calls=(), *, tools=(WEATHER_TOOL,), model=MODEL, provider=PROVIDER,
          app="app-1", user=None, created=_UNSET, tool_choice=_UNSET) -> dict:
    request = {"tools": list(tools), "messages": [{"role": "user", "content": "hi"}]}
    if tool_choice is not _UNSET:
        request["tool_choice"] = tool_choice
    message = {"role": "assistant", "content": None if calls else "plain text"}
    if calls:
        message["tool_calls"] = list(calls)
    item = {
        "id": event_id, "model": model, "provider": provider, "app": app,
        "request": request,
        "response": {"choices": [{"finish_reason": "tool_calls" if calls else "stop",
                                  "message": message}],
                     "usage": {"prompt_tokens": 1}},
    }
    if user is not None:
        item["user"] = user
    item["created"] = now_iso(-timedelta(minutes=5)) if created is _UNSET else created
    if item["created"] is None:
        del item["created"]
    return item


def good(event_id: str, **kw) -> dict:
    return event(event_id, [tool_call("get_weather", '{"city": "Paris"}')], **kw)


def register(client, model=MODEL, provider=PROVIDER, quantization="fp8", reference=False,
             approve=True):
    """Registers through the API; `approve` then marks the model and provider approved, as an
    admin would (an ingest key's new names are pending, METHODOLOGY §9)."""
    body = {"model": model, "provider": provider, "quantization": quantization}
    if reference:
        body["reference"] = True
    from providers.models import Endpoint

    known = Endpoint.objects.filter(model__slug=model, provider__slug=provider,
                                    quantization=quantization).exists()
    response = client.post("/api/v1/endpoints/", body, format="json")
    # A new endpoint is created (201); registering a known one again is idempotent (200).
    assert response.status_code == (200 if known else 201), response.content
    if approve:
        from providers.models import LLMModel, Provider

        LLMModel.objects.filter(slug=model).update(status="approved")
        Provider.objects.filter(slug=provider).update(status="approved")
    return response


def post_events(client, events, path="/api/v1/tool-calls/", key="events"):
    return client.post(path, {key: events}, format="json")


def posted(client, items, path: str, key: str) -> dict:
    """The JSON answer of a batch POST that must be answered 200."""
    response = post_events(client, items, path, key)
    assert response.status_code == 200, response.content
    return response.json()


def endpoint_row(client, model=MODEL, provider=PROVIDER, **params) -> dict:
    response = client.get("/api/v1/endpoints/", {"model": model, **params})
    assert response.status_code == 200, response.content
    rows = [row for row in response.json() if row["provider"] == provider]
    assert len(rows) == 1, response.json()
    return rows[0]


def run_item(run_id: str, provider: str, score: float, days_ago: int = 1, **extra) -> dict:
    """A benchmark-run item of acme/m on benchmark "b" (POST /benchmark-runs/)."""
    return {"id": run_id, "model": "acme/m", "provider": provider, "benchmark": "b",
            "score": score, "run_at": now_iso(-timedelta(days=days_ago)), **extra}
