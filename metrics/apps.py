from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MetricsConfig(AppConfig):
    verbose_name = "Measurements and pools"
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from metrics.public_cache import connect_signals
        from metrics.schedule import ensure_periodic_tasks

        connect_signals()

        post_migrate.connect(ensure_periodic_tasks, sender=self)
