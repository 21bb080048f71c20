from django.urls import path

from metrics.api import views

urlpatterns = [
    path("endpoints/", views.EndpointsView.as_view(), name="api-endpoints"),
    path("tool-calls/", views.ToolCallsView.as_view(), name="api-tool-calls"),
    path("ignores/", views.IgnoresView.as_view(), name="api-ignores"),
    path("benchmark-runs/", views.BenchmarkRunsView.as_view(), name="api-benchmark-runs"),
    path("burn-in/", views.BurnInView.as_view(), name="api-burn-in"),
    path("route/", views.RouteView.as_view(), name="api-route"),
]
