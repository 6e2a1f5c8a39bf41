"""The pages of one's own account that the security controls own (the password change with its history rule).
Included under accounts/ before the organisation's sign-in pages."""

from django.urls import path

from . import sign_on, views

urlpatterns = [
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    # Unified sign-on (security.sign_on): to the identity provider, and back. Not found when none is configured.
    path("oidc/authenticate/", sign_on.AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sign_on.CallbackView.as_view(), name="oidc_authentication_callback"),
]
