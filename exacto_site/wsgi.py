import gc
import os

from django.core.wsgi import get_wsgi_application

from exacto_site.secret_key import require_real_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")
application = get_wsgi_application()

require_real_secret_key()
# Everything loaded so far lives as long as the process: keep it out of the cyclic GC's
# full collections, which otherwise rescan it during every large ingest batch.
gc.freeze()
