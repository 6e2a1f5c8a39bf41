"""The states of a nomination list and the transitions between them: one table.

Every change of a list's state, and every change made to a list in a state, is a row of ``TRANSITIONS``: from
which state, to which, taken by whom (the bureau that prepares the list, or a General Office reviewer), whether
it must happen before the bureau's deadline, and the audit action it records. ``nominations.services.
list_transition`` is the one function that checks a row, raises the list's version and writes the audit record;
pages ask ``transitions_open_to`` which buttons to show.

    draft ──submit──▶ submitted ──return──▶ returned ──resubmit──▶ submitted
      ▲                 │  │                   │
      └───withdraw──────┘  └──decide──▶ decided ◀── (every nominee decided, or nobody proposed)

Where the programme requires the leader's sign-off (签发, ``Programme.sign_off_required``), the clerk's
``submit`` takes the list to the bureau's leader instead, who signs it off (only then it reaches the General
Office) or sends it back with a reason; the rows marked ``sign_off=True`` replace those marked ``False``:

    draft/returned ──submit──▶ for_sign_off ──sign_off──▶ submitted
          ▲                        │
          └──decline_sign_off──────┘ (the leader's reasons)   └──withdraw (the clerk)──▶ draft
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from organisation.audit import AuditAction


class ListState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    AWAITING_SIGN_OFF = "for_sign_off", _("Awaiting the leader's sign-off")
    DECIDED = "decided", _("Decided")


# Who takes a transition.
OWNER = "owner"        # a clerk of the bureau that prepares the list
REVIEWER = "reviewer"  # a General Office reviewer
LEADER = "leader"      # the leader of the bureau that prepares the list (``Membership.is_leader``)


@dataclass(frozen=True)
class Transition:
    name: str
    source: str
    target: str
    by: str
    action: AuditAction | None  # None: the change records its own action (a nominee approved or not)
    before_deadline: bool  # the bureau's own deadline (extensions included) must not have passed
    label: str = ""
    # Whether the row applies where the programme requires the leader's sign-off (True), where it does not
    # (False), or either way (None).
    sign_off: bool | None = None


TRANSITIONS: tuple[Transition, ...] = (
    Transition("edit", ListState.DRAFT, ListState.DRAFT, OWNER, AuditAction.LIST_SAVED, True, _("Edit")),
    Transition("edit", ListState.RETURNED, ListState.RETURNED, OWNER, AuditAction.LIST_SAVED, True, _("Edit")),
    Transition("submit", ListState.DRAFT, ListState.SUBMITTED, OWNER, AuditAction.LIST_SUBMITTED, True, _("Submit"),
               sign_off=False),
    Transition("submit", ListState.RETURNED, ListState.SUBMITTED, OWNER, AuditAction.LIST_RESUBMITTED, True,
               _("Resubmit"), sign_off=False),
    # The leader's sign-off (签发): the clerk's submission goes to the bureau's leader, who signs it off or sends
    # it back; a list nobody signed off never reaches the General Office.
    Transition("submit", ListState.DRAFT, ListState.AWAITING_SIGN_OFF, OWNER, AuditAction.LIST_SENT_FOR_SIGN_OFF,
               True, _("Send to the leader for sign-off"), sign_off=True),
    Transition("submit", ListState.RETURNED, ListState.AWAITING_SIGN_OFF, OWNER, AuditAction.LIST_SENT_FOR_SIGN_OFF,
               True, _("Send to the leader for sign-off"), sign_off=True),
    Transition("sign_off", ListState.AWAITING_SIGN_OFF, ListState.SUBMITTED, LEADER, AuditAction.LIST_SIGNED_OFF,
               True, _("Sign off and send to the General Office")),
    Transition("decline_sign_off", ListState.AWAITING_SIGN_OFF, ListState.DRAFT, LEADER,
               AuditAction.LIST_SIGN_OFF_DECLINED, False, _("Send back to the clerk")),
    Transition("withdraw", ListState.AWAITING_SIGN_OFF, ListState.DRAFT, OWNER, AuditAction.LIST_WITHDRAWN, True,
               _("Withdraw")),
    Transition("withdraw", ListState.SUBMITTED, ListState.DRAFT, OWNER, AuditAction.LIST_WITHDRAWN, True,
               _("Withdraw")),
    Transition("return", ListState.SUBMITTED, ListState.RETURNED, REVIEWER, AuditAction.LIST_RETURNED, False,
               _("Return for correction")),
    # Deciding a nominee keeps the list's state; the last decision (or closing a list that proposes nobody) makes
    # it decided. A decided list can still have a decision changed until the cycle is published.
    Transition("decide_nominee", ListState.SUBMITTED, ListState.SUBMITTED, REVIEWER, None, False, _("Decide")),
    Transition("decide_nominee", ListState.DECIDED, ListState.DECIDED, REVIEWER, None, False, _("Decide")),
    Transition("decide", ListState.SUBMITTED, ListState.DECIDED, REVIEWER, AuditAction.LIST_DECIDED, False,
               _("Close as decided")),
)

# A list that does not exist yet is a draft to be: the bureau may start it.
STATE_OF_NO_LIST = ListState.DRAFT


def row_for(table, name: str, source: str):
    """The row of a transition table (this module's ``TRANSITIONS`` or ``nominations.phases.CYCLE_TRANSITIONS``:
    rows with ``name``, ``source`` and ``by``) for taking ``name`` from ``source``, or None when it has none."""
    return next((t for t in table if t.name == name and t.source == source), None)


def row_taken_by(table, name: str) -> str:
    """Who takes the transition ``name`` in a transition table (every row of one name is taken by one side)."""
    return next(t.by for t in table if t.name == name)


def transition_for(name: str, source: str, *, sign_off: bool = False) -> Transition | None:
    """The row for taking ``name`` from ``source`` in a programme that requires the leader's sign-off or not, or
    None when the table has no such transition."""
    return next((t for t in TRANSITIONS if t.name == name and t.source == source and t.sign_off in (None, sign_off)),
                None)


def taken_by(name: str) -> str:
    """Who takes the transition ``name`` (every row of one name is taken by the same side)."""
    return row_taken_by(TRANSITIONS, name)


def transitions_from(source: str, *, by: str | None = None, sign_off: bool = False) -> list[Transition]:
    return [t for t in TRANSITIONS
            if t.source == source and (by is None or t.by == by) and t.sign_off in (None, sign_off)]


def states_allowing(name: str) -> tuple[str, ...]:
    """The states in which ``name`` can be taken (e.g. where a list can be edited)."""
    return tuple(dict.fromkeys(t.source for t in TRANSITIONS if t.name == name))


def states_with_bureau() -> tuple[str, ...]:
    """The states in which the list has not reached the General Office yet: the bureau still has to act on it
    (edit it, or have its leader sign it off). Reminders chase them; the General Office counts them as missing."""
    return (*states_allowing("edit"), ListState.AWAITING_SIGN_OFF)


def transitions_open_to(*, state: str, is_owner: bool, is_reviewer: bool, lists_open: bool, decisions_open: bool,
                        deadline_passed: bool, is_leader: bool = False, sign_off: bool = False) -> set[str]:
    """The names of the transitions this person may take now: what buttons a page shows.

    The bureau (its clerk, its leader) acts while the cycle's phase lets lists change (``lists_open``) and, for transitions bound to it,
    before its deadline; reviewers act while the phase lets decisions change (``decisions_open``): both from
    ``nominations.phases.PHASE_CHANGES``."""
    names = set()
    for transition in transitions_from(state, sign_off=sign_off):
        if transition.by in (OWNER, LEADER):
            allowed = is_owner if transition.by == OWNER else is_leader
            if allowed and lists_open and not (transition.before_deadline and deadline_passed):
                names.add(transition.name)
        elif transition.by == REVIEWER and is_reviewer and decisions_open:
            names.add(transition.name)
    return names
