"""The words of the codes that audit records keep among their data: a list's state (``decided``), a year's phase
(``review`` → ``notice``), an address that was not known. The record keeps the code (the trail is evidence, and
a label may change); the audit trail shows the label in the person's language.

Each app registers the labels of its own codes, from its ``AppConfig.ready``: the app that writes a code knows its
words, and the audit trail's pages (security, a lower layer) read them here without importing the higher apps::

    audit_labels.register(("state",), ListState.choices)

A code without a registered label is shown as it is written."""

from collections.abc import Iterable

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
