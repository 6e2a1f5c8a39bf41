"""The admin behind the second factor, and the page of people with the rules of accounts (三员分立, passwords set
by someone else). Registered after the organisation's admin (INSTALLED_APPS order), which it extends."""

from django.contrib import admin
from django.contrib.auth import get_user_model

from organisation.roles import can_enter_admin

from .admin_mixins import AccountSecurityAdminMixin
from .policy import otp_step


def _administrators_with_second_factor(request):
    """Administrators only (``can_enter_admin``), and only once their second factor is given, as django-otp's
    OTPAdminSite requires."""
    return can_enter_admin(request.user) and otp_step(request) is None


admin.site.has_permission = _administrators_with_second_factor

User = get_user_model()
_person_admin = type(admin.site._registry[User])
admin.site.unregister(User)
admin.site.register(User, type(_person_admin.__name__, (AccountSecurityAdminMixin, _person_admin),
                               {"__module__": __name__}))
