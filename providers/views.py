"""Public feedback form (the portal, which shows measurements, lives in
metrics/portal_views.py: providers never imports metrics; the login's lock is
exacto_site.throttle's, wrapped around Django's login view in urls.py)."""

from django.shortcuts import redirect, render

from exacto_site.throttle import client_ident, feedback_limit

from .forms import FeedbackForm
from .services.feedback import submit


def feedback(request):
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        client = client_ident(request)
        if feedback_limit().exceeded(client):
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
