from django.contrib.auth import views as auth_views
from django.urls import path

from exacto_site.throttle import throttled_login
from providers import views

urlpatterns = [
    path("feedback/", views.feedback, name="feedback"),
    path("feedback/thanks/", views.feedback_thanks, name="feedback-thanks"),
    # The lock after repeated failures is exacto_site.throttle's, shared with the admin's login.
    path("accounts/login/",
         throttled_login(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
         name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/password-reset/done/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
