"""The phases of a cycle and the transitions between them: one table, one transition function.

    open ──(every bureau's deadline passes)──▶ closed ──begin_review──▶ review ──notice──▶ notice (公示)
                                                  └────────────notice───────────────────────▲      │
                                                                                                    publish
    review ◀──reopen (an administrator's recorded decision)── published (final) ◀──────────────────┘
           ◀──reopen────────────────────────────────────────── notice

Four phases are stored on the cycle (``Cycle.State``: open, review, notice, published). "Closed" is derived,
never stored: a cycle is closed while it is stored open and every bureau's own deadline (extensions included)
has passed, as ``nominations.deadlines`` says; a new extension therefore reopens submissions for that bureau
without any state to change back. Beginning the review stores the end of submissions: no extension is granted
after it.

``CYCLE_TRANSITIONS`` says, for every transition, from which stored state, to which, who takes it, whether
every deadline must have passed, and the audit action it records. ``cycle_transition`` is the one function that
checks a row, sets the new state and writes the audit record; the checks that need the reviews (undecided
lists, the public notice's period, unsettled objections) are made by the services of ``reviews`` before they
call it. ``phase_of`` and ``phase_summary`` tell pages what people can do now and until when.
"""

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives.errors import DomainError, PermissionDeniedError
from organisation import access
from organisation.audit import AuditAction, audit_record

from .deadlines import bureaus_still_open, cycle_last_deadline, deadline_passed, format_beijing
from .models import Cycle
from .states import row_for, row_taken_by


class CyclePhase(models.TextChoices):
    OPEN = "open", gettext_lazy("Open for submissions")
    CLOSED = "closed", gettext_lazy("Closed to submissions")
    REVIEW = "review", gettext_lazy("Under review")
    NOTICE = "notice", gettext_lazy("Public notice")
    PUBLISHED = "published", gettext_lazy("Final")


# Who takes a transition.
REVIEWER = "reviewer"
ADMINISTRATOR = "administrator"


@dataclass(frozen=True)
class CycleTransition:
    name: str
    source: str
    target: str
    by: str
    action: AuditAction
    after_deadlines: bool  # every bureau's own deadline (extensions included) must have passed
    label: str = ""


S = Cycle.State
CYCLE_TRANSITIONS: tuple[CycleTransition, ...] = (
    CycleTransition("begin_review", S.OPEN, S.REVIEW, REVIEWER, AuditAction.CYCLE_REVIEW_BEGUN, True,
                    gettext_lazy("Begin the review")),
    CycleTransition("notice", S.OPEN, S.NOTICE, REVIEWER, AuditAction.CYCLE_NOTICE_STARTED, True,
                    gettext_lazy("Put on public notice")),
    CycleTransition("notice", S.REVIEW, S.NOTICE, REVIEWER, AuditAction.CYCLE_NOTICE_STARTED, True,
                    gettext_lazy("Put on public notice")),
    CycleTransition("publish", S.NOTICE, S.PUBLISHED, REVIEWER, AuditAction.CYCLE_PUBLISHED, True,
                    gettext_lazy("Publish the final result")),
    CycleTransition("reopen", S.PUBLISHED, S.REVIEW, ADMINISTRATOR, AuditAction.CYCLE_REOPENED, False,
                    gettext_lazy("Reopen")),
    CycleTransition("reopen", S.NOTICE, S.REVIEW, ADMINISTRATOR, AuditAction.CYCLE_REOPENED, False,
                    gettext_lazy("Reopen")),
)
del S


def cycle_transition_for(name: str, source: str) -> CycleTransition | None:
    return row_for(CYCLE_TRANSITIONS, name, source)


def phase_of(cycle: Cycle, *, now: datetime.datetime | None = None, last_deadline: datetime.datetime | None = None
             ) -> str:
    """The phase people see. Only an open cycle asks the deadlines (one query unless ``last_deadline`` is given)."""
    if cycle.state != Cycle.State.OPEN:
        return cycle.state
    last = last_deadline or cycle_last_deadline(cycle)
    return CyclePhase.CLOSED if deadline_passed(deadline=last, now=now) else CyclePhase.OPEN


def phase_label(phase: str) -> str:
    return str(CyclePhase(phase).label)


def cycle_transition_check(*, actor, cycle: Cycle, name: str, now: datetime.datetime | None = None
                           ) -> CycleTransition:
    """The row of the table that lets ``actor`` take ``name`` on the (locked) cycle now, or an error saying why
    not. Checked in this order: who acts, the cycle's state, the deadlines."""
    by = row_taken_by(CYCLE_TRANSITIONS, name)
    who = access.person(actor)
    if by == ADMINISTRATOR and not who.is_administrator:
        raise PermissionDeniedError(_("Only an administrator may do this."))
    if by == REVIEWER and not who.is_reviewer:
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))
    theirs = who.reviews(cycle.programme_id) if by == REVIEWER else cycle.programme_id in who.programme_ids
    if actor is not None and not theirs:
        raise PermissionDeniedError(_("The %(year)s cycle belongs to another programme.") % {"year": cycle.year})
    transition = cycle_transition_for(name, cycle.state)
    if transition is None:
        wanted = next(t.label for t in CYCLE_TRANSITIONS if t.name == name)
        raise DomainError(_("The %(year)s cycle is in the phase “%(phase)s”: “%(action)s” is not possible now.")
                          % {"year": cycle.year, "phase": phase_label(phase_of(cycle, now=now)), "action": wanted})
    if transition.after_deadlines:
        last = cycle_last_deadline(cycle)
        if not deadline_passed(deadline=last, now=now):
            open_bureaus = bureaus_still_open(cycle=cycle, now=now)
            names = "、".join(str(b) for b in open_bureaus)
            raise DomainError(
                _("Submissions are still open until %(deadline)s Beijing time%(bureaus)s: wait until every "
                  "bureau's deadline has passed.")
                % {"deadline": format_beijing(last),
                   "bureaus": _(" (extension of %(bureaus)s)") % {"bureaus": names} if names else ""})
    return transition


def cycle_transition(*, actor, cycle: Cycle, name: str, message: str = "", data: dict | None = None,
                     now: datetime.datetime | None = None, checked: CycleTransition | None = None,
                     **fields) -> Cycle:
    """Take transition ``name`` on a cycle locked by the caller (``locks.cycle_lock``): check the table, set the new
    state and ``fields``, write the transition's audit record. The one way a cycle's state changes; must run in
    the caller's transaction."""
    transition = checked or cycle_transition_check(actor=actor, cycle=cycle, name=name, now=now)
    before = cycle.state
    fields = {"state": transition.target, **fields}
    for attribute, value in fields.items():
        setattr(cycle, attribute, value)
    cycle.save(update_fields=list(fields))
    audit_record(actor=actor, action=transition.action, target=cycle, message=message,
                 data={"year": cycle.year, **(data or {}), "from": before, "to": transition.target})
    return cycle


# --- What may change in each phase: one table, asked by the services and by ``organisation.access`` ----------


class Change(models.TextChoices):
    """What people change in a cycle, for the table below."""

    LISTS = "lists", gettext_lazy("the bureaus' lists")
    DECISIONS = "decisions", gettext_lazy("decisions on nominees and returns")
    EXCEPTIONS = "exceptions", gettext_lazy("exceptions to the cap")
    EXCEPTION_REQUESTS = "exception_requests", gettext_lazy("requests for an exception to the cap")
    OBJECTIONS = "objections", gettext_lazy("objections")
    REGISTER = "register", gettext_lazy("the register of higher-level incentives")
    FUNDS = "funds", gettext_lazy("pledged amounts and disbursements")


C, S = Change, Cycle.State
# Keyed by the stored state: "closed" is an open cycle whose deadlines have all passed, and what a bureau may do
# with its list then is the list's state table's (``nominations.states``: bound to the bureau's own deadline).
#
# A bureau's request for an exception to the cap is filed and decided until the public notice begins; the notice
# is refused while one waits (``reviews``' notice start asks ``pending``), so the limits on notice are final.
# Objections exist only during the notice. Money is pledged and paid in every phase: the finance bureau follows
# the awards as they stand (an award withdrawn on an objection takes its pledge with it).
# Implementation rules (实施办法) belong to a policy document, not to a cycle: filed and reviewed in any phase.
PHASE_CHANGES: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({C.LISTS, C.DECISIONS, C.EXCEPTIONS, C.EXCEPTION_REQUESTS, C.REGISTER, C.FUNDS}),
    S.REVIEW: frozenset({C.DECISIONS, C.EXCEPTIONS, C.EXCEPTION_REQUESTS, C.REGISTER, C.FUNDS}),
    S.NOTICE: frozenset({C.OBJECTIONS, C.FUNDS}),
    S.PUBLISHED: frozenset({C.FUNDS}),
}
del C, S


def phase_allows(cycle: Cycle, change: str) -> bool:
    """Whether ``change`` may happen in the cycle's phase now (no query)."""
    return change in PHASE_CHANGES.get(cycle.state, frozenset())


def phase_refusal(cycle: Cycle, change: str) -> str:
    """Why ``change`` may not happen in the cycle's phase, in words for the person who tried."""
    year = {"year": cycle.year}
    if change == Change.LISTS:
        return _("The %(year)s cycle is closed.") % year
    if change == Change.OBJECTIONS:
        return _("The %(year)s cycle is not on public notice: objections are taken only during it.") % year
    if cycle.state == Cycle.State.NOTICE:
        if change == Change.EXCEPTION_REQUESTS:
            return _("The %(year)s cycle is on public notice: the limits are final and no request for an exception "
                     "to the cap is taken now.") % year
        return _("The %(year)s cycle is on public notice: decisions no longer change, except by upholding an "
                 "objection.") % year
    return _("The %(year)s cycle is published and its decisions are frozen. An administrator must reopen it "
             "first.") % year


def phase_check(cycle: Cycle, change: str) -> None:
    """A service's check of the table: DomainError with the reason when the phase does not allow ``change``."""
    if not phase_allows(cycle, change):
        raise DomainError(phase_refusal(cycle, change))


# --- What each phase lets people do, and until when (the banner of every page) ---------------------------------


@dataclass
class PhaseSummary:
    phase: str
    label: str
    now: str     # what people can do now
    until: str   # until when (Beijing time), or ""


def _chinese_day(day: datetime.date) -> str:
    return f"{day:%Y-%m-%d}"


def phase_summary(cycle: Cycle, *, now: datetime.datetime | None = None) -> PhaseSummary:
    """One sentence per phase: what bureaus, reviewers and the public can do now, and until when. At most one
    query (the latest extension of an open cycle)."""
    last = cycle_last_deadline(cycle) if cycle.state == Cycle.State.OPEN else None
    phase = phase_of(cycle, now=now, last_deadline=last)
    if phase == CyclePhase.OPEN:
        text = _("Bureaus prepare, submit and withdraw their lists; reviewers may return submitted lists and "
                 "decide them.")
        until = format_beijing(last)
    elif phase == CyclePhase.CLOSED:
        text = _("Every bureau's deadline has passed: lists can no longer be submitted. Reviewers decide the "
                 "submitted lists and begin the review; an extension still reopens submissions for one bureau.")
        until = ""
    elif phase == CyclePhase.REVIEW:
        text = _("Submissions are closed. Reviewers decide every submitted list, then put the proposed awardees "
                 "on public notice.")
        until = ""
    elif phase == CyclePhase.NOTICE:
        text = _("The proposed awardees are on public notice (%(days)s working days). Anyone may object in "
                 "writing under their real name; reviewers settle each objection, then publish the final result.") \
            % {"days": cycle.notice_working_days}
        until = (f"{_chinese_day(cycle.notice_ends_on)} 23:59:59" if cycle.notice_ends_on else "")
    else:
        text = _("The result is final and public. Nothing changes unless an administrator reopens the year with a "
                 "recorded decision.")
        until = ""
    return PhaseSummary(phase=phase, label=phase_label(phase), now=text, until=until)
