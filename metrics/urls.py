from django.urls import path

from metrics import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("models/<path:slug>/history/", views.pool_history, name="pool-history"),
    path("models/<path:slug>/", views.model_page, name="model"),
    path("providers/<slug:slug>/", views.provider_page, name="provider"),
    path("benchmarks/", views.benchmarks, name="benchmarks"),
    path("benchmarks/<slug:slug>/", views.benchmark_page, name="benchmark"),
    path("methodology/", views.methodology, name="methodology"),
    path("data/", views.exports, name="exports"),
    path("data/<slug:table>.<slug:fmt>", views.export_table, name="export-table"),
]
