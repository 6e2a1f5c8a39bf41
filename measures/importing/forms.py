from django import forms
from django.utils.translation import gettext_lazy as _

from measures.models import PolicyDocument
from organisation.models import Programme


class TargetDocumentForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), required=False,
        help_text=_("The importing programme: names bind to its bureaus only. Empty: the default programme."))
    document = forms.ModelChoiceField(
        label=_("Update the measures of"), queryset=PolicyDocument.objects.all(), required=False,
        help_text=_("Leave empty and give a number below to create a new policy document."))
    new_number = forms.CharField(label=_("New document number"), max_length=64, required=False,
                                 help_text=_("e.g. 穗府办〔2022〕30号"))
    new_title = forms.CharField(label=_("New document title"), max_length=255, required=False)
    create_bureaus = forms.BooleanField(
        label=_("Create the bureaus the file names but the catalogue does not know"), required=False,
        help_text=_("They are created with their name as full name, marked unconfirmed."))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("document") and not cleaned.get("new_number"):
            raise forms.ValidationError(_("Choose the document to update, or give the number of a new one."))
        if cleaned.get("document") and cleaned.get("new_number"):
            raise forms.ValidationError(_("Either update a document or create a new one, not both."))
        programme = cleaned.get("programme")
        if programme and cleaned.get("document") and cleaned["document"].programme_id != programme.pk:
            raise forms.ValidationError(_("The document to update belongs to another programme."))
        return cleaned


class MeasuresUploadForm(TargetDocumentForm):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))
    field_order = ["file", "programme", "document", "new_number", "new_title", "create_bureaus"]


class NoticeUploadForm(TargetDocumentForm):
    file = forms.FileField(label=_("Notice (.txt or .docx)"), required=False)
    text = forms.CharField(label=_("…or paste its text"), widget=forms.Textarea(attrs={"rows": 12, "cols": 100}), required=False)
    issuer = forms.CharField(label=_("Issuer"), max_length=128, required=False,
                             help_text=_("Read from the notice's closing lines when left empty."))
    supersedes = forms.ModelChoiceField(label=_("Replaces"), queryset=PolicyDocument.objects.all(), required=False)
    categories_from = forms.ModelChoiceField(
        label=_("Split measures into categories as in"), queryset=PolicyDocument.objects.all(), required=False,
        help_text=_("Optional: the text alone gives one category per measure (one per bureau where it says 按职责分别负责)."))
    field_order = ["file", "text", "programme", "document", "new_number", "new_title", "issuer", "supersedes", "categories_from",
                   "create_bureaus"]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(_("Upload the notice or paste its text."))
        return cleaned


class OrganisationUploadForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx or .csv)"))
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.all(), required=False,
        help_text=_("The importing programme: names bind to its bureaus only. Empty: the default programme."))
