"""The project's one admin site: its titles, its throttled login page, and who may enter it.

It is the default site (``admin.site``) through ``incentives.apps.AdminConfig``, which replaces
``django.contrib.admin`` in INSTALLED_APPS (Django's documented way), so every ``admin.register`` of every app
registers on it. It lives here, the lowest layer that knows both halves of the rule of entry: the administrator
roles (``organisation.roles``) and the second factor (``security.policy``)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from incentives.version import __version__
from organisation.roles import can_enter_admin
from organisation.views import ThrottledAdminAuthenticationForm

from .policy import otp_step


class IncentivesAdminSite(admin.AdminSite):
    # Translated like every page (Chinese first), the admin's language switch included (templates/admin/base_site.html).
    site_header = _("Guangzhou supervision incentives system")
    site_title = _("Supervision incentives")
    index_title = _("System administration")
    # The admin's login page is throttled like the site's own, and admits administrators only.
    login_form = ThrottledAdminAuthenticationForm

    def has_permission(self, request):
        """Administrators only (superusers, or an administrator role with is_staff: ``can_enter_admin``), and only
        once their second factor is given, as django-otp's OTPAdminSite requires. Reviewers and clerks are sent
        to the admin's login page."""
        return can_enter_admin(request.user) and otp_step(request) is None

    def each_context(self, request):
        """Every admin page says the application's version in its footer (templates/admin/base_site.html)."""
        return {**super().each_context(request), "app_version": __version__}
