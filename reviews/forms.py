from django import forms
from django.utils.translation import gettext_lazy as _

from incentives import params
from measures.limits import ABSOLUTE_MAXIMUM

from .services.notice import MAX_OBJECTION_GROUNDS


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


class BeginReviewForm(forms.Form):
    """Beginning the review closes submissions for good: the reviewer ticks that they know it (without script too)."""

    confirm = forms.BooleanField(
        label=_("I confirm: submissions close for good; no bureau can submit, withdraw or change a list any more"),
        error_messages={"required": _("Tick the confirmation to begin the review: submissions then close for good.")})


class NoticeStartForm(forms.Form):
    """Putting the proposed awardees on public notice publishes them: the reviewer ticks that they know it."""

    confirm = forms.BooleanField(
        label=_("I confirm: the proposed awardees are published for objections; the decisions can no longer change "
                "except by settling an objection"),
        error_messages={"required": _("Tick the confirmation to start the public notice.")})


class SettleForm(forms.Form):
    OUTCOMES = (("dismissed", _("Dismiss the objection")), ("upheld", _("Uphold it: withdraw the award")))
    outcome = forms.ChoiceField(label=_("Settlement"), choices=OUTCOMES, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    # Upholding withdraws the award for good: the reviewer ticks that they know it (the page names the unit).
    confirm_withdrawal = forms.BooleanField(label=_("I confirm: the award is withdrawn; this cannot be undone"),
                                            required=False)

    def __init__(self, *args, withdraws_award: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.withdraws_award = withdraws_award

    def clean(self):
        cleaned = super().clean()
        if self.withdraws_award and cleaned.get("outcome") == "upheld" and not cleaned.get("confirm_withdrawal"):
            self.add_error("confirm_withdrawal", _("Upholding the objection withdraws the award for good: tick the "
                                                   "confirmation, or dismiss the objection."))
        return cleaned


class ObjectionForm(forms.Form):
    """The public objection form. Only the shape is checked here; the service says what is wrong with the rest."""

    # The required fields say, all at once, what is missing, in the service's words (it checks them again).
    name = forms.CharField(label=_("Real name"), max_length=200, error_messages={
        "required": _("Give your real name: objections are taken only under a real name.")})
    contact = forms.CharField(label=_("Telephone or address"), max_length=400, error_messages={
        "required": _("Give a telephone number or an address where you can be reached.")})
    email = forms.CharField(label=_("E-mail address (to be told the outcome)"), max_length=254, required=False)
    award = forms.ChoiceField(label=_("Unit and category objected to"), error_messages={
        "required": _("Choose a unit that is proposed: only the proposed awardees on notice can be objected to."),
        "invalid_choice": _("Choose a unit that is proposed: only the proposed awardees on notice can be objected to.")})
    grounds = forms.CharField(label=_("Grounds"), max_length=MAX_OBJECTION_GROUNDS,
                              widget=forms.Textarea(attrs={"rows": 6}),
                              error_messages={"required": _("Say what you object to and why.")})
    evidence = forms.FileField(label=_("Evidence file (optional)"), required=False)

    def __init__(self, *args, awards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["award"].choices = [("", "—")] + [
            (str(a.pk), f"{a.shown_measure_numeral}、{a.category.code} {a.shown_category_name} — {a.shown_unit_name}")
            for a in awards]


class ObjectionLookupForm(forms.Form):
    """An objector asks where their objection stands: the receipt number and the contact they gave, both needed."""

    receipt = forms.CharField(label=_("Receipt number"), max_length=32,
                              error_messages={"required": _("Give the receipt number of your objection.")})
    contact = forms.CharField(label=_("Telephone or address given with the objection"), max_length=400,
                              error_messages={"required": _("Give the telephone number or address you gave.")})


class ExceptionGrantForm(forms.Form):

    new_limit = forms.CharField(label=_("New limit"), max_length=4,
                                help_text=_("The number of awardees allowed for this category in this cycle"))
    reason = forms.CharField(label=_("Reasons of the decision"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ExceptionRefuseForm(forms.Form):

    reason = forms.CharField(label=_("Why the request is refused"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ExceptionWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Why the exception is withdrawn"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class HigherAwardForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=[("state_council", _("State Council")), ("province", _("Province"))])
    document_number = forms.CharField(label=_("Awarding document"), max_length=64, help_text=_("e.g. 国办发〔2022〕21号"))
    higher_measure = forms.CharField(label=_("Measure won"), max_length=255)
    unit = forms.IntegerField(label=_("Unit"), min_value=1, max_value=params.ID_MAX, widget=forms.Select)
    awarded_on = forms.CharField(label=_("Date of the document"), max_length=10, help_text=_("YYYY-MM-DD"))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [("", "—")] + [(u.pk, str(u)) for u in units]


class AmountForm(forms.Form):
    amount = forms.CharField(label=_("Amount pledged (yuan)"), max_length=24)


class DisbursementForm(forms.Form):
    amount = forms.CharField(label=_("Amount disbursed (yuan)"), max_length=24)
    paid_on = forms.CharField(label=_("Disbursement date"), max_length=10, help_text=_("YYYY-MM-DD"))
    reference = forms.CharField(label=_("Reference"), max_length=128, help_text=_("The payment's document or voucher number"))


class RulesDecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reasons"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("Required to send the rules back"))


class ScreeningEventForm(forms.Form):
    """One event of the register of screening (负面清单). The service checks the rest (the unit's programme, the
    dates' order)."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    source_document = forms.CharField(label=_("Source document"), max_length=255,
                                      help_text=_("The document that records the event, e.g. its number and title"))
    occurred_on = forms.DateField(label=_("Date of the event"), widget=forms.DateInput(attrs={"type": "date"}))
    ended_on = forms.DateField(label=_("Lasted until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text=_("Empty: a single day (a finding not rectified lasts until it is)"))
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units, **kwargs):
        from .models import ScreeningEvent

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["kind"].choices = ScreeningEvent.Kind.choices


class ScreeningUploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))


class ScreeningSettleForm(forms.Form):
    OUTCOMES = (("kept", _("Keep the award, with the reason")), ("withdrawn", _("Withdraw the award")))
    outcome = forms.ChoiceField(label=_("Settlement"), choices=OUTCOMES, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
