from django.urls import path

from metrics import views
from metrics.public_cache import model_kwarg, model_param_or_site, public_read, site

app_name = "dashboard"

# Public pages come from the cache keyed by what they show (metrics.public_cache).
by_model = model_kwarg()

urlpatterns = [
    path("", public_read("home", site)(views.home), name="home"),
    path("models/<model_slug:slug>/history/", public_read("history", by_model)(views.pool_history),
         name="pool-history"),
    path("models/<model_slug:slug>/", public_read("model", by_model)(views.model_page), name="model"),
    path("providers/<provider_slug:slug>/", public_read("provider", site)(views.provider_page),
         name="provider"),
    path("benchmarks/", public_read("benchmarks", site)(views.benchmarks), name="benchmarks"),
    path("benchmarks/<benchmark_slug:slug>/", public_read("benchmark", site)(views.benchmark_page),
         name="benchmark"),
    path("methodology/", public_read("methodology", site)(views.methodology),
         name="methodology"),
    path("data/", public_read("exports", model_param_or_site(), ("format", "model", "days"))(
        views.exports), name="exports"),
    path("data/<slug:table>.<slug:fmt>", public_read("export-table", model_param_or_site(),
                                                     ("model", "days"))(views.export_table),
         name="export-table"),
]
