"""Public feedback form and the throttled login (the portal, which shows measurements,
lives in metrics/portal_views.py: providers never imports metrics)."""

import hashlib

from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import redirect, render

from .forms import FeedbackForm
from .services.feedback import client_key, over_limit, submit


def feedback(request):
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        client = client_key(request.META.get("REMOTE_ADDR", ""))
        if over_limit(client):
            form.add_error(None, "Too many reports from your connection in the last hour; "
                                 "please try again later.")
            return render(request, "providers/feedback.html", {"form": form}, status=429)
        if form.is_valid():
            submit(form.cleaned_data, client)
            return redirect("feedback-thanks")
        return render(request, "providers/feedback.html", {"form": form}, status=400)
    initial = {k: request.GET[k] for k in ("model", "provider") if k in request.GET}
    return render(request, "providers/feedback.html", {"form": FeedbackForm(initial=initial)})


def feedback_thanks(request):
    return render(request, "providers/feedback_thanks.html")


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
