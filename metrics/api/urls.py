from django.urls import path

from metrics.api import integrations, views

urlpatterns = [
    path("endpoints/", views.EndpointsView.as_view(), name="api-endpoints"),
    path("tool-calls/", views.ToolCallsView.as_view(), name="api-tool-calls"),
    path("ignores/", views.IgnoresView.as_view(), name="api-ignores"),
    path("benchmark-runs/", views.BenchmarkRunsView.as_view(), name="api-benchmark-runs"),
    path("burn-in/", views.BurnInView.as_view(), name="api-burn-in"),
    path("route/", views.RouteView.as_view(), name="api-route"),
    path("integrations/litellm/", integrations.LiteLLMView.as_view(), name="api-litellm"),
    path("otlp/v1/traces", integrations.OTLPTracesView.as_view(), name="api-otlp-traces"),
]
