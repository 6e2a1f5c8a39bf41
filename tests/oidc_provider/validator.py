import os

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """The provider's claims: a stable subject of its own (not the database id), the person's department code
    (OIDC_PROVIDER_DEPARTMENTS, "user:code,…"), and ``amr`` saying whether the person gave a second factor here
    (the users named in OIDC_PROVIDER_MFA_USERS do)."""

    oidc_claim_scope = None  # every claim below goes into the ID token

    def get_additional_claims(self, request):
        username = request.user.get_username()
        second_factor = username in os.environ.get("OIDC_PROVIDER_MFA_USERS", "").split(",")
        departments = dict(item.split(":", 1) for item in os.environ.get("OIDC_PROVIDER_DEPARTMENTS", "").split(",")
                           if ":" in item)
        return {"sub": f"gd-{username}", "preferred_username": username, "dept": departments.get(username, ""),
                "amr": ["pwd", "otp"] if second_factor else ["pwd"],
                "acr": "urn:gd:loa:3" if second_factor else "urn:gd:loa:1"}
