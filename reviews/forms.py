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


class ListDecisionForm(forms.Form):
    """One decision per nominee of a list, in one form: ``n<pk>-approved`` (yes/no) and ``n<pk>-comment``; a
    refusal needs its reason. Only the nominees given are decided; none may be left without a choice."""

    def __init__(self, *args, nominees, **kwargs):
        super().__init__(*args, **kwargs)
        self.nominees = list(nominees)
        for nominee in self.nominees:
            decision = getattr(nominee, "decision", None)
            self.fields[f"n{nominee.pk}-approved"] = forms.TypedChoiceField(
                label=_("Decision on %(unit)s") % {"unit": nominee.unit}, choices=DecisionForm.CHOICES,
                widget=forms.RadioSelect, coerce=lambda value: value == "yes",
                initial=None if decision is None else ("yes" if decision.approved else "no"),
                error_messages={"required": _("Choose approve or do not approve for %(unit)s.") % {"unit": nominee.unit}})
            self.fields[f"n{nominee.pk}-comment"] = forms.CharField(
                label=_("Comment or reason"), required=False, max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}), initial=decision.comment if decision else "",
                help_text=_("Required when the nominee is not approved; the bureau sees it."))

    def clean(self):
        cleaned = super().clean()
        for nominee in self.nominees:
            approved = cleaned.get(f"n{nominee.pk}-approved")
            comment = (cleaned.get(f"n{nominee.pk}-comment") or "").strip()
            cleaned[f"n{nominee.pk}-comment"] = comment
            if approved is False and not comment:
                self.add_error(f"n{nominee.pk}-comment",
                               _("Say why %(unit)s is not approved.") % {"unit": nominee.unit})
        return cleaned

    def rows(self):
        """(nominee, decision field, comment field) for the template."""
        return [(n, self[f"n{n.pk}-approved"], self[f"n{n.pk}-comment"]) for n in self.nominees]

    def decisions(self):
        return [(n, self.cleaned_data[f"n{n.pk}-approved"], self.cleaned_data[f"n{n.pk}-comment"]) for n in self.nominees]


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
