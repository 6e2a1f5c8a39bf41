"""Forms of the list editor. They turn input into domain values; the rules are the services'."""

import datetime

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incentives import params
from measures import limits
from measures.evidence import ACCEPT_ATTRIBUTE
from measures.models import PolicyDocument
from organisation.models import Bureau

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
    """One row of the editor. An empty unit means an empty row.

    The unit is typed (``unit_name``): the chooser of ``static/js/site.js`` offers the matching units as the
    person types (``nominations:units``) and keeps the one chosen in ``unit``; without JavaScript the typed name
    is looked up when the draft is saved (``BaseNomineeFormSet.clean``)."""


    unit = forms.IntegerField(required=False, min_value=1, max_value=params.ID_MAX, widget=forms.HiddenInput(attrs={"data-chooser-value": ""}))
    unit_name = forms.CharField(
        label=_("Unit"), required=False, max_length=200,
        help_text=_("Type part of its name and choose it from the list, or type its name as shown, e.g. 天河区"),
        widget=forms.TextInput(attrs={"data-unique": "unit", "autocomplete": "off", "spellcheck": "false"}))
    # The row's position: the move buttons are the one ranking control, this field only carries the order.
    rank = forms.TypedChoiceField(label=_("Rank"), coerce=int, widget=forms.HiddenInput)
    achievements = forms.CharField(label=_("Achievements and results"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)
    figures = forms.CharField(label=_("Figures"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000,
                              help_text=_("Indicators and their values, where the measure has them"))
    departure_reason = forms.CharField(
        label=_("Why this unit departs from the ranking"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only where the list departs from the ranking of the category's criteria"))
    files = MultipleFileField(label=_("Add evidence files"), required=False,
                              help_text=_("PDF, images or office documents, at most %(size)s each")
                              % {"size": filesizeformat(settings.EVIDENCE_MAX_BYTES)})

    def __init__(self, *args, length: int = 1, chooser_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rank"].choices = [(str(r), str(r)) for r in range(1, length + 1)]
        if chooser_url:
            self.fields["unit_name"].widget.attrs.update({
                "data-chooser": chooser_url,
                "data-chooser-count": _("%s matching units: the arrow keys move through them, Enter chooses one."),
                "data-chooser-none": _("No unit of this category matches."),
                "aria-describedby": f"{self.auto_id % self.add_prefix('unit_name')}-help",
            })

    def typed_name(self) -> str | None:
        """The unit's name as typed, or None when the form did not send the field (a client posting ids only)."""
        if self.add_prefix("unit_name") not in self.data:
            return None
        return (self.cleaned_data.get("unit_name") or "").strip()

    def clean(self):
        cleaned = super().clean()
        # A unit without its achievements yet is a draft like any other: it is asked for at submission.
        if not cleaned.get("unit") and not (cleaned.get("unit_name") or "").strip() and cleaned.get("files"):
            self.add_error("files", _("Choose the unit these files are about."))
        return cleaned


class BaseNomineeFormSet(forms.BaseFormSet):
    """The editor's rows. ``resolver(ids=…, texts=…)`` (``nominations.selectors.units_resolve`` for the list's
    category) finds the rows' units in one query; ``units_by_id`` holds them once the formset is valid."""

    def __init__(self, *args, resolver=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resolver = resolver
        self.units_by_id = {}
        # A row beyond the limit can only come from a stale or tampered form: say the rule, not the mechanics.
        # The formset formats the message with %; the number is already in it.
        self.error_messages["too_many_forms"] = limits.list_length_message(limit=self.max_num).replace("%", "%%")

    def _resolve_units(self) -> None:
        """Each row's unit: the one chosen (its id) while the typed name is still that unit's, else the one the
        typed name names; a name that names no unit of the category, or several, is the row's error."""
        rows = []
        for form in self.forms:
            unit_id, text = form.cleaned_data.get("unit"), form.typed_name()
            if text == "":
                unit_id = form.cleaned_data["unit"] = None  # the name was cleared: the row is empty
            rows.append((form, unit_id, text))
        ids = [unit_id for _form, unit_id, _text in rows if unit_id]
        texts = [text for _form, _unit_id, text in rows if text]
        if not ids and not texts:
            return
        found = self.resolver(ids=ids, texts=texts)
        for form, unit_id, text in rows:
            chosen = found.by_id.get(unit_id) if unit_id else None
            if chosen is not None and text and text not in {chosen.label, chosen.name, chosen.full_name}:
                chosen = None  # typed over without choosing again (no JavaScript): the text decides
            if chosen is None and text:
                matches = found.by_text.get(text, [])
                if len(matches) == 1:
                    chosen = matches[0]
                elif not matches:
                    form.add_error("unit_name", forms.ValidationError(
                        _("No unit that this category rewards is called “%(text)s”: type part of its name and choose "
                          "it from the list."), code="unit_unknown", params={"text": text}))
                else:
                    form.add_error("unit_name", forms.ValidationError(
                        _("“%(text)s” names %(count)s units: type the name as the list shows it, e.g. %(example)s."),
                        code="unit_ambiguous",
                        params={"text": text, "count": len(matches), "example": "、".join(
                            sorted(u.label for u in matches)[:3])}))
                    continue
            elif chosen is None and unit_id:
                form.add_error("unit_name", forms.ValidationError(
                    _("This unit cannot be proposed in this category."), code="unit_not_allowed"))
            if chosen is not None:
                form.cleaned_data["unit"] = chosen.pk
                self.units_by_id[chosen.pk] = chosen
            else:
                form.cleaned_data["unit"] = None

    def clean(self):
        if any(self.errors):
            return
        if self.resolver is not None:
            self._resolve_units()
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
                                 absolute_max=length, validate_max=True)


class ListMetaForm(forms.Form):

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

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class SignOffForm(forms.Form):
    """The leader's decision on a list: sign it off, or send it back with the reasons (required then)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(label=_("Why it goes back to the clerk"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=4000, required=False)


class CommentForm(forms.Form):

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
