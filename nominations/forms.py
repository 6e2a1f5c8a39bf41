"""Forms of the list editor. They turn input into domain values; the rules are the services'."""

import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incentives.form_rendering import DirectRenderer
from measures import limits
from measures.models import PolicyDocument
from organisation.models import Bureau

from .evidence import ACCEPT_ATTRIBUTE
from .models import BEIJING

# The years a cycle, its dates and its extensions may fall in. Far outside them a date is a typing mistake, and near
# year 1 or 9999 it cannot even be converted between Beijing time and UTC (OverflowError).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise forms.ValidationError(_("Enter a year from %(first)s to %(last)s."), code="year_out_of_range",
                                    params={"first": FIRST_YEAR, "last": LAST_YEAR})


class BeijingDateTimeField(forms.DateTimeField):
    """Entered and shown in Beijing time, whatever the server's TIME_ZONE; years outside FIRST_YEAR..LAST_YEAR
    are a field error."""

    widget = forms.DateTimeInput(format="%Y-%m-%d %H:%M:%S")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"])
        kwargs.setdefault("help_text", _("Beijing time, e.g. 2026-03-31 23:59:59"))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime) and timezone.is_aware(value):
            return value.astimezone(BEIJING).replace(tzinfo=None)
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip()
            # Checked before the conversion to an aware time, which overflows for year 1 or 9999.
            for fmt in self.input_formats:
                try:
                    check_year(datetime.datetime.strptime(value, fmt).year)
                except ValueError:
                    continue
        elif isinstance(value, datetime.datetime):
            check_year(value.year)
        with timezone.override(BEIJING):
            return super().to_python(value)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NomineeRowForm(forms.Form):
    """One row of the editor. An empty unit means an empty row."""

    default_renderer = DirectRenderer  # the editor's and the list page's widgets, written in Python

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, required=False, empty_value=None,
                                  widget=forms.Select(attrs={"data-unique": "unit"}))
    # The row's position: the move buttons are the one ranking control, this field only carries the order.
    rank = forms.TypedChoiceField(label=_("Rank"), coerce=int, widget=forms.HiddenInput)
    achievements = forms.CharField(label=_("Achievements and results"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    figures = forms.CharField(label=_("Figures"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                              help_text=_("Indicators and their values, where the measure has them"))
    files = MultipleFileField(label=_("Add evidence files"), required=False,
                              help_text=_("PDF, images or office documents, at most %(size)s each")
                              % {"size": filesizeformat(settings.EVIDENCE_MAX_BYTES)})

    def __init__(self, *args, unit_choices=(), length: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("— none —")), *unit_choices]
        self.fields["rank"].choices = [(str(r), str(r)) for r in range(1, length + 1)]

    def clean(self):
        cleaned = super().clean()
        # A unit without its achievements yet is a draft like any other: it is asked for at submission.
        if not cleaned.get("unit") and cleaned.get("files"):
            self.add_error("files", _("Choose the unit these files are about."))
        return cleaned


class BaseNomineeFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A row beyond the limit can only come from a stale or tampered form: say the rule, not the mechanics.
        # The formset formats the message with %; the number is already in it.
        self.error_messages["too_many_forms"] = limits.list_length_message(limit=self.max_num).replace("%", "%%")

    def clean(self):
        if any(self.errors):
            return
        ranks = [f.cleaned_data["rank"] for f in self.forms if f.cleaned_data.get("unit")]
        if len(ranks) != len(set(ranks)):
            raise forms.ValidationError(_("Two nominees cannot share a rank."))
        units = [f.cleaned_data["unit"] for f in self.forms if f.cleaned_data.get("unit")]
        if len(units) != len(set(units)):
            raise forms.ValidationError(_("A unit can be proposed only once."))


def nominee_formset(length: int):
    """The editor's rows for a list that may hold ``length`` nominees (``measures.limits.list_length``)."""
    return forms.formset_factory(NomineeRowForm, formset=BaseNomineeFormSet, extra=0, min_num=length, max_num=length,
                                 absolute_max=length, validate_max=True, renderer=DirectRenderer())


class ListMetaForm(forms.Form):
    default_renderer = DirectRenderer  # the editor's and the list page's widgets, written in Python

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    nothing_to_propose = forms.BooleanField(label=_("Our bureau has nobody to propose this year"), required=False)
    nothing_reason = forms.CharField(label=_("Why nobody is proposed"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    remove_evidence = forms.TypedMultipleChoiceField(label=_("Remove"), coerce=int, required=False,
                                                     widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, evidence_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove_evidence"].choices = [(pk, pk) for pk in evidence_ids]


class VersionForm(forms.Form):
    default_renderer = DirectRenderer  # the editor's and the list page's widgets, written in Python

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class CommentForm(forms.Form):
    default_renderer = DirectRenderer  # the editor's and the list page's widgets, written in Python

    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class CycleOpenForm(forms.Form):
    year = forms.IntegerField(label=_("Performance year"), min_value=2000, max_value=2100)
    deadline = BeijingDateTimeField(label=_("Deadline"), required=False,
                                    help_text=_("Beijing time; empty: 31 March of the next year, 23:59:59"))
    opens_at = BeijingDateTimeField(label=_("Opens at"), required=False, help_text=_("Beijing time; empty: now"))
    document = forms.ModelChoiceField(label=_("Policy document"), queryset=PolicyDocument.objects.all(), required=False,
                                      help_text=_("Empty: the document in force"))


class ExtensionForm(forms.Form):
    bureau = forms.ModelChoiceField(label=_("Bureau"), queryset=Bureau.objects.filter(is_active=True))
    new_deadline = BeijingDateTimeField(label=_("New deadline"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ExceptionRequestForm(forms.Form):
    """A bureau's request for more awardees than ``category``'s cap; the bounds are ``measures.limits``'."""

    default_renderer = DirectRenderer  # the editor's and the list page's widgets, written in Python

    requested_limit = forms.CharField(label=_("Awardees asked for"), max_length=4)
    reason = forms.CharField(label=_("Why the category needs more awardees"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, category, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_limit"].help_text = _("More than the cap of %(cap)s, at most %(max)s") % {
            "cap": category.cap, "max": limits.ABSOLUTE_MAXIMUM}


class RulesForm(forms.Form):
    bureau = forms.ModelChoiceField(label=_("Bureau"), queryset=Bureau.objects.none(), empty_label=None)
    title = forms.CharField(label=_("Title of the implementation rules"), max_length=255)
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
                           help_text=_("PDF, images or office documents, as for evidence"))

    def __init__(self, *args, bureaus=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bureau"].queryset = Bureau.objects.filter(pk__in=[b.pk for b in bureaus])
