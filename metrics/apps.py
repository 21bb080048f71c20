from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class MetricsConfig(AppConfig):
    verbose_name = "Measurements and pools"
    name = "metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here, not at the top: models cannot be imported before the app
        # registry is ready, and this module is loaded while it is being built.
        from metrics.models import PoolOverride, RotationEvent
        from metrics.public_cache import connect_signals
        from metrics.schedule import ensure_periodic_tasks
        from metrics.signals import (
            model_saved,
            override_changed,
            provider_saved,
            rotation_event_saved,
        )
        from providers.models import LLMModel, Provider

        connect_signals()

        post_migrate.connect(ensure_periodic_tasks, sender=self)
        post_save.connect(rotation_event_saved, sender=RotationEvent,
                          dispatch_uid="exacto-recompute-on-rotation")
        post_save.connect(override_changed, sender=PoolOverride,
                          dispatch_uid="exacto-recompute-on-override-save")
        post_delete.connect(override_changed, sender=PoolOverride,
                            dispatch_uid="exacto-recompute-on-override-delete")
        post_save.connect(provider_saved, sender=Provider,
                          dispatch_uid="exacto-recompute-on-provider-approval")
        post_save.connect(model_saved, sender=LLMModel,
                          dispatch_uid="exacto-recompute-on-model-approval")
