"""A LiteLLM `CustomLogger` that sends every completion to Exacto through `ExactoClient`.

    litellm.callbacks = [ExactoLogger(base_url="https://exacto.example.com", key=KEY)]

It reads LiteLLM's StandardLoggingPayload (`kwargs["standard_logging_object"]`): the
provider LiteLLM routed to, the request's tools, the response and the timings.
"""

from __future__ import annotations

from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from exacto_client import ExactoClient


def _ms(later: Any, earlier: Any) -> float | None:
    if isinstance(later, (int, float)) and isinstance(earlier, (int, float)) and later >= earlier:
        return round((later - earlier) * 1000.0, 3)
    return None


class ExactoLogger(CustomLogger):
    """`provider`/`model`/`quantization` override what LiteLLM reports (e.g. behind a router)."""

    def __init__(self, client: ExactoClient | None = None, *, base_url: str | None = None,
                 key: str | None = None, provider: str | None = None, model: str | None = None,
                 quantization: str | None = None, **client_kwargs: Any) -> None:
        super().__init__()
        if client is None:
            if not base_url or not key:
                raise ValueError("pass an ExactoClient, or base_url and key")
            client_kwargs.setdefault("flush_interval", 5.0)
            client = ExactoClient(base_url, key, **client_kwargs)
        self.client = client
        self.provider, self.model, self.quantization = provider, model, quantization

    def _record(self, kwargs: dict, response_obj: Any, failed: bool) -> None:
        payload = kwargs.get("standard_logging_object") or {}
        parameters = payload.get("model_parameters") or kwargs.get("optional_params") or {}
        provider = self.provider or payload.get("custom_llm_provider") or kwargs.get("custom_llm_provider")
        model = self.model or payload.get("model") or kwargs.get("model")
        if not provider or not model:
            return
        response = payload.get("response") if isinstance(payload.get("response"), dict) else response_obj
        start = payload.get("startTime")
        fields: dict[str, Any] = {
            "provider": provider, "model": model, "quantization": self.quantization,
            "latency_ms": _ms(payload.get("endTime"), start),
            "event_id": payload.get("id") or kwargs.get("litellm_call_id"),
            "user": payload.get("end_user") or None,
        }
        if payload.get("stream"):
            fields["ttft_ms"] = _ms(payload.get("completionStartTime"), start)
        if failed:
            fields["status"] = "error"
            response = None
        self.client.record({k: parameters[k] for k in ("tools", "tool_choice") if k in parameters},
                           response, **fields)

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._record(kwargs, response_obj, failed=False)

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self._record(kwargs, response_obj, failed=False)

    def log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._record(kwargs, response_obj, failed=True)

    async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
        self._record(kwargs, response_obj, failed=True)

    def flush(self) -> list[dict]:
        return self.client.flush()
