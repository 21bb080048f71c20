from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from exacto_site import converters
from exacto_site import views as site_views
from exacto_site.throttle import throttled_login

# Before the apps' URLconfs are included: they name these converters.
converters.register()

api_v1 = [
    path("", include("metrics.api.urls")),
    path("admin/", include("metrics.api.admin_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

urlpatterns = [
    # The admin's login shares the portal login's lock (METHODOLOGY §9); listed first so it
    # takes the admin's own route.
    path("admin/login/", throttled_login(admin.site.login), name="admin-login"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("", include("providers.urls")),
    path("portal/", include("metrics.portal_urls")),
    path("", include("metrics.urls")),
    path("healthz", site_views.healthz, name="healthz"),
]

handler404 = "exacto_site.views.not_found"
handler500 = "exacto_site.views.server_error"
