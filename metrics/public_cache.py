"""Public reads from a cache keyed by what they depend on, never by time (docs/design.md).

A public body (page, API read, route answer) depends on the model's public state — its
latest publication, snapshot, rotation and approval, catalogue entries, benchmark runs,
ignores, feedback counts — on the settings and code, and on the date (a public window ends
at min(today, published_until)). Each model's public state is one number,
`PublicVersion.version`, bumped in the same transaction by every write that changes it:
`bump()` from the services (recompute, ignores, benchmark runs) and the signal receivers
below for the catalogue rows those services and the admin save (publication, rotation,
approval, references, feedback). Pages across models key on the sum of all versions, which
moves whenever one does.

Only anonymous readers without credentials get cached bodies: a request with an
`Authorization` header, a reader the privacy rule (`Viewer`) does not call public, any other
logged-in user (the page names them) or pending flash messages is answered live, and its
body is never stored. Public answers carry a weak
`ETag` derived from the same key, so `If-None-Match` costs one version query and no
rendering; private answers carry `Cache-Control: private` and an ETag of their body.

Readers take the version before the data: a write that commits in between leaves newer
data under the older key, never older data under the newer one.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from metrics.models import BenchmarkRun, PoolOverride, PublicVersion
from providers.models import Endpoint, Feedback, LLMModel, Provider

# Entries are replaced by new keys rather than expired; the timeout only bounds how long an
# unused body occupies the cache.
TIMEOUT_SECONDS = 24 * 3600
PUBLIC_CACHE_CONTROL = "public, no-cache"
PRIVATE_CACHE_CONTROL = "private, no-cache"
# Headers of a rendered answer that are not stored with its body.
_UNSTORED_HEADERS = {"content-length", "etag", "cache-control", "vary"}

logger = logging.getLogger(__name__)


# --- Versions (writes) ---------------------------------------------------------------------

def bump(model_ids: Iterable[int | None]) -> None:
    """Marks the public state of these models as changed, inside the caller's transaction.

    One UPDATE when every row exists; rows are created (at a random start) on first use.
    """
    ids = sorted({int(i) for i in model_ids if i is not None})
    if not ids:
        return
    rows = PublicVersion.objects.filter(model_id__in=ids)
    if rows.update(version=F("version") + 1) < len(ids):
        # Insert the missing rows, then bump again: a concurrent first bump of the same
        # model waits on our insert and still moves the version after its own change.
        PublicVersion.objects.bulk_create(
            [PublicVersion(model_id=i, version=secrets.randbits(40)) for i in ids],
            ignore_conflicts=True,
        )
        rows.update(version=F("version") + 1)


def bump_provider(provider_id: int) -> None:
    bump(Endpoint.objects.filter(provider_id=provider_id).values_list("model_id", flat=True))


# --- Versions (reads) ----------------------------------------------------------------------

def model_version(slug: str) -> tuple[int, int] | None:
    """(model id, version) of the model with this slug; None if unknown or never bumped."""
    if not slug:  # a NUL never gets here: RejectNulMiddleware refuses it
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, v.version FROM {LLMModel._meta.db_table} m "  # noqa: S608 - our tables
            f"LEFT JOIN {PublicVersion._meta.db_table} v ON v.model_id = m.id WHERE m.slug = %s",
            [slug],
        )
        row = cursor.fetchone()
    if row is None or row[1] is None:
        return None
    return row[0], row[1]


def site_version() -> int | None:
    """The sum of every model's version: it moves whenever any model's public state does."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT SUM(version), COUNT(*) FROM {PublicVersion._meta.db_table}"  # noqa: S608
        )
        total, count = cursor.fetchone()
    return int(total) if count else None


# Scopes: what a view's public body depends on, as a version string (None: do not cache).
Scope = Callable[[HttpRequest, dict], str | None]


def model_kwarg(name: str = "slug") -> Scope:
    """The model named by a URL argument (model pages)."""
    def scope(request: HttpRequest, kwargs: dict) -> str | None:
        found = model_version(kwargs.get(name) or "")
        return f"m{found[0]}.{found[1]}" if found else None
    return scope


def model_param(name: str = "model") -> Scope:
    """The model named by a query parameter; a `:variant` suffix is not part of the slug."""
    def scope(request: HttpRequest, kwargs: dict) -> str | None:
        found = model_version((request.GET.get(name) or "").partition(":")[0])
        return f"m{found[0]}.{found[1]}" if found else None
    return scope


def site(request: HttpRequest, kwargs: dict) -> str | None:
    """Pages across models (home, providers, benchmarks)."""
    total = site_version()
    return f"s{total}" if total is not None else None


def model_param_or_site(name: str = "model") -> Scope:
    """One model when the parameter names one, else the whole site (exports)."""
    one = model_param(name)
    return lambda request, kwargs: one(request, kwargs) if request.GET.get(name) else site(
        request, kwargs)


# --- What else a body depends on -----------------------------------------------------------

_TOKEN: str | None = None
_CODE_ROOTS = ("templates", "metrics", "providers", "exacto_site")


def _code_digest() -> str:
    """A digest of the templates and code that render bodies: a deployment never serves a
    body rendered by the previous release from a shared cache."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    for root in _CODE_ROOTS:
        for path in sorted((base / root).rglob("*")):
            if path.suffix in (".py", ".html") and "migrations" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _settings_token() -> str:
    global _TOKEN
    if _TOKEN is None:
        knobs = sorted((name, repr(getattr(settings, name)))
                       for name in dir(settings) if name.startswith("EXACTO_"))
        _TOKEN = hashlib.sha256(repr((knobs, _code_digest())).encode()).hexdigest()[:16]
    return _TOKEN


def _settings_changed(**kwargs) -> None:
    global _TOKEN
    _TOKEN = None


setting_changed.connect(_settings_changed)


def _is_public_reader(request: HttpRequest) -> bool:
    """May this request share the cached public body? Only an anonymous reader: every
    reader the privacy rule (providers.visibility.Viewer) lets see unpublished figures is a
    signed-in user or an API key, and any signed-in page names its user (its menu)."""
    if "HTTP_AUTHORIZATION" in request.META:
        return False  # any key, valid or not, is answered live (and judged by the view)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
        return False
    return not (hasattr(request, "_messages") and len(get_messages(request)))


def _key(name: str, version: str, request: HttpRequest, args: tuple, kwargs: dict,
         params: tuple[str, ...]) -> str:
    parts = (name, version, timezone.now().date().isoformat(), _settings_token(), args,
             sorted(kwargs.items()), [(p, request.GET.getlist(p)) for p in params])
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:40]


def _not_modified(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 §13.1.2): W/ prefixes do not count.
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _rendered(response: HttpResponse) -> HttpResponse:
    render = getattr(response, "render", None)
    if callable(render):
        response = render() or response
    return response


def _with_headers(response: HttpResponse, etag: str, cache_control: str) -> HttpResponse:
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    # A shared HTTP cache must never hand a public body to a reader with credentials.
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response


def _live(view, request: HttpRequest, args, kwargs) -> HttpResponse:
    """A private (or uncacheable) reader: live figures, an ETag of the body, never stored."""
    response = _rendered(view(request, *args, **kwargs))
    if (request.method in ("GET", "HEAD") and response.status_code == 200
            and not response.streaming):
        etag = 'W/"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
        if _not_modified(request, etag):
            return _with_headers(HttpResponseNotModified(), etag, PRIVATE_CACHE_CONTROL)
        _with_headers(response, etag, PRIVATE_CACHE_CONTROL)
    return response


def _cache_get(cache, key: str):
    # The cache only saves work: when it fails (Redis down, a locked SQLite table) the
    # reader gets live figures, never an error.
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - any backend's failure is a miss
        logger.warning("public cache read failed; serving live figures", exc_info=True)
        return None


def _cache_set(cache, key: str, value) -> None:
    try:
        cache.set(key, value, TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - an unstored body is only recomputed next time
        logger.warning("public cache write failed", exc_info=True)


def _store():
    return caches[getattr(settings, "EXACTO_PUBLIC_CACHE_ALIAS", "default")]


def remembered(key: str | None, compute):
    """`compute()`, kept in the public cache under `key` (None: always computed). For parts
    of public pages whose key names everything they depend on, so that a cold page (after a
    recompute bumped its version) need not compute them again."""
    if key is None:
        return compute()
    cache = _store()
    found = _cache_get(cache, key)
    if found is None:
        found = compute()
        _cache_set(cache, key, found)
    return found


def public_read(name: str, scope: Scope, params: tuple[str, ...] = ()):
    """Wraps a view (a function or `APIView.as_view()`) so that public GETs come from the
    cache. `params` are the query parameters the body depends on."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "GET" or not _is_public_reader(request):
                return _live(view, request, args, kwargs)
            version = scope(request, kwargs)
            if version is None:  # unknown model or nothing versioned yet: the view decides
                return _live(view, request, args, kwargs)
            key = _key(name, version, request, args, kwargs, params)
            etag = f'W/"{key}"'
            if _not_modified(request, etag):
                return _with_headers(HttpResponseNotModified(), etag, PUBLIC_CACHE_CONTROL)
            cache = _store()
            hit = _cache_get(cache, f"exacto:pub:{key}")
            if hit is not None:
                headers, body = hit
                response = HttpResponse(body)
                for header, value in headers:
                    response[header] = value
                return _with_headers(response, etag, PUBLIC_CACHE_CONTROL)
            response = _rendered(view(request, *args, **kwargs))
            if (response.status_code != 200 or response.streaming or response.cookies
                    or request.META.get("CSRF_COOKIE_NEEDS_UPDATE")):
                return response  # errors, streams and bodies holding a token are not shared
            headers = [(h, v) for h, v in response.items() if h.lower() not in _UNSTORED_HEADERS]
            _cache_set(cache, f"exacto:pub:{key}", (headers, response.content))
            return _with_headers(response, etag, PUBLIC_CACHE_CONTROL)

        wrapper.public_cache_name = name
        return wrapper

    return decorate


# --- Catalogue rows saved by services and the admin ----------------------------------------
# Publication, rotation, references, approval and edits of names or routing names all save
# these rows (providers may not import metrics, so its services cannot call bump()).

def _endpoint_changed(sender, instance: Endpoint, **kwargs) -> None:
    bump([instance.model_id])


def _model_changed(sender, instance: LLMModel, **kwargs) -> None:
    bump([instance.pk])


def _provider_changed(sender, instance: Provider, **kwargs) -> None:
    bump_provider(instance.pk)


def _feedback_changed(sender, instance: Feedback, **kwargs) -> None:
    bump([instance.model_id])


def _by_endpoint_changed(sender, instance, **kwargs) -> None:
    model_id = (Endpoint.objects.filter(pk=instance.endpoint_id)
                .values_list("model_id", flat=True).first())
    bump([model_id])


def connect_signals() -> None:
    for model, receiver in ((Endpoint, _endpoint_changed), (LLMModel, _model_changed),
                            (Provider, _provider_changed), (Feedback, _feedback_changed),
                            (PoolOverride, _by_endpoint_changed),
                            (BenchmarkRun, _by_endpoint_changed)):
        uid = f"public_cache:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=uid + ":save")
        post_delete.connect(receiver, sender=model, dispatch_uid=uid + ":delete")
