"""Test-wide environment: set before Django reads its settings.

Tests talk plain HTTP to the test client and live server, and use finders for
static files instead of a collectstatic manifest.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("STATICFILES_BACKEND", "django.contrib.staticfiles.storage.StaticFilesStorage")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "t" * 40)
