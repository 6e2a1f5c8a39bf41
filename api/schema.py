"""How drf-spectacular describes the API's ways in (loaded by ``api.apps``)."""

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "gzi_…",
                "description": "A personal token, created by its owner at /api/tokens/ with scopes and an expiry."}


class OwnSessionScheme(SessionScheme):
    target_class = "api.authentication.SessionAuthentication"
