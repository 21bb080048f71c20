"""A change that decides a pool recomputes its model once the change commits (issue 13):
rotation changes, overrides and approvals, with trigger `change`. In-process here (no broker);
tests/system/test_make_run.py drives the same through make run's worker."""

import pytest

from metrics.models import PoolOverride, PoolSnapshot
from metrics.services.pools import recompute_model
from metrics.services.rotation import set_rotation
from providers.choices import ApprovalStatus
from tests.factories import EndpointFactory, LLMModelFactory, ProviderFactory

# In-process even when CI configures a broker: tests/system/test_make_run.py covers real workers.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def model():
    model = LLMModelFactory(slug="acme/changing")
    for slug in ("one", "two"):
        EndpointFactory(model=model, provider=ProviderFactory(slug=slug))
    recompute_model(model, trigger="command")
    return model


def latest(model) -> PoolSnapshot:
    return PoolSnapshot.objects.filter(model=model).order_by("-sequence").first()


def members(snapshot) -> set[str]:
    return {v.endpoint.provider.slug for v in snapshot.verdicts.select_related("endpoint__provider")
            if v.member}


def test_an_admin_removal_recomputes_the_model_after_commit(model, django_capture_on_commit_callbacks):
    assert members(latest(model)) == {"one", "two"}  # fallback: no calls yet, both in rotation
    endpoint = model.endpoints.get(provider__slug="one")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        set_rotation(endpoint, "admin_removed", "broken template")
        assert latest(model).sequence == 1  # not before the commit
    assert len(callbacks) == 1
    snapshot = latest(model)
    assert (snapshot.sequence, snapshot.trigger) == (2, "change")
    assert members(snapshot) == {"two"}


def test_an_override_saved_or_deleted_recomputes_the_model(model, django_capture_on_commit_callbacks):
    endpoint = model.endpoints.get(provider__slug="two")
    with django_capture_on_commit_callbacks(execute=True):
        override = PoolOverride.objects.create(endpoint=endpoint, action="force_out",
                                               reason="abuse report")
    assert members(latest(model)) == {"one"} and latest(model).trigger == "change"
    with django_capture_on_commit_callbacks(execute=True):
        override.delete()
    assert members(latest(model)) == {"one", "two"} and latest(model).sequence == 3


def test_approving_a_pending_provider_recomputes_its_models(model, django_capture_on_commit_callbacks):
    provider = ProviderFactory(slug="newhost", status=ApprovalStatus.PENDING)
    EndpointFactory(model=model, provider=provider)
    recompute_model(model, trigger="command")
    assert "newhost" not in members(latest(model))  # pending: never in a pool
    before = latest(model).sequence
    with django_capture_on_commit_callbacks(execute=True):
        provider.status = ApprovalStatus.APPROVED
        provider.save()
    assert latest(model).sequence == before + 1 and latest(model).trigger == "change"
    assert "newhost" in members(latest(model))


def test_saving_a_provider_without_touching_its_status_does_not_recompute(
        model, django_capture_on_commit_callbacks):
    provider = model.endpoints.get(provider__slug="one").provider
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        provider.website = "https://one.example"
        provider.save(update_fields=["website"])
    assert callbacks == [] and latest(model).sequence == 1
