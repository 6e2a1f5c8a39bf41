"""The General Office's state changes: return a list, decide nominees under the cap, record exceptions to the cap,
publish a cycle and (administrators only) reopen it.

A list's state changes through ``nominations.services.list_transition`` (the state table of
``nominations.states``); rows are locked with ``nominations.locks`` (whose docstring gives the locking order);
the number of awardees a category may have is ``measures.limits``'.
"""

import datetime
import decimal
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError, PermissionDeniedError
from measures import limits
from measures.models import CapException, ImplementationRules, IncentiveCategory, Responsibility
from nominations import deadlines, phases, reminders, states
from nominations.deadlines import deadline_passed, format_beijing
from nominations.evidence import evidence_check
from nominations.locks import cycle_lists_lock, cycle_lock, list_lock
from nominations.models import BEIJING, CapExceptionRequest, Cycle, NominationList, Nominee, ReminderKind
from nominations.selectors import owning_bureau
from nominations.services import decisions_closed_error, list_transition, list_transition_check
from nominations.working_days import working_period
from organisation import roles
from organisation.audit import AuditAction, audit_record, audit_trail_for
from organisation.models import AuditEntry, Programme, Unit
from organisation.outbox import Letter, outbox_record
from organisation.programmes import reaches
from organisation.tasks import outbox_queue

from . import selectors
from .bulletins import chinese_date
from .document_numbers import awarding_number_validate
from .models import (
    Award,
    Bulletin,
    CycleReopening,
    Decision,
    Disbursement,
    HigherAward,
    ListReading,
    MissingListAcknowledgement,
    Objection,
)
from .programmes import results_path
from .selectors import queue_late_bureaus
from .tasks import bulletins_queue, public_pages_queue

User = get_user_model()


def _require_reviewer(actor, **programme_lookup) -> None:
    """A General Office reviewer, of the programme ``programme_lookup`` finds (``reaches``) when given."""
    if not roles.is_reviewer(actor):
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))
    if programme_lookup and not reaches(actor, **programme_lookup):
        raise PermissionDeniedError(_("This belongs to another programme."))


def _refuse_if_published(cycle: Cycle) -> None:
    """Decisions change only while the cycle is open or under review (not on public notice, not once final)."""
    _refuse_unless_decisions_open(cycle)


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
        messages = reminders.list_returned_notify(list_id=locked.pk)
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
        _refuse_unless_decisions_open(cycle)
        if locked.state not in states.states_allowing("decide_nominee"):
            raise DomainError(_("Decisions are taken on a submitted list; this one is %(state)s.")
                              % {"state": locked.get_state_display()})
        current = Nominee.objects.select_related("unit").filter(pk=nominee.pk, nomination_list=locked).first()
        if current is None:
            raise DomainError(_("This nominee is no longer in the list."))
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
    told = [m.pk for m in reminders.list_decided_notify(list_id=nomination_list.pk) if m.status == m.Status.PENDING]
    transaction.on_commit(lambda: outbox_queue(told))


def nominees_decide(*, actor, nomination_list: NominationList, decisions) -> list[Decision]:
    """Decide several nominees of one list at once (the review page's one form): ``decisions`` is
    [(nominee, approved, comment)]. All or nothing: one refusal (the cap, a missing reason) leaves every decision
    as it was. Each decision is ``nominee_decide``'s, with its audit record; the list is decided with the last."""
    _require_reviewer(actor)
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
        if locked.state != NominationList.State.SUBMITTED:
            _refuse_if_published(locked.cycle)
            raise DomainError(_("Only a submitted list can be closed."))
        checked = list_transition_check(actor=actor, nomination_list=locked, name="decide")
        if Nominee.objects.filter(nomination_list=locked, decision__isnull=True).exists():
            raise DomainError(_("Decide every nominee first."))
        list_transition(actor=actor, nomination_list=locked, name="decide", checked=checked,
                        data={"cycle": locked.cycle.year, "category": locked.category.code})
        _tell_decided(locked)
    return locked


def _exception_target_lock(*, cycle: Cycle, category) -> Cycle:
    """Lock what an exception's change must hold: the cycle row, then the category's list rows (the rows its
    approvals lock, so a change waits for the approvals in flight and every later approval sees it)."""
    locked_cycle = cycle_lock(cycle.pk)
    _refuse_if_published(locked_cycle)
    for pk in NominationList.objects.filter(cycle=cycle, category=category).order_by("pk").values_list("pk", flat=True):
        list_lock(pk)
    return locked_cycle


def _exception_check(*, cycle: Cycle, category, new_limit, reason: str) -> tuple[int, str]:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the exception is granted."), field="reason")
    if category.measure.document_id != cycle.document_id:
        raise DomainError(_("This category is not in the cycle's catalogue."))
    if category.is_entitlement:
        raise DomainError(_("Category %(code)s is an entitlement: it has no cap to exceed.") % {"code": category.code},
                          field="new_limit")
    try:
        new_limit = int(new_limit)
    except (TypeError, ValueError):
        raise DomainError(_("Give the new limit as a whole number."), field="new_limit") from None
    if not (category.cap < new_limit <= limits.ABSOLUTE_MAXIMUM):
        raise DomainError(_("An exception raises the limit above the cap of %(cap)s, to at most %(max)s.")
                          % {"cap": category.cap, "max": limits.ABSOLUTE_MAXIMUM}, field="new_limit")
    return new_limit, reason


def _exception_write(*, actor, cycle: Cycle, category, new_limit: int, reason: str, request=None) -> CapException:
    """Under the locks of ``_exception_target_lock``: create or change the year's exception, audited."""
    awarded = Award.objects.filter(cycle=cycle, category=category).count()
    # No award may stand in a slot above the new limit (slots freed by a rejection leave gaps).
    if new_limit < awarded or Award.objects.filter(cycle=cycle, category=category, slot__gt=new_limit).exists():
        raise DomainError(_("The category already has %(count)s awardees.") % {"count": awarded}, field="new_limit")
    exception = CapException.objects.filter(category=category, year=cycle.year).first()
    previous = exception.new_limit if exception else None
    if exception is None:
        exception = CapException.objects.create(category=category, year=cycle.year, new_limit=new_limit,
                                                reason=reason, decided_by=actor)
    else:
        exception.new_limit, exception.reason, exception.decided_by = new_limit, reason, actor
        exception.decided_at = timezone.now()
        exception.save()
    audit_record(actor=actor, action=AuditAction.CAP_EXCEPTION_RECORDED, target=exception, message=reason,
                 data={"cycle": cycle.year, "category": category.code, "new_limit": new_limit,
                       "previous_limit": previous, "cap": category.cap, "request": request.pk if request else None})
    return exception


def _exception_notify(*, cycle: Cycle, category, granted: bool, limit: int, reason: str, key: str,
                      requested: int | None = None) -> None:
    """Tell the bureau that prepares the category's list (in the caller's transaction; e-mails on commit)."""
    nomination_list = NominationList.objects.filter(cycle=cycle, category=category).select_related("bureau").first()
    bureau = nomination_list.bureau if nomination_list else None
    if bureau is None:
        bureau = owning_bureau(category)
    if bureau is None:
        return
    messages = reminders.bureau_notify(
        bureau=bureau, kind=ReminderKind.EXCEPTION, key=key, url=reminders.list_url(cycle, category),
        context={"year": cycle.year, "category": category, "measure": category.measure, "bureau": bureau,
                 "granted": granted, "limit": limit, "reason": reason, "requested": requested})
    pending = [m.pk for m in messages if m.status == m.Status.PENDING]
    transaction.on_commit(lambda: outbox_queue(pending))


def cap_exception_record(*, actor, cycle: Cycle, category, new_limit: int, reason: str) -> CapException:
    """Record the General Office's justified decision to allow more awardees than the cap for one category.
    A request of the bureau waiting for a decision is granted by it; the bureau is told."""
    _require_reviewer(actor, cycles=cycle.pk)
    new_limit, reason = _exception_check(cycle=cycle, category=category, new_limit=new_limit, reason=reason)
    with transaction.atomic():
        _exception_target_lock(cycle=cycle, category=category)
        request = (CapExceptionRequest.objects.select_for_update()
                   .filter(nomination_list__cycle=cycle, nomination_list__category=category,
                           state=CapExceptionRequest.State.PENDING).first())
        exception = _exception_write(actor=actor, cycle=cycle, category=category, new_limit=new_limit, reason=reason,
                                     request=request)
        if request is not None:
            _request_close(actor=actor, request=request, granted=True, limit=new_limit, reason=reason)
        _exception_notify(cycle=cycle, category=category, granted=True, limit=new_limit, reason=reason,
                          requested=request.requested_limit if request else None,
                          key=f"exception:exception{exception.pk}:at{exception.decided_at:%Y%m%d%H%M%S%f}")
    return exception


def _request_close(*, actor, request: CapExceptionRequest, granted: bool, limit: int | None, reason: str) -> None:
    request.state = CapExceptionRequest.State.GRANTED if granted else CapExceptionRequest.State.REFUSED
    request.granted_limit = limit if granted else None
    request.decision_reason = reason
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "granted_limit", "decision_reason", "decided_by", "decided_at"])
    audit_record(actor=actor, action=AuditAction.CAP_EXCEPTION_GRANTED if granted else AuditAction.CAP_EXCEPTION_REFUSED,
                 target=request.nomination_list, message=reason,
                 data={"request": request.pk, "requested_limit": request.requested_limit, "granted_limit": limit})


def cap_exception_grant(*, actor, request: CapExceptionRequest, new_limit, reason: str) -> CapException:
    """Grant a bureau's request: record the exception with the limit the General Office decides (not necessarily
    the number asked for) and its reasons; the bureau is told."""
    _require_reviewer(actor)
    nomination_list = request.nomination_list
    if request.state != CapExceptionRequest.State.PENDING:
        raise DomainError(_("This request has been decided already."))
    return cap_exception_record(actor=actor, cycle=nomination_list.cycle, category=nomination_list.category,
                                new_limit=new_limit, reason=reason)


def cap_exception_refuse(*, actor, request: CapExceptionRequest, reason: str) -> CapExceptionRequest:
    """Refuse a bureau's request, with the reasons; the cap (or the exception already in force) stays."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the request is refused."), field="reason")
    with transaction.atomic():
        nomination_list = list_lock(request.nomination_list_id)
        _refuse_if_published(nomination_list.cycle)
        locked = CapExceptionRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != CapExceptionRequest.State.PENDING:
            raise DomainError(_("This request has been decided already."))
        category, cycle = nomination_list.category, nomination_list.cycle
        limit = limits.category_limit(category=category, year=cycle.year)
        locked.nomination_list = nomination_list
        _request_close(actor=actor, request=locked, granted=False, limit=None, reason=reason)
        _exception_notify(cycle=cycle, category=category, granted=False, limit=limit, reason=reason,
                          requested=locked.requested_limit, key=f"exception:request{locked.pk}:refused")
    return locked


def cap_exception_withdraw(*, actor, cycle: Cycle, category, reason: str) -> None:
    """Withdraw the year's exception: the cap applies again. Refused while more awardees than the cap stand
    (decide them again first); approvals in flight are waited for, and every later one sees the cap."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the exception is withdrawn."), field="reason")
    with transaction.atomic():
        _exception_target_lock(cycle=cycle, category=category)
        exception = CapException.objects.filter(category=category, year=cycle.year).first()
        if exception is None:
            raise DomainError(_("This category has no exception in this cycle."))
        awarded = Award.objects.filter(cycle=cycle, category=category).count()
        if awarded > category.cap or Award.objects.filter(cap_exception=exception).exists():
            raise DomainError(_("The category already has %(count)s awardees, more than its cap of %(cap)s: "
                                "withdraw approvals first.") % {"count": awarded, "cap": category.cap})
        audit_record(actor=actor, action=AuditAction.CAP_EXCEPTION_WITHDRAWN, target=exception, message=reason,
                     data={"cycle": cycle.year, "category": category.code, "new_limit": exception.new_limit,
                           "cap": category.cap})
        pk = exception.pk
        exception.delete()
        _exception_notify(cycle=cycle, category=category, granted=False, limit=category.cap, reason=reason,
                          key=f"exception:exception{pk}:withdrawn")


# --- the register of higher-level incentives won ----------------------------------------------------------------


def _parse_date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DomainError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value or ""}, field=field) from None


def _parse_amount(value, field: str = "amount") -> decimal.Decimal:
    """A non-negative amount in yuan with at most two decimals, or a DomainError naming ``field``."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise DomainError(_("“%(value)s” is not an amount of money.") % {"value": value if value is not None else ""},
                          field=field) from None
    if not amount.is_finite():
        raise DomainError(_("“%(value)s” is not an amount of money.") % {"value": value}, field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), field=field)
    if amount != amount.quantize(decimal.Decimal("0.01")):
        raise DomainError(_("An amount has at most two decimals (fen)."), field=field)
    if amount >= decimal.Decimal("1e12"):
        raise DomainError(_("This amount is too large."), field=field)
    return amount.quantize(decimal.Decimal("0.01"))


def higher_award_category(*, cycle: Cycle, unit: Unit) -> IncentiveCategory | None:
    """The cycle's category that a State Council incentive won by ``unit`` earns: the category marked as earned
    by higher-level incentives whose kinds include one of the unit's (measure 32: 32-1 departments, 32-2 districts)."""
    kinds = unit.kind_codes()
    for category in (IncentiveCategory.objects.filter(measure__document_id=cycle.document_id, earned_by_higher_award=True)
                     .prefetch_related("subject_kinds").select_related("measure").order_by("measure__number", "order")):
        if kinds & {k.pk for k in category.subject_kinds.all()}:
            return category
    return None


def higher_award_record(*, actor, cycle: Cycle, document_number: str, higher_measure: str, unit: Unit, awarded_on,
                        level: str = HigherAward.Level.STATE_COUNCIL) -> HigherAward:
    """Register a higher-level incentive won by a district or a lead department. A reviewer confirms it
    (``higher_award_confirm``), which creates the award it earns."""
    if not (roles.is_reviewer(actor) or selectors.is_register_clerk(actor)):
        raise PermissionDeniedError(_("Only General Office reviewers and the bureaus of measure 32 keep the register."))
    try:
        document_number = awarding_number_validate(document_number)
    except ValidationError as error:
        raise DomainError(error.messages[0], field="document_number") from None
    higher_measure = (higher_measure or "").strip()
    if not higher_measure:
        raise DomainError(_("Say which measure of the awarding document the unit won."), field="higher_measure")
    if len(higher_measure) > 255:
        raise DomainError(_("The measure won has at most 255 characters."), field="higher_measure")
    if level not in HigherAward.Level.values:
        raise DomainError(_("The level is the State Council or the province."), field="level")
    awarded_on = _parse_date(awarded_on, "awarded_on")
    if unit is None:
        raise DomainError(_("Choose the unit that won the incentive."), field="unit")
    category = higher_award_category(cycle=cycle, unit=unit)
    if category is None:
        raise DomainError(_("%(unit)s is a %(kind)s: the register takes districts and lead departments (市牵头部门), "
                            "whose State Council incentives measure 32 matches.") % {"unit": unit, "kind": unit.kind},
                          field="unit")
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        _refuse_if_published(locked)
        try:
            with transaction.atomic():
                entry = HigherAward.objects.create(
                    cycle=locked, level=level, document_number=document_number, higher_measure=higher_measure,
                    unit=unit, awarded_on=awarded_on, recorded_by=actor,
                    category=category if level == HigherAward.Level.STATE_COUNCIL else None)
        except IntegrityError:
            raise DomainError(_("This unit is already registered for this measure of this document."),
                              field="document_number") from None
        audit_record(actor=actor, action=AuditAction.HIGHER_AWARD_RECORDED, target=entry, message=document_number,
                     data={"cycle": cycle.year, "unit": str(unit), "level": level, "measure": higher_measure,
                           "awarded_on": awarded_on.isoformat(), "category": category.code})
    return entry


def higher_award_confirm(*, actor, entry: HigherAward) -> HigherAward:
    """A reviewer confirms a register entry; a State Council entry then creates the entitlement it earns in the
    entry's cycle (500万元 under 32-2 for a district, assessment points under 32-1 for a lead department)."""
    _require_reviewer(actor)
    with transaction.atomic():
        cycle = cycle_lock(entry.cycle_id)  # publication holds it: no award is added to a published year
        _refuse_if_published(cycle)
        locked = HigherAward.objects.select_for_update(of=("self",)).select_related("category", "unit").get(pk=entry.pk)
        if locked.state == HigherAward.State.CONFIRMED:
            raise DomainError(_("This entry is confirmed already."))
        locked.state, locked.confirmed_by, locked.confirmed_at = HigherAward.State.CONFIRMED, actor, timezone.now()
        locked.save(update_fields=["state", "confirmed_by", "confirmed_at"])
        award = None
        if locked.category is not None:
            award = Award.objects.create(cycle=cycle, category=locked.category, unit=locked.unit, higher_award=locked,
                                         is_entitlement=True, slot=None, amount=locked.category.award_amount)
        audit_record(actor=actor, action=AuditAction.HIGHER_AWARD_CONFIRMED, target=locked,
                     message=locked.document_number,
                     data={"cycle": cycle.year, "unit": str(locked.unit), "award": award.pk if award else None,
                           "amount": str(award.amount) if award and award.amount is not None else None})
    return locked


# --- funds: pledged amounts and disbursements --------------------------------------------------------------------


def award_amount_set(*, actor, award: Award, amount) -> Award:
    """Set the money an award pledges, where its category's support is money but the notice fixes no amount."""
    if not (roles.is_reviewer(actor) or selectors.is_finance_staff(actor)):
        raise PermissionDeniedError(_("Only General Office reviewers and the finance bureau's staff set amounts."))
    amount = _parse_amount(amount)
    with transaction.atomic():
        locked = Award.objects.select_for_update(of=("self",)).select_related("category").get(pk=award.pk)
        if not locked.category.carries_money:
            raise DomainError(_("Category %(code)s gives no money: its awards carry no amount.")
                              % {"code": locked.category.code}, field="amount")
        paid = locked.disbursements.aggregate(total=Sum("amount"))["total"] or decimal.Decimal("0")
        if amount < paid:
            raise DomainError(_("%(paid)s yuan are disbursed already: the amount cannot be lower.") % {"paid": paid},
                              field="amount")
        previous = locked.amount
        locked.amount = amount
        locked.save(update_fields=["amount"])
        audit_record(actor=actor, action=AuditAction.AWARD_AMOUNT_SET, target=locked,
                     data={"amount": str(amount), "previous": str(previous) if previous is not None else None})
    return locked


def disbursement_record(*, actor, award: Award, amount, paid_on, reference: str) -> Disbursement:
    """The finance bureau's staff enter money paid on an award: amount, date, payment reference. The total paid
    never exceeds the amount pledged."""
    if not selectors.is_finance_staff(actor):
        raise PermissionDeniedError(_("Only the finance bureau's staff enter disbursements."))
    amount = _parse_amount(amount)
    if amount == 0:
        raise DomainError(_("A disbursement is more than zero."), field="amount")
    paid_on = _parse_date(paid_on, "paid_on")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Give the payment's reference."), field="reference")
    if len(reference) > 128:
        raise DomainError(_("A reference has at most 128 characters."), field="reference")
    with transaction.atomic():
        locked = Award.objects.select_for_update(of=("self",)).select_related("category").get(pk=award.pk)
        if locked.amount is None:
            raise DomainError(_("This award pledges no amount yet: set its amount first."), field="amount")
        paid = locked.disbursements.aggregate(total=Sum("amount"))["total"] or decimal.Decimal("0")
        if paid + amount > locked.amount:
            raise DomainError(_("%(amount)s yuan is more than the %(left)s yuan still to pay of the %(pledged)s pledged.")
                              % {"amount": amount, "left": locked.amount - paid, "pledged": locked.amount}, field="amount")
        disbursement = Disbursement.objects.create(award=locked, amount=amount, paid_on=paid_on, reference=reference,
                                                   entered_by=actor)
        audit_record(actor=actor, action=AuditAction.DISBURSEMENT_RECORDED, target=locked, message=reference,
                     data={"amount": str(amount), "paid_on": paid_on.isoformat(), "disbursement": disbursement.pk,
                           "paid_before": str(paid)})
    return disbursement


# --- implementation rules: the General Office's review ------------------------------------------------------------


def _rules_decide(*, actor, rules: ImplementationRules, accepted: bool, reason: str) -> ImplementationRules:
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise DomainError(_("Say why the rules are sent back."), field="reason")
    with transaction.atomic():
        locked = (ImplementationRules.objects.select_for_update(of=("self",))
                  .select_related("measure__document", "bureau").get(pk=rules.pk))
        if locked.state != ImplementationRules.State.SUBMITTED:
            raise DomainError(_("These rules have been reviewed already."))
        locked.state = ImplementationRules.State.ACCEPTED if accepted else ImplementationRules.State.RETURNED
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, action=AuditAction.RULES_ACCEPTED if accepted else AuditAction.RULES_RETURNED,
                     target=locked, message=reason,
                     data={"measure": locked.measure.number, "bureau": locked.bureau.short_name})
        messages = reminders.bureau_notify(
            bureau=locked.bureau, kind=ReminderKind.RULES_DECIDED, key=f"rules:decided:rules{locked.pk}",
            url=reminders.rules_url(locked.measure),
            context={"measure": locked.measure, "bureau": locked.bureau, "title": locked.title, "accepted": accepted,
                     "reason": reason, "date": format_beijing(locked.decided_at)[:10]})
        pending = [m.pk for m in messages if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return locked


def rules_accept(*, actor, rules: ImplementationRules, reason: str = "") -> ImplementationRules:
    """Accept filed implementation rules: they are the rules in force for the measure from today."""
    return _rules_decide(actor=actor, rules=rules, accepted=True, reason=reason)


def rules_return(*, actor, rules: ImplementationRules, reason: str) -> ImplementationRules:
    """Send filed implementation rules back, with the reasons; the bureau files again."""
    return _rules_decide(actor=actor, rules=rules, accepted=False, reason=reason)


# --- The phases of the year: review, public notice (公示), final publication, reopening ---------------------


def _refuse_unless_decisions_open(cycle: Cycle) -> None:
    if not cycle.decisions_open:
        raise decisions_closed_error(cycle)


def cycle_review_begin(*, actor, cycle: Cycle, now: datetime.datetime | None = None) -> Cycle:
    """Close the year to submissions for good (every bureau's deadline has passed): no extension after it."""
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        phases.cycle_transition(actor=actor, cycle=locked, name="begin_review", now=now)
    return locked


def _notice_ends_at(cycle: Cycle) -> datetime.datetime | None:
    """The last second of the public notice, Beijing time (23:59:59 of its last working day)."""
    if cycle.notice_ends_on is None:
        return None
    return datetime.datetime.combine(cycle.notice_ends_on, datetime.time(23, 59, 59), tzinfo=BEIJING)


def notice_running(cycle: Cycle, *, now: datetime.datetime | None = None) -> bool:
    """The public notice is on and its last day has not passed (the deadline rule: its last second is in)."""
    ends_at = _notice_ends_at(cycle)
    return (cycle.state == Cycle.State.NOTICE and ends_at is not None
            and not deadline_passed(deadline=ends_at, now=now))


def _concerned_people(cycle: Cycle) -> list:
    """Everyone a change of the year's phase concerns: the clerks of the bureaus responsible for the cycle's
    categories, and the reviewers. Active accounts, each once."""
    bureau_ids = (Responsibility.objects.filter(category__measure__document_id=cycle.document_id)
                  .values("bureau_id"))
    clerks = User.objects.filter(is_active=True, memberships__bureau_id__in=bureau_ids)
    # The reviewers of the cycle's programme (of the default one: also those listed in none).
    of_programme = Q(reviewed_programmes=cycle.programme_id)
    if cycle.programme.is_default:
        of_programme |= ~Exists(Programme.reviewers.through.objects.filter(user_id=OuterRef("pk")))
    reviewers = User.objects.filter(of_programme, is_active=True, groups__name=roles.REVIEWER)
    return list((clerks | reviewers).distinct().order_by("username"))


def _phase_letters(*, cycle: Cycle, kind: str, context: dict, url: str) -> list[int]:
    """Record the message of a phase change for everyone concerned, once per change; returns the ids to send."""
    occurrence = audit_trail_for(cycle).filter(
        action=AuditAction.CYCLE_NOTICE_STARTED if kind == "notice" else AuditAction.CYCLE_PUBLISHED).count()
    letters = []
    for person in _concerned_people(cycle):
        subject, text, html = reminders.message_render(
            kind, {**context, "recipient": person.get_full_name() or person.username, "url": url})
        letters.append(Letter(key=f"cycle:{cycle.pk}:{kind}:{occurrence}:user{person.pk}", kind=kind,
                              recipient=person, subject=subject, body_text=text, body_html=html, url=url))
    recorded, _already = outbox_record(letters)
    return [m.pk for m in recorded if m.status == m.Status.PENDING]


def cycle_notice_start(*, actor, cycle: Cycle, acknowledgements: dict | None = None,
                       now: datetime.datetime | None = None) -> Cycle:
    """Put the proposed awardees on public notice (公示) for the cycle's number of working days.

    Refused while any bureau's deadline has not passed or any submitted list waits for a decision; a category
    without a submitted list must be acknowledged by name with a reason (``acknowledgements``: category id →
    reason), which is recorded. Everyone concerned is told (notification and e-mail)."""
    acknowledgements = {int(k): (v or "").strip() for k, v in (acknowledgements or {}).items()}
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="notice", now=now)
        cycle_lists_lock(locked)  # decisions in flight finish first
        preflight = selectors.notice_preflight(cycle=locked, now=now)
        if preflight.undecided:
            raise DomainError(_("%(count)s submitted list(s) still wait for a decision: %(lists)s.")
                              % {"count": len(preflight.undecided),
                                 "lists": "、".join(nl.category.code for nl in preflight.undecided)})
        missing = [row for row in preflight.missing if row.acknowledgement is None]
        unacknowledged = [row.category for row in missing if not acknowledgements.get(row.category.pk)]
        if unacknowledged:
            raise DomainError(_("Acknowledge by name, with a reason, the categories without a submitted list: "
                                "%(categories)s.")
                              % {"categories": "、".join(f"{c.code} {c.name}" for c in unacknowledged)})
        today = (now or deadlines.current_time()).astimezone(BEIJING).date()
        starts_on, ends_on = working_period(start=today, working_days=locked.notice_working_days)
        for row in missing:
            reason = acknowledgements[row.category.pk]
            acknowledgement = MissingListAcknowledgement.objects.create(
                cycle=locked, category=row.category, reason=reason, acknowledged_by=actor)
            audit_record(actor=actor, action=AuditAction.MISSING_LIST_ACKNOWLEDGED, target=acknowledgement,
                         message=reason, data={"cycle": locked.year, "category": row.category.code,
                                               "list_state": row.state})
        awards = Award.objects.filter(cycle=locked).count()
        phases.cycle_transition(actor=actor, cycle=locked, name="notice", checked=checked, now=now,
                                message=_("Public notice from %(start)s to %(end)s (%(days)s working days)")
                                % {"start": starts_on, "end": ends_on, "days": locked.notice_working_days},
                                data={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                                      "working_days": locked.notice_working_days, "awards": awards,
                                      "acknowledged": [row.category.code for row in missing]},
                                notice_starts_on=starts_on, notice_ends_on=ends_on)
        pending = _phase_letters(cycle=locked, kind="notice", url=_absolute_results("notice", locked), context={
            "year": locked.year, "starts_on": chinese_date(starts_on), "ends_on": chinese_date(ends_on),
            "days": locked.notice_working_days, "count": awards})
        transaction.on_commit(lambda: outbox_queue(pending))
    return locked


def _absolute_results(name: str, cycle: Cycle) -> str:
    """The public results page ``name`` of the cycle's programme."""
    return settings.SITE_URL.rstrip("/") + results_path(name, cycle.programme, cycle.year)


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_OBJECTION_NAME = 64
MAX_OBJECTION_CONTACT = 128
MAX_OBJECTION_GROUNDS = 4000


def _receipt(year: int) -> str:
    return f"{year}-" + "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(8))


def objection_file(*, cycle: Cycle, award_id, name: str, contact: str, grounds: str, email: str = "",
                   evidence=None, now: datetime.datetime | None = None) -> Objection:
    """Anyone's objection, in writing under a real name, to a proposed awardee while the public notice runs.
    Every field is checked (and the file, as evidence is) before anything is written; returns the objection with
    its receipt number."""
    name, contact, grounds, email = ((v or "").strip() for v in (name, contact, grounds, email))
    if not name:
        raise DomainError(_("Give your real name: objections are taken only under a real name."), field="name")
    if len(name) > MAX_OBJECTION_NAME:
        raise DomainError(_("A name has at most %(max)s characters.") % {"max": MAX_OBJECTION_NAME}, field="name")
    if not contact:
        raise DomainError(_("Give a telephone number or an address where you can be reached."), field="contact")
    if len(contact) > MAX_OBJECTION_CONTACT:
        raise DomainError(_("The contact has at most %(max)s characters.") % {"max": MAX_OBJECTION_CONTACT},
                          field="contact")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise DomainError(_("“%(email)s” is not an e-mail address.") % {"email": email}, field="email") from None
    if not grounds:
        raise DomainError(_("Say what you object to and why."), field="grounds")
    if len(grounds) > MAX_OBJECTION_GROUNDS:
        raise DomainError(_("The grounds have at most %(max)s characters.") % {"max": MAX_OBJECTION_GROUNDS},
                          field="grounds")
    try:
        award_pk = int(award_id)
    except (TypeError, ValueError):
        award_pk = None
    meta = evidence_check(evidence) if evidence else None
    stored = ""
    try:
        with transaction.atomic():
            locked = cycle_lock(cycle.pk)
            if not notice_running(locked, now=now):
                if locked.state == Cycle.State.NOTICE:
                    raise DomainError(_("The public notice ended on %(day)s: objections are no longer taken.")
                                      % {"day": locked.notice_ends_on})
                raise DomainError(_("The %(year)s proposed awardees are not on public notice: objections are not "
                                    "taken now.") % {"year": locked.year})
            award = (Award.objects.select_related("unit", "category").filter(cycle=locked, pk=award_pk).first()
                     if award_pk else None)
            if award is None:
                raise DomainError(_("Choose a unit that is proposed: only the proposed awardees on notice can be "
                                    "objected to."), field="award")
            objection = Objection(cycle=locked, receipt=_receipt(locked.year), category=award.category,
                                  unit=award.unit, award=award, name=name, contact=contact, email=email,
                                  grounds=grounds)
            if meta:
                objection.evidence_token, objection.evidence_extension = meta["token"], meta["extension"]
                objection.evidence_name, objection.evidence_type = meta["original_name"], meta["content_type"]
                objection.evidence_sha256 = meta["sha256"]
                objection.evidence.save(meta["token"] + meta["extension"], evidence, save=False)
                stored = objection.evidence.name
            objection.save()
            audit_record(actor=None, action=AuditAction.OBJECTION_FILED, target=objection,
                         message=grounds[:200],
                         data={"cycle": locked.year, "category": award.category.code, "unit": str(award.unit),
                               "award": award.pk, "evidence": objection.evidence_name,
                               "evidence_sha256": objection.evidence_sha256})
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    return objection


def objection_settle(*, actor, objection: Objection, upheld: bool, reasons: str) -> Objection:
    """A reviewer settles an objection: dismissed with reasons, or upheld, which withdraws the award with the
    reasons and frees its slot. The objector is told by e-mail when they left an address."""
    _require_reviewer(actor, cycles__objections=objection.pk)
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError(_("Give the reasons of the settlement."), field="reasons")
    with transaction.atomic():
        locked_cycle = cycle_lock(objection.cycle_id)
        if locked_cycle.state != Cycle.State.NOTICE:
            raise DomainError(_("Objections are settled while the %(year)s proposed awardees are on public "
                                "notice.") % {"year": locked_cycle.year})
        current = Objection.objects.select_for_update().get(pk=objection.pk)
        if current.status != Objection.Status.OPEN:
            raise DomainError(_("Objection %(receipt)s is already settled.") % {"receipt": current.receipt})
        withdrawn = None
        if upheld and current.award_id:
            award = Award.objects.select_related("nominee", "unit", "category").get(pk=current.award_id)
            list_lock(award.nominee.nomination_list_id)
            withdrawn = {"award": award.pk, "slot": award.slot, "unit": str(award.unit),
                         "category": award.category.code}
            nominee = award.nominee
            award.delete()  # frees the slot; the objection keeps the unit and the category
            Decision.objects.filter(nominee=nominee).update(approved=False, comment=reasons, decided_by=actor)
            audit_record(actor=actor, action=AuditAction.AWARD_WITHDRAWN, target=nominee, message=reasons,
                         data={"cycle": locked_cycle.year, **withdrawn, "objection": current.receipt})
        current.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        current.settlement, current.settled_by, current.settled_at = reasons, actor, timezone.now()
        current.save(update_fields=["status", "settlement", "settled_by", "settled_at"])
        audit_record(actor=actor, action=AuditAction.OBJECTION_UPHELD if upheld else AuditAction.OBJECTION_DISMISSED,
                     target=current, message=reasons,
                     data={"cycle": locked_cycle.year, "receipt": current.receipt, "withdrawn": withdrawn})
        pending = []
        if current.email:
            subject, text, html = reminders.message_render("objection", {
                "recipient": current.name, "year": locked_cycle.year, "receipt": current.receipt,
                "filed_on": chinese_date(timezone.localtime(current.filed_at, BEIJING).date()),
                "category": f"{current.category.code} {current.category.name}", "unit": current.unit.display_name,
                "outcome": "异议成立，已撤销该单位的拟激励资格" if upheld else "异议不成立",
                "settlement": reasons})
            recorded, _already = outbox_record([Letter(
                key=f"objection:{current.pk}:settled", kind="objection", recipient=None, email=current.email,
                subject=subject, body_text=text, body_html=html)])
            pending = [m.pk for m in recorded if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return current


def _freeze_awards(cycle: Cycle) -> int:
    """Keep, for each award not frozen yet, the titles, the support and the unit's name as they read now."""
    frozen = 0
    for award in (Award.objects.filter(cycle=cycle, published_unit_name="")
                  .select_related("category__measure", "unit__parent")):
        measure = award.category.measure
        award.published_measure_number, award.published_measure_title = measure.number, measure.title
        award.published_category_name = award.category.name
        award.published_category_description = award.category.description
        # The category's own support in the notice's words (its measure's forms where it has none).
        award.published_support_forms = list(award.category.support_forms or measure.support_forms)
        award.published_support_text = award.category.support_text
        award.published_unit_name = award.unit.display_name
        award.published_division_order = award.unit.division_order
        award.save(update_fields=["published_measure_number", "published_measure_title", "published_category_name",
                                  "published_category_description", "published_support_forms",
                                  "published_support_text", "published_unit_name",
                                  "published_division_order"])
        frozen += 1
    return frozen


def cycle_publish(*, actor, cycle: Cycle, now: datetime.datetime | None = None) -> Cycle:
    """Publish the final result after the public notice: refused while the notice runs or any objection is
    unsettled. Freezes every award as it reads, opens the results to the public, requests the bulletin and tells
    everyone concerned."""
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="publish", now=now)
        if notice_running(locked, now=now):
            raise DomainError(_("The public notice runs until %(day)s 23:59:59 Beijing time: the result can be "
                                "published after it.") % {"day": locked.notice_ends_on})
        unsettled = list(Objection.objects.filter(cycle=locked, status=Objection.Status.OPEN)
                         .values_list("receipt", flat=True))
        if unsettled:
            raise DomainError(_("%(count)s objection(s) are not settled: %(receipts)s.")
                              % {"count": len(unsettled), "receipts": "、".join(unsettled)})
        lists = cycle_lists_lock(locked)
        frozen = _freeze_awards(locked)
        document = locked.document
        awards = Award.objects.filter(cycle=locked).count()
        published_at = timezone.now()
        phases.cycle_transition(actor=actor, cycle=locked, name="publish", checked=checked, now=now,
                                data={"awards": awards, "lists": len(lists), "frozen": frozen},
                                published_at=published_at, published_by=actor,
                                published_document_title=locked.published_document_title or document.title,
                                published_document_number=locked.published_document_number or document.number)
        bulletin_request(cycle=locked, actor=actor)
        pending = _phase_letters(cycle=locked, kind="final", url=_absolute_results("cycle", locked), context={
            "year": locked.year, "count": awards,
            "published_on": chinese_date(timezone.localtime(published_at, BEIJING).date())})
        transaction.on_commit(lambda: outbox_queue(pending))
        # The statistics and the year's results under their new key, before the first visitor asks.
        transaction.on_commit(lambda: public_pages_queue(locked.pk))
    return locked


def cycle_reopen(*, actor, cycle: Cycle, reason: str) -> CycleReopening:
    """An administrator's recorded reopening of a published cycle (or of one on public notice); the results leave
    the public pages and decisions can change until the cycle goes through the public notice again."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator may reopen a published cycle."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the cycle is reopened."), field="reason")
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        if locked.state not in (Cycle.State.PUBLISHED, Cycle.State.NOTICE):
            raise DomainError(_("Only a published cycle can be reopened."))
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="reopen")
        reopening = CycleReopening.objects.create(cycle=locked, reason=reason, reopened_by=actor,
                                                  was_published_at=locked.published_at)
        phases.cycle_transition(actor=actor, cycle=locked, name="reopen", checked=checked, message=reason,
                                data={"reopening": reopening.pk,
                                      "notice": [str(locked.notice_starts_on), str(locked.notice_ends_on)]},
                                published_at=None, published_by=None, notice_starts_on=None, notice_ends_on=None)
        # The statistics without the year, under their new key.
        transaction.on_commit(lambda: public_pages_queue(locked.pk))
    return reopening


def bulletin_request(*, cycle, actor, printed_on: datetime.date | None = None) -> Bulletin:
    """Add a new version of the cycle's bulletin and queue its rendering once the transaction commits.

    ``actor`` is the reviewer who asked (or published the cycle); ``None`` for the system. ``printed_on`` is the
    printing date of the closing block (印发); without it, the date the version is rendered."""
    if actor is not None and not roles.is_reviewer(actor):
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))
    if printed_on is not None and not isinstance(printed_on, datetime.date):
        raise DomainError(_("The printing date is not a date."), field="printed_on")
    with transaction.atomic():
        version = (Bulletin.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"] or 0) + 1
        bulletin = Bulletin.objects.create(cycle=cycle, version=version, requested_by=actor, printed_on=printed_on)
        audit_record(actor=actor, action=AuditAction.BULLETIN_REQUESTED, target=cycle,
                     data={"version": version, "printed_on": printed_on.isoformat() if printed_on else None})
        # The version is the record of the work: if the broker is down, bulletins_resume queues it later.
        transaction.on_commit(lambda: bulletins_queue([bulletin.pk]))
    return bulletin


# ---------------------------------------------------------------------------------------------------------------
# The reviewer's desk: marking lists read, reminding late bureaus, exporting the queue


def lists_mark_read(*, actor, cycle: Cycle, list_ids: list[int]) -> int:
    """Mark the cycle's lists ``list_ids`` read by the reviewer (until one is submitted again). Returns how many."""
    _require_reviewer(actor)
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
    _require_reviewer(actor)
    if cycle.state != Cycle.State.OPEN:
        raise DomainError(_("Only the bureaus of an open cycle are reminded."))
    with transaction.atomic():
        late = queue_late_bureaus(cycle=cycle)
        if not late:
            raise DomainError(_("No bureau is late in the %(year)s cycle.") % {"year": cycle.year})
        sending = (AuditEntry.objects.filter(action=AuditAction.LATE_BUREAUS_REMINDED, target_id=cycle.pk).count() + 1)
        recorded = reminders.late_bureaus_notify(cycle=cycle, late=late, sending=sending)
        audit_record(actor=actor, action=AuditAction.LATE_BUREAUS_REMINDED, target=cycle,
                     data={"year": cycle.year, "sending": sending, "messages": len(recorded),
                           "bureaus": {b.short_name: codes for b, codes in late}})
        pending = [m.pk for m in recorded if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return len(late)


def review_queue_export_record(*, actor, cycle: Cycle, count: int, filters: dict) -> None:
    """Record that a reviewer exported the queue (how many rows, under which filters)."""
    _require_reviewer(actor)
    with transaction.atomic():
        audit_record(actor=actor, action=AuditAction.QUEUE_EXPORTED, target=cycle,
                     data={"year": cycle.year, "rows": count, "filters": filters})
