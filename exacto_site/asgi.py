import os

from django.core.asgi import get_asgi_application

from exacto_site.secret_key import require_real_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exacto_site.settings")
application = get_asgi_application()

require_real_secret_key()
