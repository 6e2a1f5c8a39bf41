from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from incentives import params
from organisation import roles


def ascii_code(value: str) -> None:
    """A code is typed in ASCII digits and letters: "²²²²²²" or "１２３４５６" are not the code shown."""
    code = value.replace(" ", "")
    if code and not (code.isascii() and code.isalnum()):
        raise ValidationError(_("Type the code with the digits 0–9 (and, for a recovery code, the letters a–z) as "
                                "shown."), code="not_ascii")


class TokenForm(forms.Form):
    token = forms.CharField(label=_("Code"), max_length=16, strip=True, validators=[ascii_code],
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                          "autofocus": True}),
                            help_text=_("The six digits your authenticator shows, or one of your recovery codes."))


class EnrolForm(forms.Form):
    token = forms.CharField(label=_("Code shown by the authenticator"), max_length=8, strip=True, validators=[ascii_code],
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class RolesExclusiveUserChangeForm(auth_forms.UserChangeForm):
    """The admin's form of a person: the three administrator roles exclude each other, and a superuser holds none."""

    def clean_groups(self):
        groups = self.cleaned_data.get("groups")
        if groups is not None:
            try:
                roles.check_roles_exclusive({group.name for group in groups})
                held = set(self.instance.groups.values_list("name", flat=True)) if self.instance.pk else set()
                roles.check_no_role_for_superuser(self.instance, {group.name for group in groups} - held)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return groups


class AuditSearchForm(forms.Form):
    actor = forms.CharField(label=_("Actor (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=64)
    target_type = forms.ModelChoiceField(label=_("Object type"), required=False,
                                         queryset=ContentType.objects.order_by("app_label", "model"))
    target_id = forms.IntegerField(label=_("Object id"), required=False, min_value=0, max_value=params.ID_MAX)
    target = forms.CharField(label=_("Object (a part of its name)"), required=False, max_length=255)
    since = forms.DateField(label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            validators=params.DATE_VALIDATORS)
    until = forms.DateField(label=_("Until (date, included)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}), validators=params.DATE_VALIDATORS)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise ValidationError(_("The first date is after the last one."), code="dates_reversed")
        return cleaned

