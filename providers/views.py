"""Public feedback form and the provider portal (a provider's own data only)."""

import hashlib

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .forms import FeedbackForm, ProviderResponseForm
from .models import Endpoint, Feedback, ProviderResponse, ProviderUser
from .services.responses import post_provider_response

FEEDBACK_LIMIT = 5  # per client per hour
FEEDBACK_WINDOW = 3600


def _client_hash(request) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()


def feedback(request):
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        client = _client_hash(request)
        key = f"feedback:{client}"
        if cache.get(key, 0) >= FEEDBACK_LIMIT:
            form.add_error(None, "Too many reports from your connection in the last hour; "
                                 "please try again later.")
            return render(request, "providers/feedback.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            Feedback.objects.create(
                model=data["model"], provider=data["provider"], endpoint=data.get("endpoint"),
                category=data["category"], description=data["description"],
                request_id=data["request_id"], email=data["email"], client_hash=client,
            )
            cache.set(key, cache.get(key, 0) + 1, FEEDBACK_WINDOW)
            return redirect("feedback-thanks")
        return render(request, "providers/feedback.html", {"form": form}, status=400)
    initial = {k: request.GET[k] for k in ("model", "provider") if k in request.GET}
    return render(request, "providers/feedback.html", {"form": FeedbackForm(initial=initial)})


def feedback_thanks(request):
    return render(request, "providers/feedback_thanks.html")


def provider_user_of(request) -> ProviderUser:
    try:
        return request.user.provider_user
    except ProviderUser.DoesNotExist as exc:
        raise PermissionDenied("This account does not act for a provider.") from exc


def _render_portal(request, provider, *, form=None, form_endpoint=None, status=200):
    from metrics.selectors.portal import portal_overview

    context = portal_overview(provider, request)
    context.update({"response_form": form, "form_endpoint_id": form_endpoint})
    return render(request, "providers/portal.html", context, status=status)


@login_required
def portal_home(request):
    membership = provider_user_of(request)
    return _render_portal(request, membership.provider)


@login_required
@require_POST
def portal_respond(request, endpoint_id: int):
    """A provider user's response or dispute on one of its own endpoints (404 for others')."""
    membership = provider_user_of(request)
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id, provider=membership.provider)
    form = ProviderResponseForm(request.POST)
    if form.is_valid():
        parent = None
        if form.cleaned_data.get("parent"):
            parent = get_object_or_404(ProviderResponse, pk=form.cleaned_data["parent"],
                                       endpoint=endpoint)
        try:
            post_provider_response(endpoint, request.user, form.cleaned_data["text"],
                                   form.cleaned_data["links"], parent=parent)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(reverse("portal:home") + f"#endpoint-{endpoint.pk}")
    return _render_portal(request, membership.provider, form=form, form_endpoint=endpoint.pk,
                          status=400)


LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_SECONDS = 15 * 60


def _login_key(request, username: str) -> str:
    ip = request.META.get("REMOTE_ADDR", "")
    ident = hashlib.sha256(f"{ip}:{(username or '').strip().casefold()}".encode()).hexdigest()
    return f"login-failures:{ident}"


class ThrottledLoginView(auth_views.LoginView):
    """Login that locks an IP + username pair for 15 minutes after 5 failed attempts.

    While locked, even the right password is refused (429), so guessing cannot go on.
    """

    redirect_authenticated_user = True

    def _key(self):
        return _login_key(self.request, self.request.POST.get("username", ""))

    def post(self, request, *args, **kwargs):
        if cache.get(self._key(), 0) >= LOGIN_MAX_FAILURES:
            form = self.get_form_class()(request, initial={
                "username": request.POST.get("username", "")})
            context = self.get_context_data(form=form, locked=True)
            return self.render_to_response(context, status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        key = self._key()
        if cache.add(key, 1, LOGIN_LOCK_SECONDS) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, LOGIN_LOCK_SECONDS)
            else:
                cache.touch(key, LOGIN_LOCK_SECONDS)
        return super().form_invalid(form)

    def form_valid(self, form):
        cache.delete(self._key())
        return super().form_valid(form)
