"""Path and query values a client may get wrong: NUL is a 400 everywhere (RejectNulMiddleware),
odd digits are not a 500, and an error without a field names none (API.md "Errors")."""

import pytest
from django.test import Client

from providers.models import LLMModel

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "/models/acme%00x/", "/models/acme/m%00/history/", "/data/?format=csv&model=a%00b",
    "/api/v1/endpoints/?model=acme/m%00", "/providers/x%00/",
])
def test_nul_in_path_or_query_is_a_400(url, ref_and_other):
    response = Client().get(url)
    assert response.status_code == 400


def test_non_ascii_digit_days_parameter_is_not_a_500(ref_and_other):
    assert Client().get("/data/", {"format": "csv", "days": "²"}).status_code == 200


def test_errors_without_a_field_do_not_name_one(ref_and_other):
    body = Client().get("/api/v1/endpoints/", {"model": "nope/x"}).json()
    assert body == {"error": "Unknown model 'nope/x'."}
    assert LLMModel.objects.count() == 1
