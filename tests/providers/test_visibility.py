"""The one privacy rule: who a request's reader is, and what that reader may read."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from providers.choices import ApprovalStatus
from providers.models import ApiToken, ProviderUser
from providers.visibility import Viewer
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def request_as(user=None, token=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    if token is not None:
        request.auth = token
    return request


def test_readers_of_a_request():
    own = ProviderFactory(slug="own")
    users = get_user_model().objects
    staff = users.create_user("staff", password="pw-12345-x", is_staff=True)
    member = users.create_user("member", password="pw-12345-x")
    ProviderUser.objects.create(user=member, provider=own)
    stranger = users.create_user("stranger", password="pw-12345-x")
    admin_key, _ = ApiToken.issue("a", "admin")
    ingest_key, _ = ApiToken.issue("i", "ingest")

    assert Viewer.for_request(request_as()) == Viewer.public()
    assert Viewer.for_request(request_as(staff)) == Viewer.everything()
    assert Viewer.for_request(request_as(member)) == Viewer(provider_ids=frozenset([own.pk]))
    assert Viewer.for_request(request_as(stranger)).is_public
    assert Viewer.for_request(request_as(token=admin_key)).is_admin
    # A key speaks for itself, whoever is signed in beside it.
    assert Viewer.for_request(request_as(staff, token=ingest_key)).is_public


def test_unpublished_figures_and_reasons_are_the_owners_and_admins():
    model = LLMModelFactory(slug="acme/vis")
    mine = EndpointFactory(model=model, provider=ProviderFactory(slug="mine"))
    theirs = EndpointFactory(model=model, provider=ProviderFactory(slug="theirs"))
    owner = Viewer(provider_ids=frozenset([mine.provider_id]))

    assert (owner.sees_unpublished(mine), owner.sees_unpublished(theirs)) == (True, False)
    assert (owner.sees_reasons(mine), owner.sees_reasons(theirs)) == (True, False)
    assert Viewer.everything().sees_reasons(theirs)
    assert not Viewer.public().sees_unpublished(mine)


def test_a_pending_model_is_known_to_admins_only():
    pending = LLMModelFactory(slug="acme/pending", status=ApprovalStatus.PENDING)
    assert Viewer.everything().knows(pending)
    assert not Viewer.public().knows(pending)
    assert not Viewer(provider_ids=frozenset([1])).knows(pending)
