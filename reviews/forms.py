from django import forms
from django.utils.translation import gettext_lazy as _

from measures.limits import ABSOLUTE_MAXIMUM


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reasons for return"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                             help_text=_("What the bureau must correct. The bureau sees this text."))

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class DecisionForm(forms.Form):
    CHOICES = [("yes", _("Approve")), ("no", _("Do not approve"))]

    approved = forms.TypedChoiceField(label=_("Decision"), choices=CHOICES, widget=forms.RadioSelect,
                                      coerce=lambda value: value == "yes")
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))


class CapExceptionForm(forms.Form):
    new_limit = forms.IntegerField(label=_("New limit"), min_value=2, max_value=ABSOLUTE_MAXIMUM,
                                   help_text=_("The number of awardees allowed for this category in this cycle"))
    reason = forms.CharField(label=_("Why the General Office allows an exception"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("Who decided (e.g. the meeting or the leader who approved) and why"))


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why the cycle is reopened"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class PublishForm(forms.Form):
    confirm = forms.BooleanField(label=_("I confirm: the decisions are final and the results become public"))
