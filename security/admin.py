"""The security administrator's page of identity links (unified sign-on): a link is made and removed through the
services, so each leaves its audit record."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static import admin as otp_static_admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp import admin as otp_totp_admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import ClaimRule, IdentityLink


class IdentityLinkForm(forms.ModelForm):
    class Meta:
        model = IdentityLink
        fields = ("user", "issuer", "subject")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError(_("%(user)s is deactivated: an identity cannot be linked to it.")
                                        % {"user": user})
        return user


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    form = IdentityLinkForm
    list_display = ("user", "subject", "issuer", "linked_at", "linked_by", "last_used_at")
    search_fields = ("user__username", "user__first_name", "subject")
    list_select_related = ("user", "linked_by")
    autocomplete_fields = ("user",)

    def has_change_permission(self, request, obj=None):
        return False  # a link is made or removed, never edited: its audit record says which identity it was

    def get_changeform_initial_data(self, request):
        return {"issuer": settings.OIDC_OP_ISSUER, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        # The form checked the account and the pair's uniqueness (the model's constraint).
        obj.pk = services.identity_link(actor=request.user, user=obj.user, subject=obj.subject, issuer=obj.issuer).pk

    def delete_model(self, request, obj):
        services.identity_unlink(actor=request.user, link=obj)

    def delete_queryset(self, request, queryset):
        for link in queryset:
            services.identity_unlink(actor=request.user, link=link)


class ClaimRuleForm(forms.ModelForm):
    class Meta:
        model = ClaimRule
        fields = ("issuer", "claim", "value", "bureau")


@admin.register(ClaimRule)
class ClaimRuleAdmin(admin.ModelAdmin):
    """Rules from an identity's claim to a bureau: an unlinked identity matching one gets that bureau's staff
    account at its first sign-in through the identity provider."""

    form = ClaimRuleForm
    list_display = ("claim", "value", "bureau", "issuer", "created_by", "created_at")
    list_select_related = ("bureau", "created_by")
    autocomplete_fields = ("bureau",)

    def has_change_permission(self, request, obj=None):
        return False  # set or removed, never edited

    def get_changeform_initial_data(self, request):
        return {"issuer": settings.OIDC_OP_ISSUER, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        obj.pk = services.claim_rule_set(actor=request.user, claim=obj.claim, value=obj.value, bureau=obj.bureau,
                                         issuer=obj.issuer).pk

    def delete_model(self, request, obj):
        services.claim_rule_remove(actor=request.user, rule=obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset.select_related("bureau"):
            services.claim_rule_remove(actor=request.user, rule=rule)


# --- the second factors' pages ------------------------------------------------------------------------------------
# django-otp's pages head their groups of fields and explain their search box in English only, in strings it does
# not offer for translation: they are replaced here, as the stock pages of people and groups are (measures.admin),
# by the same pages saying those words in the person's language. The models' and fields' names are translated in
# SecurityConfig.ready.

SECOND_FACTOR_FIELDSETS = {
    "Identity": gettext_lazy("Device"),
    "Timestamps": gettext_lazy("Dates"),
    "Configuration": gettext_lazy("Configuration"),
    "State": gettext_lazy("State"),
    "Throttling": gettext_lazy("Failed attempts"),
}
SECOND_FACTOR_SEARCH = gettext_lazy("Search by the person's user name or e-mail address")


class SecondFactorWordsMixin:
    search_help_text = SECOND_FACTOR_SEARCH

    def get_fieldsets(self, request, obj=None):
        return [(SECOND_FACTOR_FIELDSETS.get(name, name), options)
                for name, options in super().get_fieldsets(request, obj)]


admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(TOTPDevice)
class AuthenticatorAppAdmin(SecondFactorWordsMixin, otp_totp_admin.TOTPDeviceAdmin):
    @admin.display(description=gettext_lazy("QR code"))
    def qrcode_link(self, device):
        return format_html('<a href="{}">{}</a>', reverse("admin:otp_totp_totpdevice_config", args=[device.pk]),
                           _("Show the QR code"))


@admin.register(StaticDevice)
class RecoveryCodesAdmin(SecondFactorWordsMixin, otp_static_admin.StaticDeviceAdmin):
    pass
