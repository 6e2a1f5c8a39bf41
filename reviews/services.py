"""The General Office's state changes: return a list, decide nominees under the cap, record exceptions to the cap,
publish a cycle and (administrators only) reopen it.

Locking order, so that two services never wait on each other in opposite orders:
``Cycle`` row (publication, reopening, exceptions) → ``NominationList`` rows → ``Award`` inserts.
Decisions lock only their list; publication locks the cycle and then every list of the cycle, so it waits for
decisions in flight and every decision that starts afterwards sees the cycle published.

Every lock is ``FOR NO KEY UPDATE`` (``no_key=True``): inserting an award or a decision makes PostgreSQL take a
``FOR KEY SHARE`` lock on the referenced cycle and list rows, which a plain ``FOR UPDATE`` held by a publication
would block — a decision holding its list would then wait for the cycle while the publication waits for the
list: a deadlock (found by tests/test_reviews_concurrency.py). ``NO KEY UPDATE`` locks still exclude each other.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import roles
from incentives.audit import audit_record
from incentives.errors import DomainError, PermissionDeniedError
from nominations.models import Cycle, NominationList, Nominee

from .models import ABSOLUTE_MAX_AWARDS, CAP_IN_PRINCIPLE, Award, CapException, CycleReopening, Decision

DECIDABLE_STATES = (NominationList.State.SUBMITTED, NominationList.State.DECIDED)


def _require_reviewer(actor) -> None:
    if not roles.is_reviewer(actor):
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))


def _refuse_if_published(cycle: Cycle) -> None:
    if cycle.state == Cycle.State.PUBLISHED:
        raise DomainError(_("The %(year)s cycle is published and its decisions are frozen. "
                            "An administrator must reopen it first.") % {"year": cycle.year})


def _lock_list(pk: int) -> NominationList:
    # Lock only the list row (of=self): locking the joined cycle would serialise every decision of the year.
    return (NominationList.objects.select_for_update(of=("self",), no_key=True)
            .select_related("cycle", "category", "bureau").get(pk=pk))


def _bump(nomination_list: NominationList, **fields) -> None:
    """Save a state change and raise the list's version, so that a clerk's stale form is refused."""
    for name, value in fields.items():
        setattr(nomination_list, name, value)
    nomination_list.version = F("version") + 1
    nomination_list.save(update_fields=[*fields, "version", "updated_at"])
    nomination_list.refresh_from_db(fields=["version"])


def award_limit(*, cycle: Cycle, category) -> tuple[int, CapException | None]:
    """How many awardees the category may have in the cycle: the exception's new limit, else the category's cap."""
    exception = CapException.objects.filter(cycle=cycle, category=category).first()
    if exception is not None:
        return exception.new_limit, exception
    return category.cap, None


def cap_refusal_message(*, category, limit: int, count: int) -> str:
    return _("Category %(code)s already has %(count)s awardee(s), its limit for this cycle is %(limit)s "
             "(每类激励主体数量原则上不超3个, at most 3 per category and year in principle). "
             "A further approval needs an exception to the cap recorded by the General Office.") % {
        "code": category.code, "count": count, "limit": limit}


def nomination_list_return(*, actor, nomination_list: NominationList, reason: str) -> NominationList:
    """Return a submitted list to its bureau for correction (退回补正), with the reasons."""
    from nominations.tasks import list_returned_notify

    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the list is returned."), field="reason")
    with transaction.atomic():
        locked = _lock_list(nomination_list.pk)
        _refuse_if_published(Cycle.objects.get(pk=locked.cycle_id))
        if locked.state != NominationList.State.SUBMITTED:
            raise DomainError(_("Only a submitted list can be returned; this one is %(state)s.")
                              % {"state": locked.get_state_display()})
        # The bureau will change the list, so decisions already taken on it no longer stand.
        cleared = list(Award.objects.filter(nominee__nomination_list=locked).values_list("unit_id", flat=True))
        Award.objects.filter(nominee__nomination_list=locked).delete()
        Decision.objects.filter(nominee__nomination_list=locked).delete()
        _bump(locked, state=NominationList.State.RETURNED, return_reason=reason)
        audit_record(actor=actor, action="nomination_list.return", target=locked, message=reason,
                     data={"cycle": locked.cycle.year, "category": locked.category.code, "cleared_awards_units": cleared})
        list_id = locked.pk
        transaction.on_commit(lambda: list_returned_notify.delay(list_id))
    return locked


def nominee_decide(*, actor, nominee: Nominee, approved: bool, comment: str = "") -> Decision:
    """Approve a nominee (it becomes an awardee of its category for the cycle) or not, with a comment.

    The cap holds under concurrency three times over: approvals of one category serialise on the row lock of
    its list (one list per category and cycle); each award takes a slot that is unique per category and cycle;
    and the database refuses a slot above 3 unless the award cites a recorded exception.
    """
    _require_reviewer(actor)
    comment = (comment or "").strip()
    with transaction.atomic():
        locked = _lock_list(nominee.nomination_list_id)
        cycle = Cycle.objects.get(pk=locked.cycle_id)  # read after the lock: a publication committed meanwhile is seen
        _refuse_if_published(cycle)
        if locked.state not in DECIDABLE_STATES:
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
        audit_record(actor=actor, action="nominee.approve" if approved else "nominee.reject", target=current,
                     message=comment, data={"cycle": cycle.year, "category": locked.category.code,
                                            "unit": str(current.unit), "slot": slot, "list": locked.pk})
        undecided = Nominee.objects.filter(nomination_list=locked, decision__isnull=True).exists()
        if locked.state == NominationList.State.SUBMITTED and not undecided:
            _bump(locked, state=NominationList.State.DECIDED)
            audit_record(actor=actor, action="nomination_list.decided", target=locked,
                         data={"cycle": cycle.year, "category": locked.category.code})
    return decision


def _award_slot_take(*, cycle: Cycle, nomination_list: NominationList, nominee: Nominee) -> int:
    category = nomination_list.category
    limit, exception = award_limit(cycle=cycle, category=category)
    used = set(Award.objects.filter(cycle=cycle, category=category).order_by().values_list("slot", flat=True))
    free = sorted(set(range(1, limit + 1)) - used)
    if len(used) >= limit or not free:
        raise DomainError(cap_refusal_message(category=category, limit=limit, count=len(used)))
    slot = free[0]
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the outer transaction usable
            Award.objects.create(cycle=cycle, category=category, unit=nominee.unit, nominee=nominee, slot=slot,
                                 cap_exception=exception if slot > CAP_IN_PRINCIPLE else None)
    except IntegrityError:
        # Another approval took the slot (or the unit already won this category): the database refused it.
        raise DomainError(cap_refusal_message(category=category, limit=limit, count=len(used) + 1)) from None
    return slot


def nomination_list_acknowledge(*, actor, nomination_list: NominationList) -> NominationList:
    """Close a submitted list that proposes nobody: there is nothing to decide, it becomes decided."""
    _require_reviewer(actor)
    with transaction.atomic():
        locked = _lock_list(nomination_list.pk)
        _refuse_if_published(Cycle.objects.get(pk=locked.cycle_id))
        if locked.state != NominationList.State.SUBMITTED:
            raise DomainError(_("Only a submitted list can be closed."))
        if Nominee.objects.filter(nomination_list=locked, decision__isnull=True).exists():
            raise DomainError(_("Decide every nominee first."))
        _bump(locked, state=NominationList.State.DECIDED)
        audit_record(actor=actor, action="nomination_list.decided", target=locked,
                     data={"cycle": locked.cycle.year, "category": locked.category.code})
    return locked


def cap_exception_record(*, actor, cycle: Cycle, category, new_limit: int, reason: str) -> CapException:
    """Record the General Office's justified decision to allow more awardees than the cap for one category."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the exception is granted."), field="reason")
    if category.measure.document_id != cycle.document_id:
        raise DomainError(_("This category is not in the cycle's catalogue."))
    if not (category.cap < new_limit <= ABSOLUTE_MAX_AWARDS):
        raise DomainError(_("An exception raises the limit above the cap of %(cap)s, to at most %(max)s.")
                          % {"cap": category.cap, "max": ABSOLUTE_MAX_AWARDS}, field="new_limit")
    with transaction.atomic():
        locked_cycle = Cycle.objects.select_for_update(no_key=True).get(pk=cycle.pk)
        _refuse_if_published(locked_cycle)
        # Serialise with approvals of this category, which lock its list.
        list(NominationList.objects.select_for_update(no_key=True).filter(cycle=cycle, category=category).order_by())
        awarded = Award.objects.filter(cycle=cycle, category=category).count()
        if new_limit < awarded:
            raise DomainError(_("The category already has %(count)s awardees.") % {"count": awarded}, field="new_limit")
        exception = CapException.objects.filter(cycle=cycle, category=category).first()
        previous = exception.new_limit if exception else None
        if exception is None:
            exception = CapException.objects.create(cycle=cycle, category=category, new_limit=new_limit,
                                                    reason=reason, decided_by=actor)
        else:
            exception.new_limit, exception.reason, exception.decided_by = new_limit, reason, actor
            exception.decided_at = timezone.now()
            exception.save()
        audit_record(actor=actor, action="cap_exception.record", target=exception, message=reason,
                     data={"cycle": cycle.year, "category": category.code, "new_limit": new_limit,
                           "previous_limit": previous, "cap": category.cap})
    return exception


def cycle_publish(*, actor, cycle: Cycle) -> Cycle:
    """Publish the year's result: freeze every decision and open the results to the public; request the bulletin."""
    from .bulletins import bulletin_request

    _require_reviewer(actor)
    with transaction.atomic():
        locked = Cycle.objects.select_for_update(no_key=True).get(pk=cycle.pk)
        _refuse_if_published(locked)
        # Wait for decisions in flight: they hold their list's lock until they commit.
        lists = list(NominationList.objects.select_for_update(no_key=True).filter(cycle=locked).order_by("pk").values_list("state", flat=True))
        pending = lists.count(NominationList.State.SUBMITTED)
        if pending:
            raise DomainError(_("%(count)s submitted list(s) still wait for a decision.") % {"count": pending})
        locked.state = Cycle.State.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save(update_fields=["state", "published_at", "published_by"])
        awards = Award.objects.filter(cycle=locked).count()
        audit_record(actor=actor, action="cycle.publish", target=locked,
                     data={"year": locked.year, "awards": awards, "lists": len(lists)})
        bulletin_request(cycle=locked, actor=actor)
    return locked


def cycle_reopen(*, actor, cycle: Cycle, reason: str) -> CycleReopening:
    """An administrator's recorded reopening of a published cycle; the results leave the public pages until
    the cycle is published again."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator may reopen a published cycle."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the cycle is reopened."), field="reason")
    with transaction.atomic():
        locked = Cycle.objects.select_for_update(no_key=True).get(pk=cycle.pk)
        if locked.state != Cycle.State.PUBLISHED:
            raise DomainError(_("Only a published cycle can be reopened."))
        reopening = CycleReopening.objects.create(cycle=locked, reason=reason, reopened_by=actor,
                                                  was_published_at=locked.published_at)
        locked.state = Cycle.State.CLOSED
        locked.published_at = None
        locked.published_by = None
        locked.save(update_fields=["state", "published_at", "published_by"])
        audit_record(actor=actor, action="cycle.reopen", target=locked, message=reason,
                     data={"year": locked.year, "reopening": reopening.pk})
    return reopening
