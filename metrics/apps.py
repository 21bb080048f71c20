from django.apps import AppConfig


class MetricsConfig(AppConfig):
    verbose_name = "Measurements and pools"
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"
