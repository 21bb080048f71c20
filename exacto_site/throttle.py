"""The one rate-limit mechanism (METHODOLOGY §9): both login pages and the feedback form.

Counters live in the shared cache (settings.CACHES: Redis or the database), so a limit holds
across every web worker, and are keyed by a keyed hash of the client address as seen through
the configured trusted proxies (never the proxy's own address, never the address in clear).
"""

import hashlib
import ipaddress
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render


@dataclass(frozen=True)
class Limit:
    """At most `allowed` hits per identity within `window` seconds (a fixed window)."""

    name: str
    allowed: int
    window: int

    def _key(self, ident: str) -> str:
        return f"limit:{self.name}:{ident}"

    def exceeded(self, ident: str) -> bool:
        return (cache.get(self._key(ident)) or 0) >= self.allowed

    def hit(self, ident: str) -> int:
        """Counts one hit; returns the count in the current window."""
        key = self._key(ident)
        if cache.add(key, 1, self.window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, self.window)
            return 1

    def reset(self, ident: str) -> None:
        cache.delete(self._key(ident))


def login_limit() -> Limit:
    return Limit("login", settings.EXACTO_LOGIN_MAX_FAILURES, settings.EXACTO_LOGIN_LOCK_SECONDS)


def feedback_limit() -> Limit:
    return Limit("feedback", settings.EXACTO_FEEDBACK_PER_HOUR, 3600)


def _networks(values) -> list:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            continue  # a typo in the setting trusts nothing rather than everything
    return networks


def _trusted(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or when that is a trusted proxy, the right-most
    X-Forwarded-For entry that is not one (entries left of it could be forged by the client)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks(settings.EXACTO_TRUSTED_PROXIES)
    if not networks or not _trusted(remote, networks):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address, networks):
            return address
    return remote


def client_ident(request, *extra: str) -> str:
    """A keyed hash of the client address (and extras such as a username): no address is
    stored in clear."""
    parts = ":".join([client_address(request), *extra])
    return hashlib.sha256(f"{settings.SECRET_KEY}:{parts}".encode()).hexdigest()


def login_ident(request) -> str:
    username = request.POST.get("username", "") if request.method == "POST" else ""
    return client_ident(request, username.strip().casefold())


def throttled_login(view):
    """Wraps a login view (the portal's, the admin's): a client address + username with too
    many failed attempts is refused (429) even with the right password until the lock ends;
    a success clears the count."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        limit, ident = login_limit(), login_ident(request)
        if limit.exceeded(ident):
            return render(request, "registration/locked.html", status=429)
        response = view(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back: wrong credentials
            limit.hit(ident)
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            limit.reset(ident)
        return response

    return wrapper
