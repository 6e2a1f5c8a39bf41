"""The audit trail as a person reads it: the object's kind in words, the details as labelled values (never a Python
dictionary, a model's code name or an id label)."""

from django import template
from django.utils.translation import gettext as _

from organisation import audit_labels

register = template.Library()


@register.filter
def audit_details(data) -> list[tuple[str, str]]:
    """(label, value) pairs of a record's data, in the order written."""
    return audit_labels.details(data)


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
