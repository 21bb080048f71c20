import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")
application = get_wsgi_application()
# Everything loaded so far lives as long as the process: keep it out of the cyclic GC's
# full collections, which otherwise rescan it during every large ingest batch.
gc.freeze()
