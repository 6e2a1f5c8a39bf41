"""Exceptions to the cap: recorded by a reviewer, or a bureau's request granted or refused; withdrawn. The bureau that
prepares the category's list is told."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from measures import limits
from measures.models import CapException
from nominations import phases, reminders
from nominations.locks import cycle_lock, list_lock
from nominations.models import CapExceptionRequest, Cycle, NominationList, ReminderKind
from nominations.selectors import owning_bureau
from organisation import access
from organisation.audit import AuditAction, audit_record
from organisation.tasks import outbox_queue

from ..models import Award
from .common import _require_reviewer


def _exception_target_lock(*, cycle: Cycle, category) -> Cycle:
    """Lock what an exception's change must hold: the cycle row, then the category's list rows (the rows its
    approvals lock, so a change waits for the approvals in flight and every later approval sees it)."""
    locked_cycle = cycle_lock(cycle.pk)
    phases.phase_check(locked_cycle, phases.Change.EXCEPTIONS)
    for pk in NominationList.objects.filter(cycle=cycle, category=category).order_by("pk").values_list("pk", flat=True):
        list_lock(pk)
    return locked_cycle


def _exception_check(*, cycle: Cycle, category, new_limit, reason: str) -> tuple[int, str]:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the exception is granted."), field="reason")
    if category.measure.document_id != cycle.document_id:
        raise DomainError(_("This category is not in the cycle's catalogue."))
    return limits.exception_limit_check(category=category, value=new_limit), reason


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
    access.require(actor, "decide", request)
    nomination_list = request.nomination_list
    return cap_exception_record(actor=actor, cycle=nomination_list.cycle, category=nomination_list.category,
                                new_limit=new_limit, reason=reason)


def cap_exception_refuse(*, actor, request: CapExceptionRequest, reason: str) -> CapExceptionRequest:
    """Refuse a bureau's request, with the reasons; the cap (or the exception already in force) stays."""
    access.require(actor, "decide", request)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the request is refused."), field="reason")
    with transaction.atomic():
        nomination_list = list_lock(request.nomination_list_id)
        phases.phase_check(nomination_list.cycle, phases.Change.EXCEPTION_REQUESTS)
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
    _require_reviewer(actor, cycles=cycle.pk)
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
