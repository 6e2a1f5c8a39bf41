"""The words of the codes that audit records keep among their data: a list's state (``decided``), a year's phase
(``review`` → ``notice``), an address that was not known. The record keeps the code (the trail is evidence, and
a label may change); the audit trail shows the label in the person's language.

Each app registers the labels of its own codes, from its ``AppConfig.ready``: the app that writes a code knows its
words, and the audit trail's pages (security, a lower layer) read them here without importing the higher apps::

    audit_labels.register(("state",), ListState.choices)

A code without a registered label is shown as it is written."""

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

_LABELS: dict[str, dict[str, object]] = {}


def register(keys: Iterable[str], choices: Iterable[tuple[str, object]]) -> None:
    """Label the codes ``choices`` (pairs of code and label, as a ``TextChoices.choices``) written under each of the
    data keys ``keys``. A code registered twice for one key must keep its label."""
    for key in keys:
        labels = _LABELS.setdefault(key, {})
        for code, label in choices:
            if code in labels and str(labels[code]) != str(label):
                raise ValueError(f"audit data {key}={code!r} is labelled twice: {labels[code]!r} and {label!r}")
            labels[code] = label


def label(key: str, value) -> str | None:
    """The label of ``value`` written under ``key`` in the person's language, or None if it has none."""
    if not isinstance(value, str):
        return None
    found = _LABELS.get(key, {}).get(value)
    return None if found is None else str(found)


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
    labelled = label(key, value)
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


def details(data) -> list[tuple[str, str]]:
    """(label, value) pairs of a record's data, in the order written."""
    if not isinstance(data, dict):
        return [] if data in (None, "", {}) else [("", _value(data))]
    return [(str(DATA_LABELS.get(key, key)), _value(value, key)) for key, value in data.items()]
