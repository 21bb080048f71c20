"""The Celery app. Without CELERY_BROKER_URL tasks run eagerly in-process."""

import os

from celery import Celery
from celery.signals import beat_init, worker_init
from django.core.exceptions import ImproperlyConfigured

from exacto_site.secret_key import require_real_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")

app = Celery("exacto_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@beat_init.connect
def _refuse_development_key(**kwargs):
    """Workers hash user ids with SECRET_KEY: never on the public development key.

    SystemExit, because Celery logs and swallows ordinary exceptions of signal handlers."""
    try:
        require_real_secret_key()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"ImproperlyConfigured: {exc}") from exc
