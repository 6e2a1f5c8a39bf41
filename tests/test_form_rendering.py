"""The renderer that writes the stock widgets in Python (incentives.form_rendering) writes what the stock renderer
writes, character for character: the editor's and the review page's labels, ids and values stay as they were."""

from types import SimpleNamespace

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates

from incentives.form_rendering import DirectRenderer
from nominations.forms import CommentForm, ListMetaForm, NomineeRowForm, VersionForm, nominee_formset
from reviews.forms import DecisionForm, ExceptionGrantForm, ExceptionRefuseForm, ListDecisionForm, ReturnForm

TRICKY = 'a <b> & "c" \'d\''


class EveryWidget(forms.Form):
    text = forms.CharField(label=TRICKY, help_text=TRICKY, widget=forms.TextInput(attrs={"data-x": TRICKY}))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    number = forms.IntegerField(min_value=0, max_value=9)
    area = forms.CharField(widget=forms.Textarea(attrs={"rows": 2, "disabled": True, "readonly": False}), required=False)
    pick = forms.ChoiceField(choices=[("", "—"), ("1", TRICKY), ("group <g>", [("2", "two"), ("3", "three")])])
    radios = forms.ChoiceField(choices=[("yes", "Yes & <yes>"), ("no", "No")], widget=forms.RadioSelect)
    grouped = forms.ChoiceField(choices=[("g", [("1", "one")]), ("2", "two")], widget=forms.RadioSelect(attrs={"class": "c"}))
    boxes = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two")], widget=forms.CheckboxSelectMultiple,
                                      required=False)
    tick = forms.BooleanField(required=False)
    upload = forms.FileField(required=False)
    email = forms.EmailField(required=False)


def rendered(form) -> list[str]:
    parts = [str(form.non_field_errors())]
    for field in form:
        parts += [str(field), str(field.errors), field.label_tag(), str(field.id_for_label)]
    return parts


def both(make):
    return rendered(make(DjangoTemplates())), rendered(make(DirectRenderer()))


CASES = {
    "every widget, unbound": lambda r: EveryWidget(renderer=r, initial={"text": TRICKY, "pick": "2", "radios": "no",
                                                                          "boxes": [2], "tick": True, "area": TRICKY}),
    "every widget, with errors": lambda r: EveryWidget({"text": "", "number": "x", "pick": "9", "radios": "maybe",
                                                        "area": "<script>", "hidden": '"', "email": "no"}, renderer=r),
    "every widget, without ids": lambda r: EveryWidget(renderer=r, auto_id=False),
    "every widget, prefixed": lambda r: EveryWidget({"p-text": "x", "p-radios": "yes", "p-tick": "on"}, renderer=r,
                                                    prefix="p"),
    "editor row": lambda r: NomineeRowForm(renderer=r, prefix="rows-0", length=3,
                                           unit_choices=[(1, "越秀区"), (2, TRICKY)],
                                           initial={"unit": 2, "rank": 1, "achievements": TRICKY, "figures": "1\n2"}),
    "editor row, refused": lambda r: NomineeRowForm(
        {"rows-0-unit": "7", "rows-0-rank": "9", "rows-0-achievements": "x" * 5001},
        {"rows-0-files": [SimpleUploadedFile("a.pdf", b"%PDF")]}, renderer=r, prefix="rows-0", length=3,
        unit_choices=[(1, "越秀区")]),
    "editor meta": lambda r: ListMetaForm(renderer=r, evidence_ids=[3, 4],
                                          initial={"version": 2, "nothing_to_propose": True, "nothing_reason": TRICKY}),
    "editor meta, refused": lambda r: ListMetaForm({"version": "-1", "remove_evidence": ["9"]}, renderer=r,
                                                   evidence_ids=[3]),
    "version": lambda r: VersionForm(renderer=r, initial={"version": 5}),
    "comment, refused": lambda r: CommentForm({"text": ""}, renderer=r),
    "return, refused": lambda r: ReturnForm({"reason": ""}, renderer=r),
    "decision": lambda r: DecisionForm(renderer=r, prefix="n1"),
    "grant": lambda r: ExceptionGrantForm(renderer=r, initial={"new_limit": 4}),
    "refuse": lambda r: ExceptionRefuseForm(renderer=r),
}


@pytest.mark.parametrize("case", CASES)
def test_the_direct_renderer_writes_what_the_stock_renderer_writes(case):
    stock, direct = both(CASES[case])
    assert direct == stock
    assert any("<" in part for part in stock)  # something was rendered at all


def decision_nominees():
    decided = SimpleNamespace(pk=8, unit="海珠区 <x>", decision=SimpleNamespace(approved=False, comment=TRICKY))
    return [SimpleNamespace(pk=7, unit="越秀区"), decided]


@pytest.mark.parametrize("data", [None, {"n7-approved": "no", "n8-approved": "maybe"}])
def test_the_review_page_s_decision_form_is_written_alike(data):
    stock, direct = both(lambda r: ListDecisionForm(data, renderer=r, nominees=decision_nominees()))
    assert direct == stock
    assert 'type="radio"' in "".join(direct) and "<textarea" in "".join(direct)


def test_the_editor_s_rows_and_their_management_form_are_written_alike():
    formset_class = nominee_formset(3)

    def page(renderer):
        formset = formset_class(prefix="rows", initial=[{"unit": 1, "rank": 1}, {"rank": 2}, {"rank": 3}],
                                form_kwargs={"unit_choices": [(1, "越秀区"), (2, "海珠区")], "length": 3})
        formset.renderer = renderer
        for form in formset.forms:
            form.renderer = renderer
        return [str(formset.management_form), *[part for form in formset.forms for part in rendered(form)]]

    stock, direct = page(DjangoTemplates()), page(DirectRenderer())
    assert direct == stock
    assert isinstance(formset_class(prefix="rows", form_kwargs={"length": 3}).forms[0].renderer, DirectRenderer)


def test_a_file_input_with_a_current_file_is_left_to_the_stock_renderer():
    class WithFile(forms.Form):
        upload = forms.FileField(required=False)

    current = SimpleNamespace(url="/media/x.pdf")
    stock, direct = both(lambda r: WithFile(renderer=r, initial={"upload": current}))
    assert direct == stock
