from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    verbose_name = "Providers, models and endpoints"
    name = "providers"
    default_auto_field = "django.db.models.BigAutoField"
