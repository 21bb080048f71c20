"""Public feedback form and the provider portal (a provider's own data only)."""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from .forms import FeedbackForm
from .models import Feedback, ProviderUser

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


@login_required
def portal_home(request):
    from metrics.selectors.portal import portal_overview

    membership = provider_user_of(request)
    return render(request, "providers/portal.html",
                  portal_overview(membership.provider, request))
