from django.urls import path

from metrics.api import integrations, views
from metrics.public_cache import model_param, public_read, site

urlpatterns = [
    path("endpoints/", public_read("api-endpoints", model_param(), ("model", "days"))(
        views.EndpointsView.as_view()), name="api-endpoints"),
    path("tool-calls/", views.ToolCallsView.as_view(), name="api-tool-calls"),
    path("ignores/", views.IgnoresView.as_view(), name="api-ignores"),
    path("benchmark-runs/", public_read("api-runs", model_param(), ("model", "benchmark"))(
        views.BenchmarkRunsView.as_view()), name="api-benchmark-runs"),
    path("burn-in/", public_read("api-burn-in", model_param(), ("model",))(
        views.BurnInView.as_view()), name="api-burn-in"),
    path("models/", public_read("api-models", site)(views.ModelsView.as_view()), name="api-models"),
    path("route/", public_read("api-route", model_param(), ("model",))(
        views.RouteView.as_view()), name="api-route"),
    path("integrations/litellm/", integrations.LiteLLMView.as_view(), name="api-litellm"),
    path("otlp/v1/traces", integrations.OTLPTracesView.as_view(), name="api-otlp-traces"),
]
