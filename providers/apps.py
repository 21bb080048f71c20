from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    verbose_name = "Providers, models and endpoints"
    name = "providers"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from exacto_site import secret_key  # noqa: F401  (registers the deploy check)
        from providers.api import schema  # noqa: F401  (registers the OpenAPI auth scheme)
