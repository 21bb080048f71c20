"""LiteLLM's StandardLoggingPayload (its generic API logger) as tool-call events (API.md 1.1).

The proxy already logs the request's OpenAI parameters (`model_parameters`: `tools`,
`tool_choice`) and the response as the client received it, so each payload maps to one
event that then follows every rule of POST /tool-calls/. Pure: no Django.
"""

from __future__ import annotations

from collections.abc import Mapping

# Fields a caller may set per request (LiteLLM `metadata` sent by the client) or per
# logger (query parameters of the logger's URL): they win over what the payload implies.
OVERRIDES = ("model", "provider", "quantization", "app")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _ms(later: object, earlier: object) -> float | None:
    if isinstance(later, int | float) and isinstance(earlier, int | float) and later >= earlier:
        return round((later - earlier) * 1000.0, 3)
    return None


def event_from_payload(payload: object, defaults: Mapping[str, str]) -> dict:
    """One event dict for POST /tool-calls/ rules; ValueError with the reason when impossible."""
    if not isinstance(payload, dict):
        raise ValueError("a StandardLoggingPayload is a JSON object.")
    event_id = _str(payload.get("id")) or _str(payload.get("litellm_call_id"))
    if event_id is None:
        raise ValueError("the payload has no `id`.")
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    requester = metadata.get("requester_metadata")
    requester = requester if isinstance(requester, dict) else {}
    chosen = {}
    for name in OVERRIDES:
        chosen[name] = _str(requester.get(f"exacto_{name}")) or _str(defaults.get(name))
    parameters = payload.get("model_parameters")
    parameters = parameters if isinstance(parameters, dict) else {}
    event: dict = {
        "id": event_id,
        "model": chosen["model"] or _str(payload.get("model")) or _str(payload.get("model_group")),
        "provider": chosen["provider"] or _str(payload.get("custom_llm_provider")),
        "app": chosen["app"] or _str(metadata.get("user_api_key_team_alias"))
        or _str(metadata.get("user_api_key_alias")),
        "user": _str(payload.get("end_user")),
        "created": payload.get("startTime"),
        "request": {key: parameters[key] for key in ("tools", "tool_choice") if key in parameters},
        # METHODOLOGY §10 fields; ignored by a server that does not record speed.
        "latency_ms": _ms(payload.get("endTime"), payload.get("startTime")),
    }
    if chosen["quantization"]:
        event["quantization"] = chosen["quantization"]
    if payload.get("stream") is True:
        event["ttft_ms"] = _ms(payload.get("completionStartTime"), payload.get("startTime"))
    if payload.get("status") == "failure":
        event["status"] = "error"
        info = payload.get("error_information")
        code = info.get("error_code") if isinstance(info, dict) else None
        # LiteLLM's error_code is often an HTTP status, sometimes a provider's own number:
        # only a real HTTP status is passed on (an invalid one would refuse the event).
        if isinstance(code, str) and code.isdigit() and 100 <= int(code) <= 599:
            event["http_status"] = int(code)
    response = payload.get("response")
    if isinstance(response, dict | list) and response:
        event["response"] = response
    elif payload.get("status") != "failure":
        raise ValueError("the payload's `response` is not the response object (is message "
                         "logging turned off in LiteLLM?); tool calls cannot be judged.")
    return {key: value for key, value in event.items() if value is not None}
