"""Describes the API's authentication in the OpenAPI schema: `Authorization: Bearer <key>`
(or `Token <key>`), and reads that need none."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import permissions

from providers.api.permissions import ReadOrIngestScope


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "providers.api.auth.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "`Bearer <key>` or `Token <key>`; keys come from `manage.py create_api_token NAME "
            "--scope ingest|admin`.",
        }


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, knowing that our reads are open (API.md "Auth"): a GET under
    ReadOrIngestScope lists "no credentials" (`{}`) among its security requirements."""

    def get_auth(self):
        auths = super().get_auth()
        if (self.method in permissions.SAFE_METHODS and {} not in auths
                and any(isinstance(p, ReadOrIngestScope) for p in self.view.get_permissions())):
            auths.append({})
        return auths
