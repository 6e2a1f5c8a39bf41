"""The phases before the result: the review begins (submissions closed), the public notice (公示) starts, and anyone's
objections to a proposed awardee are filed while it runs and settled by a reviewer."""

import datetime
import secrets

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from measures.evidence import evidence_check
from nominations import deadlines, phases, reminders
from nominations.deadlines import deadline_passed
from nominations.locks import cycle_lists_lock, cycle_lock, list_lock
from nominations.models import BEIJING, Cycle, ReminderKind
from nominations.working_days import working_period
from organisation import access
from organisation.audit import AuditAction, audit_record
from organisation.outbox import Letter, outbox_record
from organisation.tasks import outbox_queue

from ..bulletins import chinese_date
from ..models import Award, Decision, MissingListAcknowledgement, Objection
from ..programmes import with_programme
from ..selectors.notice import notice_preflight
from .common import _absolute_results, _phase_letters

# The message telling a bureau that an upheld objection withdrew one of its awards (templates/emails/).
AWARD_WITHDRAWN_KIND = ReminderKind.AWARD_WITHDRAWN


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


def cycle_notice_start(*, actor, cycle: Cycle, acknowledgements: dict | None = None,
                       now: datetime.datetime | None = None) -> Cycle:
    """Put the proposed awardees on public notice (公示) for the cycle's number of working days.

    Refused while any bureau's deadline has not passed, any submitted list waits for a decision or any screening
    flag (a proposed awardee with a disqualifying event in the year) is not settled; a category
    without a submitted list must be acknowledged by name with a reason (``acknowledgements``: category id →
    reason), which is recorded. Everyone concerned is told (notification and e-mail)."""
    acknowledgements = {int(k): (v or "").strip() for k, v in (acknowledgements or {}).items()}
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="notice", now=now)
        cycle_lists_lock(locked)  # decisions in flight finish first
        preflight = notice_preflight(cycle=locked, now=now)
        if preflight.pending_requests:
            raise DomainError(_("A bureau's request for an exception to the cap waits for a decision (%(categories)s): "
                                "grant or refuse it before the public notice, whose limits are final.")
                              % {"categories": "、".join(r.nomination_list.category.code
                                                        for r in preflight.pending_requests)})
        if preflight.undecided:
            raise DomainError(_("%(count)s submitted list(s) still wait for a decision: %(lists)s.")
                              % {"count": len(preflight.undecided),
                                 "lists": "、".join(nl.category.code for nl in preflight.undecided)})
        if preflight.unsettled_flags:
            raise DomainError(_("%(count)s proposed awardee(s) have a screening event (负面清单) in the evaluated year "
                                "that is not settled: %(flags)s. Keep each with the reason, or withdraw the award.")
                              % {"count": len(preflight.unsettled_flags),
                                 "flags": "、".join(f"{flag.award.category.code} {flag.award.unit}"
                                                   for flag in preflight.unsettled_flags)})
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


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_OBJECTION_NAME = 64
MAX_OBJECTION_CONTACT = 128
MAX_OBJECTION_GROUNDS = 8000  # the form's own maximum (reviews.forms.ObjectionForm)


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
            reminders.reviewers_notify(
                programme_id=locked.programme_id, what="objection", key=f"waiting:objection{objection.pk}",
                url=reminders.absolute_url(with_programme(reverse("reviews:objection", args=[objection.pk]),
                                                          locked.programme)),
                context={"year": locked.year, "category": award.category, "measure": award.category.measure,
                         "unit": award.unit.display_name, "text": f"回执号：{objection.receipt}"})
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    return objection


def objection_settle(*, actor, objection: Objection, upheld: bool, reasons: str) -> Objection:
    """A reviewer settles an objection: dismissed with reasons, or upheld, which withdraws the award with the
    reasons and frees its slot. The objector is told by e-mail when they left an address."""
    access.require(actor, "view", objection)  # a reviewer of the objection's programme; anyone else: not found
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError(_("Give the reasons of the settlement."), field="reasons")
    with transaction.atomic():
        locked_cycle = cycle_lock(objection.cycle_id)
        current = Objection.objects.select_for_update().select_related("cycle").get(pk=objection.pk)
        current.cycle = locked_cycle  # the phase as it stands under the lock
        access.require(actor, "settle", current)  # open, and the phase takes objections (PHASE_CHANGES)
        withdrawn, told = None, []
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
            # The bureau that proposed the unit is told at once (outbox and notification), in this transaction.
            nomination_list = nominee.nomination_list
            told = reminders.bureau_notify(
                bureau=nomination_list.bureau, kind=AWARD_WITHDRAWN_KIND, key=f"award_withdrawn:objection{current.pk}",
                url=reminders.list_url(locked_cycle, award.category),
                context={"year": locked_cycle.year, "category": award.category, "measure": award.category.measure,
                         "bureau": nomination_list.bureau, "unit": award.unit.display_name,
                         "receipt": current.receipt, "reasons": reasons})
        current.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        current.settlement, current.settled_by, current.settled_at = reasons, actor, timezone.now()
        current.save(update_fields=["status", "settlement", "settled_by", "settled_at"])
        audit_record(actor=actor, action=AuditAction.OBJECTION_UPHELD if upheld else AuditAction.OBJECTION_DISMISSED,
                     target=current, message=reasons,
                     data={"cycle": locked_cycle.year, "receipt": current.receipt, "withdrawn": withdrawn})
        pending = [m.pk for m in told if m.status == m.Status.PENDING]
        if current.email:
            subject, text, html = reminders.message_render(ReminderKind.OBJECTION, {
                "recipient": current.name, "year": locked_cycle.year, "receipt": current.receipt,
                "filed_on": chinese_date(timezone.localtime(current.filed_at, BEIJING).date()),
                "category": f"{current.category.code} {current.category.name}", "unit": current.unit.display_name,
                "outcome": "异议成立，已撤销该单位的拟激励资格" if upheld else "异议不成立",
                "settlement": reasons})
            recorded, _already = outbox_record([Letter(
                key=f"objection:{current.pk}:settled", kind=ReminderKind.OBJECTION, recipient=None, email=current.email,
                subject=subject, body_text=text, body_html=html)])
            pending += [m.pk for m in recorded if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return current
