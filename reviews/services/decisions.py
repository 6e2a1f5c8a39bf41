"""The decisions on lists: return a list, decide nominees under the cap (the award's slot), close a list that proposes
nobody; and the reviewer's desk: marking lists read, reminding late bureaus, exporting the queue.

A list's state changes through ``nominations.services.list_transition`` (the state table of
``nominations.states``); rows are locked with ``nominations.locks`` (whose docstring gives the locking order);
the number of awardees a category may have is ``measures.limits``'.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.services import recusal_check
from incentives.errors import DomainError
from measures import limits
from measures.models import CapException
from nominations.locks import list_lock
from nominations.models import Cycle, NominationList, Nominee
from nominations.services import list_transition, list_transition_check
from organisation.audit import AuditAction, audit_record
from organisation.models import AuditEntry
from organisation.tasks import outbox_queue

from .. import letters
from ..models import Award, Decision, ListReading
from ..selectors.queue import queue_late_bureaus
from .common import _require_reviewer


def nomination_list_return(*, actor, nomination_list: NominationList, reason: str) -> NominationList:
    """Return a submitted list to its bureau for correction (退回补正), with the reasons. The bureau's clerks are
    told in the same transaction (the outbox), and the e-mails go out once it commits."""
    _require_reviewer(actor, cycles__lists=nomination_list.pk)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the list is returned."), field="reason")
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        checked = list_transition_check(actor=actor, nomination_list=locked, name="return")
        # The bureau will change the list, so decisions already taken on it no longer stand.
        cleared = list(Award.objects.filter(nominee__nomination_list=locked).values_list("unit_id", flat=True))
        Award.objects.filter(nominee__nomination_list=locked).delete()
        Decision.objects.filter(nominee__nomination_list=locked).delete()
        list_transition(actor=actor, nomination_list=locked, name="return", checked=checked, message=reason,
                        data={"cycle": locked.cycle.year, "category": locked.category.code,
                              "cleared_awards_units": cleared},
                        return_reason=reason)
        messages = letters.list_returned_notify(list_id=locked.pk)
        pending = [m.pk for m in messages if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return locked


def nominee_decide(*, actor, nominee: Nominee, approved: bool, comment: str = "") -> Decision:
    """Approve a nominee (it becomes an awardee of its category for the cycle) or not, with a comment.

    The cap holds under concurrency three times over: approvals of one category serialise on the row lock of
    its list (one list per category and cycle); each award takes a slot that is unique per category and cycle;
    and the database refuses a slot above 3 unless the award cites a recorded exception.
    """
    _require_reviewer(actor, cycles__lists__nominees=nominee.pk)
    comment = (comment or "").strip()
    if not approved and not comment:
        raise DomainError(_("Say why %(unit)s is not approved.") % {"unit": nominee.unit}, field="comment")
    with transaction.atomic():
        locked = list_lock(nominee.nomination_list_id)
        cycle = locked.cycle  # read after the lock: a publication committed meanwhile is seen
        # The state table says who decides, in which phase and on a list in which state.
        list_transition_check(actor=actor, nomination_list=locked, name="decide_nominee")
        current = Nominee.objects.select_related("unit").filter(pk=nominee.pk, nomination_list=locked).first()
        if current is None:
            raise DomainError(_("This nominee is no longer in the list."))
        # 回避: a reviewer who declared a stake in the unit does not decide it; another reviewer does.
        recusal_check(actor=actor, programme_id=cycle.programme_id, year=cycle.year, units=[current.unit])
        award = Award.objects.filter(nominee=current).first()
        slot = award.slot if award else None
        if approved and award is None:
            slot = _award_slot_take(cycle=cycle, nomination_list=locked, nominee=current)
        elif not approved and award is not None:
            award.delete()
            slot = None
        decision, _created = Decision.objects.update_or_create(
            nominee=current, defaults={"approved": approved, "comment": comment, "decided_by": actor})
        audit_record(actor=actor, action=AuditAction.NOMINEE_APPROVED if approved else AuditAction.NOMINEE_REJECTED,
                     target=current,
                     message=comment, data={"cycle": cycle.year, "category": locked.category.code,
                                            "unit": str(current.unit), "slot": slot, "list": locked.pk})
        undecided = Nominee.objects.filter(nomination_list=locked, decision__isnull=True).exists()
        if locked.state == NominationList.State.SUBMITTED and not undecided:
            list_transition(actor=actor, nomination_list=locked, name="decide",
                            data={"cycle": cycle.year, "category": locked.category.code})
            _tell_decided(locked)
    return decision


def _tell_decided(nomination_list: NominationList) -> None:
    """The bureau is told the decisions on its list (recorded now, e-mailed once the transaction commits)."""
    told = [m.pk for m in letters.list_decided_notify(list_id=nomination_list.pk) if m.status == m.Status.PENDING]
    transaction.on_commit(lambda: outbox_queue(told))


def nominees_decide(*, actor, nomination_list: NominationList, decisions) -> list[Decision]:
    """Decide several nominees of one list at once (the review page's one form): ``decisions`` is
    [(nominee, approved, comment)]. All or nothing: one refusal (the cap, a missing reason) leaves every decision
    as it was. Each decision is ``nominee_decide``'s, with its audit record; the list is decided with the last."""
    _require_reviewer(actor, cycles__lists=nomination_list.pk)
    decisions = list(decisions)
    if not decisions:
        raise DomainError(_("The list has no nominee to decide."))
    if any(nominee.nomination_list_id != nomination_list.pk for nominee, _approved, _comment in decisions):
        raise DomainError(_("This nominee is no longer in the list."))
    with transaction.atomic():
        list_lock(nomination_list.pk)
        # Refusals first: a slot they give back can go to an approval of the same form.
        ordered = sorted(decisions, key=lambda d: (d[1], d[0].rank))
        return [nominee_decide(actor=actor, nominee=nominee, approved=approved, comment=comment)
                for nominee, approved, comment in ordered]


def _award_slot_take(*, cycle: Cycle, nomination_list: NominationList, nominee: Nominee) -> int | None:
    category = nomination_list.category
    if category.is_entitlement:
        # Every qualifying unit: no cap, no slot; the award carries the category's amount where it fixes one.
        Award.objects.create(cycle=cycle, category=category, unit=nominee.unit, nominee=nominee, slot=None,
                             is_entitlement=True, amount=category.award_amount)
        return None
    exception = CapException.objects.filter(category=category, year=cycle.year).first()
    limit = limits.limit_in_force(cap=category.cap, exception_limit=exception.new_limit if exception else None)
    used = set(Award.objects.filter(cycle=cycle, category=category).order_by().values_list("slot", flat=True))
    free = sorted(set(range(1, limit + 1)) - used)
    if len(used) >= limit or not free:
        raise DomainError(limits.cap_refusal_message(category=category, limit=limit, count=len(used)))
    slot = free[0]
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the outer transaction usable
            Award.objects.create(cycle=cycle, category=category, unit=nominee.unit, nominee=nominee, slot=slot,
                                 cap_exception=exception if slot > limits.CAP_IN_PRINCIPLE else None,
                                 amount=category.award_amount)
    except IntegrityError:
        # Another approval took the slot (or the unit already won this category): the database refused it.
        raise DomainError(limits.cap_refusal_message(category=category, limit=limit, count=len(used) + 1)) from None
    return slot


def nomination_list_acknowledge(*, actor, nomination_list: NominationList) -> NominationList:
    """Close a submitted list that proposes nobody: there is nothing to decide, it becomes decided."""
    _require_reviewer(actor, cycles__lists=nomination_list.pk)
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        checked = list_transition_check(actor=actor, nomination_list=locked, name="decide")
        if Nominee.objects.filter(nomination_list=locked, decision__isnull=True).exists():
            raise DomainError(_("Decide every nominee first."))
        list_transition(actor=actor, nomination_list=locked, name="decide", checked=checked,
                        data={"cycle": locked.cycle.year, "category": locked.category.code})
        _tell_decided(locked)
    return locked


# ---------------------------------------------------------------------------------------------------------------
# The reviewer's desk: marking lists read, reminding late bureaus, exporting the queue


def lists_mark_read(*, actor, cycle: Cycle, list_ids: list[int]) -> int:
    """Mark the cycle's lists ``list_ids`` read by the reviewer (until one is submitted again). Returns how many."""
    _require_reviewer(actor, cycles=cycle.pk)
    ids = sorted({int(pk) for pk in list_ids})
    if not ids:
        raise DomainError(_("Tick at least one list."))
    with transaction.atomic():
        lists = list(NominationList.objects.filter(cycle=cycle, pk__in=ids).select_related("category", "cycle"))
        if len(lists) != len(ids):
            raise DomainError(_("Some of the lists ticked are not in the %(year)s cycle.") % {"year": cycle.year})
        now = timezone.now()
        for nl in lists:
            ListReading.objects.update_or_create(reader=actor, nomination_list=nl, defaults={"read_at": now})
            audit_record(actor=actor, action=AuditAction.LIST_MARKED_READ, target=nl,
                         data={"cycle": cycle.year, "category": nl.category.code})
    return len(lists)


def late_bureaus_remind(*, actor, cycle: Cycle) -> int:
    """Remind every late bureau of the cycle: one e-mail to each of its clerks listing all its late categories
    (recorded in the outbox with the audit record, sent once the transaction commits). Returns the number of
    bureaus reminded."""
    _require_reviewer(actor, cycles=cycle.pk)
    if cycle.state != Cycle.State.OPEN:
        raise DomainError(_("Only the bureaus of an open cycle are reminded."))
    with transaction.atomic():
        late = queue_late_bureaus(cycle=cycle)
        if not late:
            raise DomainError(_("No bureau is late in the %(year)s cycle.") % {"year": cycle.year})
        sending = (AuditEntry.objects.filter(action=AuditAction.LATE_BUREAUS_REMINDED, target_id=cycle.pk).count() + 1)
        recorded = letters.late_bureaus_notify(cycle=cycle, late=late, sending=sending)
        audit_record(actor=actor, action=AuditAction.LATE_BUREAUS_REMINDED, target=cycle,
                     data={"year": cycle.year, "sending": sending, "messages": len(recorded),
                           "bureaus": {b.short_name: codes for b, codes in late}})
        pending = [m.pk for m in recorded if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return len(late)


def review_queue_export_record(*, actor, cycle: Cycle, count: int, filters: dict) -> None:
    """Record that a reviewer exported the queue (how many rows, under which filters)."""
    _require_reviewer(actor, cycles=cycle.pk)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.QUEUE_EXPORTED, target=cycle,
                     data={"year": cycle.year, "rows": count, "filters": filters})
