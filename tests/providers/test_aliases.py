"""The alias CSV reader shared by the importers and the admin-edited alias table."""

import pytest

from providers.models import ProviderAlias
from providers.services.aliases import load_alias_file


@pytest.mark.django_db
def test_alias_file_is_stored_under_the_lookup_key(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("alias,provider\nFireworks  AI,fireworks\nfireworks ai,fireworks\n",
                    encoding="utf-8")
    assert load_alias_file(path) == 1
    assert list(ProviderAlias.objects.values_list("alias", "provider__slug")) == [
        ("fireworks ai", "fireworks")]


@pytest.mark.django_db
def test_alias_file_naming_one_alias_with_two_providers_is_refused_whole(tmp_path):
    path = tmp_path / "aliases.csv"
    path.write_text("alias,provider\nAcme,acme\nGroq,groq\ngroq,other\n", encoding="utf-8")
    with pytest.raises(ValueError, match="maps to"):
        load_alias_file(path)
    assert not ProviderAlias.objects.exists()
