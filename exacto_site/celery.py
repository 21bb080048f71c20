"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")

app = Celery("exacto_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
