"""Reads of the organisation scoped to a person. Views never filter these models by hand for a user."""

from django.db.models import QuerySet
from django.utils import translation

from . import access
from .models import AuditAction, AuditEntry, Bureau, Unit


def bureaus_of(user) -> QuerySet[Bureau]:
    """The bureaus the person belongs to (several are possible), in display order; none when signed out."""
    return (access.restrict(Bureau.objects.select_related("programme"), user, "member")
            .order_by("order", "short_name"))


def units_visible_to(user, *, include_inactive: bool = False) -> QuerySet[Unit]:
    """Nominee units a person may see and pick: the register is shared by every signed-in person (a bureau
    proposes districts, hospitals … it does not own) of the person's programmes, but is not public. Merged units
    stay for history only."""
    qs = access.restrict(Unit.objects.select_related("kind", "parent"), user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("division_order", "name")


# --- audit trails shown on pages ------------------------------------------------------------------------------------

# A page shows the newest entries of a trail; ``?trail=all`` shows every one.
TRAIL_LENGTH = 20
TRAIL_ALL = "all"


class Trail(list):
    """The entries of an audit trail shown on a page, newest first (a list), and whether older ones were left
    out (``more``: the page links to ``?trail=all``)."""

    more: bool = False
    everything: bool = False


_ACTION_LABELS: dict[str, dict[str, str]] = {}


def action_labels() -> dict[str, str]:
    """Every audited action's label in the active language, translated once per language and process (a trail's
    rows read them from here rather than each through ``get_action_display``, which is slow with ~80 choices)."""
    language = translation.get_language() or ""
    labels = _ACTION_LABELS.get(language)
    if labels is None:
        labels = _ACTION_LABELS[language] = {value: str(label) for value, label in AuditAction.choices}
    return labels


def audit_trail(entries: QuerySet[AuditEntry], *, everything: bool = False, length: int = TRAIL_LENGTH) -> Trail:
    """The newest ``length`` entries of ``entries`` (one query, LIMIT in the database; one row more is read to
    know whether there are older ones), or all of them with ``everything``. Each entry gets ``action_label``."""
    rows = list(entries) if everything else list(entries[:length + 1])
    trail = Trail(rows if everything else rows[:length])
    trail.more = not everything and len(rows) > length
    trail.everything = everything
    labels = action_labels()
    for entry in trail:
        entry.action_label = labels.get(entry.action, entry.action)
    return trail


def trail_everything(request) -> bool:
    """Whether the page was asked for the whole trail (``?trail=all``); any other value shows the newest."""
    return request.GET.get("trail") == TRAIL_ALL
