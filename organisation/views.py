from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import roles, selectors, throttle
from .access import door
from .account_signals import login_locked_out, login_refused_locked
from .models import Channel
from .throttle import client_address

__all__ = ["client_address", "ThrottledAuthenticationForm", "ThrottledAdminAuthenticationForm", "ThrottledLoginView",
           "ThrottledPasswordResetView", "UnlockingPasswordResetConfirmView", "home"]


class ThrottleMixin:
    """Refuses a sign-in while the account or the address is locked, and counts failures."""

    error_messages = {
        **auth_views.AuthenticationForm.error_messages,
        "locked": _("Too many failed sign-in attempts. Wait %(minutes)s minutes and try again, or reset your password."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request) if self.request else ""
        if throttle.login_locked(username, address):
            login_refused_locked.send(sender=type(self), username=username, address=address)
            minutes = max(1, -(-settings.LOGIN_FAILURE_WINDOW_SECONDS // 60))
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.login_failed(username, address)
            if throttle.login_locked(username, address):
                login_locked_out.send(sender=type(self), username=username, address=address)
            raise
        throttle.login_succeeded(username, address)
        return cleaned


class ThrottledAuthenticationForm(ThrottleMixin, auth_views.AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottleMixin, AdminAuthenticationForm):
    """The admin's own login page is throttled like ours, and admits administrators only."""

    error_messages = {**AdminAuthenticationForm.error_messages, **ThrottleMixin.error_messages}

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not roles.can_enter_admin(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                        params={"username": self.username_field.verbose_name})


class ThrottledLoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        # The identity provider's button (unified sign-on, security.sign_on) when one is configured; the password
        # form stays for the break-glass accounts when local passwords are off.
        return {**super().get_context_data(**kwargs), "sign_on": settings.OIDC_ENABLED,
                "local_passwords": settings.LOCAL_PASSWORDS}


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Answers as usual, but sends no more than a few mails per address asked for (see ``throttle``)."""

    def form_valid(self, form):
        if not throttle.password_reset_allowed(form.cleaned_data["email"], client_address(self.request)):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class UnlockingPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the link the lock message offers also lifts the account's sign-in lock."""

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.account_unlocked(form.user.get_username())
        return response


@door()
def home(request):
    """Each person lands on their own start page: a reviewer on the overview of every bureau and category,
    a clerk on their bureau's page, an expert on their panels, an administrator in the admin."""
    user = request.user
    if roles.is_reviewer(user):
        return redirect("reviews:queue")
    if roles.is_bureau_staff(user) or selectors.bureaus_of(user).exists():
        return redirect("nominations:home")
    if roles.is_audit_administrator(user):
        return redirect("security:audit")
    if roles.is_expert(user):
        return redirect("evaluation:panels")
    if roles.can_enter_admin(user):
        return redirect("admin:index")
    return redirect("measures:list")


class MessagingForm(forms.Form):
    channel = forms.ChoiceField(label=_("Messages reach me by"), choices=Channel.choices, widget=forms.RadioSelect)
    wecom_user_id = forms.CharField(label=_("My WeCom user id"), max_length=64, required=False)
    dingtalk_user_id = forms.CharField(label=_("My DingTalk user id"), max_length=64, required=False)


@door()
def messaging_profile(request):
    """The person's choice of channel for the application's messages: e-mail, WeCom or DingTalk."""
    from django.contrib import messages as flash
    from django.shortcuts import render
    from django.utils.translation import gettext

    from incentives.errors import DomainError

    from . import services
    from .models import MessagingProfile, ProgrammeMessaging

    profile = MessagingProfile.objects.filter(user=request.user).first()
    initial = {"channel": profile.channel if profile else Channel.EMAIL,
               "wecom_user_id": profile.wecom_user_id if profile else "",
               "dingtalk_user_id": profile.dingtalk_user_id if profile else ""}
    form = MessagingForm(request.POST or None, initial=initial)
    status, error = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                services.messaging_profile_set(actor=request.user, **form.cleaned_data)
            except DomainError as exc:
                status, error = 400, exc.message
            else:
                flash.success(request, gettext("Your choice is saved: the next messages follow it."))
                return redirect("messaging_profile")
        else:
            status = 400
    from . import channels

    programme = channels.programme_of(request.user)
    apps = ProgrammeMessaging.objects.filter(programme=programme).first() if programme else None
    offered = [choice for choice in Channel.values if choice == Channel.EMAIL or (apps and apps.offers(choice))]
    return render(request, "organisation/messaging.html", {"form": form, "error": error, "offered": offered},
                  status=status)
