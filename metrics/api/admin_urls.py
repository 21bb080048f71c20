"""Admin automation endpoints (admin-scoped tokens), under /api/v1/admin/."""

from django.urls import path

from metrics.api import admin_views as views

urlpatterns = [
    path("endpoints/rotation/", views.RotationView.as_view(), name="api-admin-rotation"),
    path("pools/recompute/", views.RecomputeView.as_view(), name="api-admin-recompute"),
    path("publish/", views.PublishView.as_view(), name="api-admin-publish"),
    path("share/", views.ShareView.as_view(), name="api-admin-share"),
    path("overview/", views.OverviewView.as_view(), name="api-admin-overview"),
    path("approve/", views.ApproveView.as_view(), name="api-admin-approve"),
    path("probes/", views.ProbesView.as_view(), name="api-admin-probes"),
]
