"""The evaluation's forms: they turn input into values; the services decide (``evaluation.services``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Aggregation, Direction, Method, Stake


class IndicatorForm(forms.Form):
    name = forms.CharField(label=_("Indicator"), max_length=128, required=False)
    method = forms.ChoiceField(label=_("How it is measured"), choices=[("", "—"), *Method.choices], required=False)
    weight = forms.CharField(label=_("Weight"), max_length=16, required=False)
    scale_min = forms.CharField(label=_("Lowest score"), max_length=20, required=False)
    scale_max = forms.CharField(label=_("Highest score"), max_length=20, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=[("", "—"), *Direction.choices], required=False)
    unit_of_measure = forms.CharField(label=_("Unit of measure"), max_length=32, required=False)
    data_source = forms.CharField(label=_("Data source"), max_length=255, required=False)
    evidence_required = forms.BooleanField(label=_("Evidence required"), required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any((data.get("name") or "").strip() or data.get(k) for k in ("method", "weight", "data_source"))


IndicatorFormSet = forms.formset_factory(IndicatorForm, extra=0, max_num=20, absolute_max=20, validate_max=True)


class CriteriaMetaForm(forms.Form):
    change_reason = forms.CharField(label=_("Why the criteria change"), required=False, max_length=4000,
                                    widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("Needed once the first value is entered: the change is a new version."))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("return", _("Send back"))])
    reason = forms.CharField(label=_("Reasons"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DeclarationForm(forms.Form):
    nothing = forms.BooleanField(label=_("I have nothing to declare for this year"), required=False)
    unit = forms.CharField(label=_("Unit"), required=False, max_length=128,
                           help_text=_("Its name as the register writes it, e.g. 海珠区"))
    stake = forms.ChoiceField(label=_("Stake"), required=False,
                              choices=[("", "—"), *[(v, label) for v, label in Stake.choices if v != Stake.NONE]])
    reason = forms.CharField(label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    indicator = forms.IntegerField(widget=forms.HiddenInput)
    unit = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("Evidence file"))


class PanelConveneForm(forms.Form):
    size = forms.IntegerField(label=_("Number of experts"), min_value=1, max_value=50, initial=5)
    fields = forms.MultipleChoiceField(label=_("Fields of expertise drawn from"), widget=forms.CheckboxSelectMultiple)
    aggregation = forms.ChoiceField(label=_("Aggregation"), choices=Aggregation.choices, initial=Aggregation.TRIMMED)
    spread_limit = forms.DecimalField(label=_("Largest accepted spread (points)"), min_value=0, max_value=100,
                                      decimal_places=2, initial=15,
                                      help_text=_("A candidate whose highest and lowest totals differ by more is "
                                                  "flagged for discussion."))

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields"].choices = [(name, name) for name in field_choices]


class PanelSettingsForm(forms.Form):
    aggregation = forms.ChoiceField(label=_("Aggregation"), choices=Aggregation.choices)
    spread_limit = forms.DecimalField(label=_("Largest accepted spread (points)"), min_value=0, max_value=100,
                                      decimal_places=2)
