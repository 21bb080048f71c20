"""The provider portal: a provider's own results, private ones included, and its responses."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from metrics.selectors.portal import portal_overview
from providers.forms import ProviderResponseForm
from providers.models import Endpoint, ProviderResponse, ProviderUser
from providers.services.responses import post_provider_response
from providers.visibility import Viewer


def provider_user_of(request) -> ProviderUser:
    try:
        return request.user.provider_user
    except ProviderUser.DoesNotExist as exc:
        raise PermissionDenied("This account does not act for a provider.") from exc


def _render_portal(request, provider, *, form=None, form_endpoint=None, status=200):
    portal = portal_overview(provider, Viewer.for_request(request))
    return render(request, "providers/portal.html", {
        "provider": portal.provider, "sections": portal.sections, "feedback": portal.feedback,
        "response_form": form, "form_endpoint_id": form_endpoint}, status=status)


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
