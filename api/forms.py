from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Scope


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What the token is for"), max_length=100)
    scopes = forms.MultipleChoiceField(label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.READ])
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=90)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = settings.API_TOKEN_MAX_DAYS
        self.fields["days"].validators.append(forms.IntegerField(max_value=settings.API_TOKEN_MAX_DAYS).validators[-1])
        self.fields["days"].widget.attrs["max"] = settings.API_TOKEN_MAX_DAYS
