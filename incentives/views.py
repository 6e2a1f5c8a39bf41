from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import roles, throttle


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class ThrottledAuthenticationForm(auth_views.AuthenticationForm):
    error_messages = {
        **auth_views.AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts. Wait 15 minutes and try again, or reset your password."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else ""
        if throttle.login_locked(username, address):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.login_failed(username, address)
            raise
        throttle.login_succeeded(username, address)
        return cleaned


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True


@login_required
def home(request):
    """Each person lands on their own start page."""
    user = request.user
    if roles.is_reviewer(user):
        return redirect("reviews:queue")
    if roles.is_bureau_staff(user) or user.memberships.exists():
        return redirect("nominations:home")
    if roles.is_administrator(user):
        return redirect("admin:index")
    return redirect("measures:list")


@require_GET
def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
