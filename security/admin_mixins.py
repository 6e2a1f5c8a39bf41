from django.contrib.admin.utils import unquote
from django.db import transaction

from . import services
from .forms import RolesExclusiveUserChangeForm


class AccountSecurityAdminMixin:
    """For the admin's page of people: the administrator roles exclude each other, and a password an
    administrator sets (a new account, or "change password") must be changed by its owner at the next sign-in."""

    form = RolesExclusiveUserChangeForm

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and obj.has_usable_password():
            services.password_set_by_other(actor=request.user, user=obj)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = self.get_object(request, unquote(id))
                if user is not None:
                    services.password_set_by_other(actor=request.user, user=user)
        return response
