"""The audit trail as a person reads it: the object's kind in words, the details as labelled values (never a Python
dictionary, a model's code name or an id label)."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organisation import audit_labels

register = template.Library()

# The keys the services write most in ``AuditRecord.data``, in words; any other key is shown as it is written.
DATA_LABELS = {
    "cycle": gettext_lazy("Year"), "year": gettext_lazy("Year"), "category": gettext_lazy("Category"),
    "unit": gettext_lazy("Unit"), "nominees": gettext_lazy("Nominees"), "before": gettext_lazy("Before"),
    "version": gettext_lazy("Version"), "award": gettext_lazy("Award"), "awards": gettext_lazy("Awards"),
    "slot": gettext_lazy("Slot"), "state": gettext_lazy("State"), "list_state": gettext_lazy("State of the list"),
    "starts_on": gettext_lazy("Starts on"), "ends_on": gettext_lazy("Ends on"),
    "working_days": gettext_lazy("Working days"), "acknowledged": gettext_lazy("Acknowledged"),
    "evidence": gettext_lazy("Evidence"), "evidence_sha256": "SHA-256", "evidence_added": gettext_lazy("Evidence added"),
    "evidence_removed": gettext_lazy("Evidence removed"), "nothing_to_propose": gettext_lazy("Nothing to propose"),
    "departures": gettext_lazy("Departures from the ranking"), "comment": gettext_lazy("Comment"),
    "bureau": gettext_lazy("Bureau"), "lists": gettext_lazy("Lists"), "frozen": gettext_lazy("Awards frozen"),
    "printed_on": gettext_lazy("Printed on"), "pages": gettext_lazy("Pages"), "size": gettext_lazy("Size"),
    "address": gettext_lazy("Address"), "from": gettext_lazy("From"), "to": gettext_lazy("To"),
    "reason": gettext_lazy("Reason"), "approved": gettext_lazy("Approved"), "limit": gettext_lazy("Limit"),
    "sha256": "SHA-256", "ofd_sha256": "OFD SHA-256", "review": gettext_lazy("Review"),
    "pdf_size": gettext_lazy("PDF size"), "ofd_size": gettext_lazy("OFD size"),
    "sign_offs": gettext_lazy("Leaders' sign-offs"), "list": gettext_lazy("List"),
    "signed_off_by": gettext_lazy("Signed off by"), "signed_off_by_id": gettext_lazy("Signed off by (account)"),
    "signed_off_at": gettext_lazy("Signed off at"),
}


def _value(value, key: str = "") -> str:
    labelled = audit_labels.label(key, value)
    if labelled is not None:  # a code its app labelled (a list's state, a year's phase)
        return labelled
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, (list, tuple)):
        return "、".join(_value(v, key) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{DATA_LABELS.get(k, k)}：{_value(v, k)}" for k, v in value.items())
    return str(value)


@register.filter
def audit_details(data) -> list[tuple[str, str]]:
    """(label, value) pairs of a record's data, in the order written."""
    if not isinstance(data, dict):
        return [] if data in (None, "", {}) else [("", _value(data))]
    return [(str(DATA_LABELS.get(key, key)), _value(value, key)) for key, value in data.items()]


@register.filter
def audit_object(entry) -> str:
    """The record's object in words: its kind (the model's name in the person's language) and its description."""
    model = entry.target_type.model_class() if entry.target_type_id else None
    kind = str(model._meta.verbose_name) if model is not None else ""
    return " ".join(part for part in (kind, entry.target_repr) if part) or "—"


@register.filter
def audit_actor(entry) -> str:
    """Who acted, by their name (the system when nobody did; an account without a name by its role's words)."""
    if entry.actor_id is None:
        return _("System")
    return entry.actor.get_full_name() or _("Account without a name")
