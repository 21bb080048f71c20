from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    verbose_name = "Providers, models and endpoints"
    name = "providers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from providers.api import schema  # noqa: F401  (registers the OpenAPI auth scheme)
