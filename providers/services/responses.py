"""Provider responses and disputes on their results, and admins' answers (one thread each)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import mail_admins
from django.db import transaction

from providers.models import Endpoint, ProviderResponse, ProviderUser


def provider_of(user):
    try:
        return user.provider_user.provider
    except (ProviderUser.DoesNotExist, AttributeError):
        return None


def _clean_links(links: str) -> str:
    return "\n".join(line.strip() for line in (links or "").splitlines() if line.strip())


@transaction.atomic
def post_provider_response(
    endpoint: Endpoint, user, text: str, links: str = "", parent: ProviderResponse | None = None
) -> ProviderResponse:
    """A provider user's response or dispute on one of its own provider's endpoints."""
    provider = provider_of(user)
    if provider is None or provider.pk != endpoint.provider_id:
        raise PermissionDenied("You can only respond about your own provider's endpoints.")
    if not text or not text.strip():
        raise ValidationError("A response needs text.")
    if parent is not None:
        if parent.endpoint_id != endpoint.pk:
            raise ValidationError("That thread belongs to another endpoint.")
        while parent.parent_id is not None:
            parent = parent.parent
    response = ProviderResponse.objects.create(
        endpoint=endpoint, parent=parent, author=user, from_admin=False, text=text.strip(),
        links=_clean_links(links),
    )
    transaction.on_commit(lambda: mail_admins(
        f"Provider response on {endpoint}", f"{user} wrote:\n\n{response.text}\n\n{response.links}",
        fail_silently=True,
    ))
    return response


@transaction.atomic
def post_admin_reply(parent: ProviderResponse, user, text: str, links: str = "") -> ProviderResponse:
    """An admin's answer in a provider's thread (visible to that provider in the portal)."""
    if not text or not text.strip():
        raise ValidationError("A reply needs text.")
    root = parent
    while root.parent_id is not None:
        root = root.parent
    return ProviderResponse.objects.create(
        endpoint_id=root.endpoint_id, parent=root, author=user, from_admin=True,
        text=text.strip(), links=_clean_links(links),
    )
