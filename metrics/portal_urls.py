from django.urls import path

from metrics import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.portal_home, name="home"),
    path("endpoints/<int:endpoint_id>/respond/", portal_views.portal_respond, name="respond"),
]
