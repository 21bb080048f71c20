"""Exacto settings: one module, every value from the environment.

Unset variables give the embedded default (SQLite file, tasks run in-process,
console email), so `make run` works on a bare machine. Every methodology knob
(METHODOLOGY.md) is an `EXACTO_*` setting with its documented default.
"""

import sys
from pathlib import Path
from urllib.parse import urlparse

import environ
import plotly

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Under pytest the test client and live server speak plain HTTP and static files come
# from the finders, whatever DEBUG says.
TESTING = "pytest" in sys.modules
# The development key only exists so a bare `make run` (and management commands such as
# makemigrations) work. It keys user hashes and signs cookies, so the web app and the Celery
# workers refuse to start on it with DEBUG off (exacto_site/secret_key.py), and
# `check --deploy` reports it as an error.
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 40
# Under pytest the settings load before any conftest can set the environment; the tests'
# own key is also what they hand to the Celery processes they start.
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    "test-secret-key-" + "t" * 40 if TESTING else DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "exacto_site.apps.ExactoAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "providers",
    "metrics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "exacto_site.middleware.BodySizeLimitMiddleware",
    "exacto_site.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "exacto_site.middleware.ApiOptionalSlashMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "exacto_site.urls"
WSGI_APPLICATION = "exacto_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'exacto.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the dev server and an in-process task share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "dashboard:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js is served from the installed plotly package: no CDN, same version as Python's.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="exacto@localhost")

# --- Security: strict unless DEBUG; `manage.py check --deploy` is clean in production.
_SECURE = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_SECURE)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_SECURE)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_SECURE)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- API
# 413 above this many bytes (API.md "Errors"); Django's own limit is kept just above it.
EXACTO_MAX_BODY_BYTES = env.int("EXACTO_MAX_BODY_BYTES", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = EXACTO_MAX_BODY_BYTES
EXACTO_MAX_BATCH_ITEMS = env.int("EXACTO_MAX_BATCH_ITEMS", default=1000)
# Deeper JSON bodies are refused with 400 before they reach any code (hostile input).
EXACTO_MAX_JSON_DEPTH = env.int("EXACTO_MAX_JSON_DEPTH", default=64)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "providers.api.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["providers.api.permissions.ReadOrIngestScope"],
    "DEFAULT_PARSER_CLASSES": ["exacto_site.json_body.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "exacto_site.api_errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "providers.api.schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Exacto API",
    "DESCRIPTION": "Tool-call telemetry, benchmark runs, ignore preferences and exacto routing "
    "(API contract version 1).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # 3.1: its schemas are JSON Schema 2020-12, so a nullable object is `oneOf [$ref, null]`
    # (3.0's `nullable` beside an `allOf` rejects null) and the batch items' schemas written
    # beside their parser (metrics/events.py) are used as they are.
    "OAS_VERSION": "3.1.0",
    # Choice sets used by several fields, named after their enum.
    "ENUM_NAME_OVERRIDES": {
        "ApprovalStatusEnum": "providers.choices.ApprovalStatus",
        "RotationStatusEnum": "providers.choices.RotationStatus",
        "TierEnum": "metrics.choices.Tier",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "metrics.api.schema.add_item_components",
    ],
}

# --- Celery: unset broker means tasks run eagerly in-process (embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")

# --- Cache shared by every web worker (METHODOLOGY §9: rate limits hold across workers):
# Redis when CACHE_URL (or a redis:// CELERY_BROKER_URL) is set, else the database cache,
# whose table a migration creates. The key prefix names the database, so two deployments
# (or two test runs) sharing one Redis never see each other's counters.
CACHE_URL = env.str("CACHE_URL", default="") or (
    CELERY_BROKER_URL if urlparse(CELERY_BROKER_URL).scheme in ("redis", "rediss") else ""
)
CACHE_KEY_PREFIX = env.str(
    "CACHE_KEY_PREFIX", default="exacto-" + Path(str(DATABASES["default"]["NAME"])).name
)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CACHE_URL, "KEY_PREFIX": CACHE_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                          "LOCATION": "exacto_cache", "KEY_PREFIX": CACHE_KEY_PREFIX}}
# Proxies whose X-Forwarded-For is believed (addresses or CIDR networks, comma-separated):
# the client address of a rate limit is the last address not among them. Empty: REMOTE_ADDR.
EXACTO_TRUSTED_PROXIES = env.list("EXACTO_TRUSTED_PROXIES", default=[])
# Logins (both login pages): this many failures per client address + username lock it for
# the lock time; feedback reports per client address per hour.
EXACTO_LOGIN_MAX_FAILURES = env.int("EXACTO_LOGIN_MAX_FAILURES", default=5)
EXACTO_LOGIN_LOCK_SECONDS = env.int("EXACTO_LOGIN_LOCK_SECONDS", default=15 * 60)
EXACTO_FEEDBACK_PER_HOUR = env.int("EXACTO_FEEDBACK_PER_HOUR", default=5)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# `filesystem://` (what `make run` uses) is Kombu's broker in a folder: real worker and beat
# processes without any server. It has no result store, and no results are needed.
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND",
    default=None if CELERY_BROKER_URL.startswith("filesystem:") else (CELERY_BROKER_URL or None),
)
QUEUE_DIR = Path(env.str("EXACTO_QUEUE_DIR", default=str(BASE_DIR / ".queue")))
if CELERY_BROKER_URL.startswith("filesystem:"):
    QUEUE_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(QUEUE_DIR), "data_folder_out": str(QUEUE_DIR),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="exacto")
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Methodology knobs (METHODOLOGY.md); defaults are the documented ones.
# §1 per-call validation time budget, and the bounded validator cache.
EXACTO_VALIDATION_BUDGET_MS = env.float("EXACTO_VALIDATION_BUDGET_MS", default=50.0)
EXACTO_VALIDATOR_CACHE_SIZE = env.int("EXACTO_VALIDATOR_CACHE_SIZE", default=1024)
# §1 work bounds per request: tool calls per event, and the validation time of a whole batch
# (an event past either is rejected with a reason saying it may be resent).
EXACTO_MAX_CALLS_PER_EVENT = env.int("EXACTO_MAX_CALLS_PER_EVENT", default=128)
EXACTO_BATCH_VALIDATION_BUDGET_MS = env.float("EXACTO_BATCH_VALIDATION_BUDGET_MS",
                                              default=2000.0)
# §9 event time: `created` at most this far in the future and in the past.
EXACTO_EVENT_MAX_FUTURE_SECONDS = env.int("EXACTO_EVENT_MAX_FUTURE_SECONDS", default=300)
EXACTO_EVENT_MAX_AGE_DAYS = env.int("EXACTO_EVENT_MAX_AGE_DAYS", default=90)
# §3 complexity buckets: simple <= 5, medium 6–15, complex > 15.
EXACTO_BUCKET_SIMPLE_MAX = env.int("EXACTO_BUCKET_SIMPLE_MAX", default=5)
EXACTO_BUCKET_MEDIUM_MAX = env.int("EXACTO_BUCKET_MEDIUM_MAX", default=15)
EXACTO_BUCKET_MIX_TVD_FLAG = env.float("EXACTO_BUCKET_MIX_TVD_FLAG", default=0.2)
# §4 window and large-customer cap.
EXACTO_WINDOW_DAYS = env.int("EXACTO_WINDOW_DAYS", default=7)
EXACTO_APP_DAILY_CAP = env.int("EXACTO_APP_DAILY_CAP", default=1000)
# Failing calls kept per endpoint × day × outcome for providers to debug.
EXACTO_FAILURE_SAMPLES_PER_DAY = env.int("EXACTO_FAILURE_SAMPLES_PER_DAY", default=20)
# Retention, expired daily by a periodic task (metrics/services/retention.py).
EXACTO_FAILURE_SAMPLE_RETENTION_DAYS = env.int("EXACTO_FAILURE_SAMPLE_RETENTION_DAYS", default=90)
EXACTO_EVENT_KEY_RETENTION_DAYS = env.int("EXACTO_EVENT_KEY_RETENTION_DAYS", default=30)
# Rollups, daily totals, speed and availability rollups: the longest read is 366 days (`days`
# of /data/ and the API) back from an endpoint's last published day, which an embargo of up to
# 365 days leaves behind today: 731 keeps every such window. Never less than
# EXACTO_EVENT_MAX_AGE_DAYS + 1 (days ingestion still writes to are never expired).
EXACTO_ROLLUP_RETENTION_DAYS = env.int("EXACTO_ROLLUP_RETENTION_DAYS", default=731)
# §6 default tolerance of a new benchmark (points).
EXACTO_DEFAULT_TOLERANCE = env.float("EXACTO_DEFAULT_TOLERANCE", default=3.0)
# §11 active probes: the default suite, the default schedule of an endpoint, how often beat
# looks for due probes, and the limits that keep a run from hanging. Where suites live is not
# an EXACTO_* figure (the methodology page lists those publicly, and this is a server path).
PROBE_SUITES_DIR = Path(env.str("PROBE_SUITES_DIR", default=str(BASE_DIR / "data" / "probes")))
EXACTO_PROBE_DEFAULT_SUITE = env.str("EXACTO_PROBE_DEFAULT_SUITE", default="exacto-core")
EXACTO_PROBE_EVERY_HOURS = env.int("EXACTO_PROBE_EVERY_HOURS", default=24)
EXACTO_PROBE_CHECK_SECONDS = env.int("EXACTO_PROBE_CHECK_SECONDS", default=900)
EXACTO_PROBE_CONCURRENCY = env.int("EXACTO_PROBE_CONCURRENCY", default=4)
EXACTO_PROBE_TIMEOUT_SECONDS = env.float("EXACTO_PROBE_TIMEOUT_SECONDS", default=120.0)
EXACTO_PROBE_DEADLINE_SECONDS = env.float("EXACTO_PROBE_DEADLINE_SECONDS", default=1800.0)
# §7 pool rules and the recompute period.
EXACTO_POOL_RECOMPUTE_SECONDS = env.int("EXACTO_POOL_RECOMPUTE_SECONDS", default=300)
EXACTO_POOL_MIN_CALLS = env.int("EXACTO_POOL_MIN_CALLS", default=200)
EXACTO_POOL_MIN_PROPENSITY_REQUESTS = env.int("EXACTO_POOL_MIN_PROPENSITY_REQUESTS", default=100)
EXACTO_POOL_ACCURACY_MARGIN = env.float("EXACTO_POOL_ACCURACY_MARGIN", default=0.005)
EXACTO_POOL_PROPENSITY_MAD_K = env.float("EXACTO_POOL_PROPENSITY_MAD_K", default=3.0)
EXACTO_POOL_PROPENSITY_MIN_HALFWIDTH = env.float(
    "EXACTO_POOL_PROPENSITY_MIN_HALFWIDTH", default=0.05
)
EXACTO_POOL_IGNORE_MEDIAN_FACTOR = env.float("EXACTO_POOL_IGNORE_MEDIAN_FACTOR", default=2.0)
EXACTO_POOL_IGNORE_FLOOR = env.float("EXACTO_POOL_IGNORE_FLOOR", default=0.01)
# §10 rule 6 (availability) and the throughput ordering inside the pool.
EXACTO_POOL_MIN_STATUS_REQUESTS = env.int("EXACTO_POOL_MIN_STATUS_REQUESTS", default=100)
EXACTO_POOL_MIN_UPTIME = env.float("EXACTO_POOL_MIN_UPTIME", default=0.95)
EXACTO_POOL_THROUGHPUT_MARGIN = env.float("EXACTO_POOL_THROUGHPUT_MARGIN", default=0.005)
# Publication embargo after an admin shares results with a provider.
EXACTO_EMBARGO_DAYS = env.int("EXACTO_EMBARGO_DAYS", default=7)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
