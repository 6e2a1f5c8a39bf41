"""Every change to cycles, extensions and nomination lists. One function per change: it checks who acts and the
state, validates, writes in one transaction together with its audit record."""

import datetime
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation import ranking as evaluation_ranking
from evaluation import selectors as evaluation_selectors
from incentives.errors import ConflictError, DomainError, PermissionDeniedError
from measures import limits
from measures.evidence import evidence_check
from measures.models import ImplementationRules, IncentiveCategory, PolicyDocument, Responsibility
from measures.selectors import document_in_force
from organisation import access, roles
from organisation.audit import AuditAction, audit_record
from organisation.models import Bureau, Programme, Unit
from organisation.tasks import outbox_queue

from . import phases, reminders, selectors, states
from .deadlines import bureau_deadline, current_time, deadline_passed, default_deadline_for, format_beijing
from .locks import cycle_lock, list_lock
from .models import (
    BEIJING,
    CapExceptionRequest,
    Cycle,
    Evidence,
    Extension,
    ListComment,
    NominationList,
    Nominee,
)

MAX_COMMENT_LENGTH = 4000


def _as_beijing(value: datetime.datetime) -> datetime.datetime:
    """An aware instant; a naive value is read as Beijing time, whatever the server's time zone."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=BEIJING)
    return value


# --- cycles and extensions (General Office) -------------------------------------------------------------------


def cycle_earliest_year(document: PolicyDocument) -> int | None:
    """The earliest performance year a cycle under ``document`` may assess: bureaus propose units from its first
    year on (从2023年起), each year for the year before (根据上一年度工作成效). None: the document sets no first year."""
    return None if document.first_year is None else document.first_year - 1


def cycle_open(*, actor, year: int, deadline: datetime.datetime | None = None, opens_at: datetime.datetime | None = None,
               document: PolicyDocument | None = None, programme=None) -> Cycle:
    """Open the cycle that assesses ``year`` in the document's programme (the document in force of ``programme``,
    the default programme's by default). By default it closes on 31 March of the next year, 23:59:59 Beijing."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator can open a cycle."))
    if not 2000 <= int(year) <= 2100:
        raise DomainError(_("Give a performance year between 2000 and 2100."), field="year")
    if document is None and programme is not None:
        document = PolicyDocument.objects.filter(programme=programme, in_force=True).order_by("-issued_on").first()
    document = document or document_in_force()
    if document is None:
        raise DomainError(_("There is no policy document in force to base the cycle on."), field="document")
    earliest = cycle_earliest_year(document)
    if earliest is not None and int(year) < earliest:
        raise DomainError(_("%(number)s applies from %(first)s: its first cycle assesses %(earliest)s, not "
                            "%(year)s.") % {"number": document.number, "first": document.first_year,
                                            "earliest": earliest, "year": year}, field="year")
    deadline = _as_beijing(deadline) if deadline else default_deadline_for(year)
    opens_at = _as_beijing(opens_at) if opens_at else timezone.now().replace(microsecond=0)
    if deadline <= opens_at:
        raise DomainError(_("The deadline must come after the opening."), field="deadline")
    with transaction.atomic():
        if Cycle.objects.filter(programme_id=document.programme_id, year=year).exists():
            raise DomainError(_("The %(year)s cycle already exists.") % {"year": year}, field="year")
        cycle = Cycle.objects.create(year=year, document=document, opens_at=opens_at, deadline=deadline)
        audit_record(actor=actor, action=AuditAction.CYCLE_OPENED, target=cycle,
                     message=_("Opened; deadline %(deadline)s Beijing time") % {"deadline": format_beijing(deadline)},
                     data={"year": year, "deadline": deadline.isoformat(), "opens_at": opens_at.isoformat(),
                           "document": document.number})
    return cycle


def cycle_dates_change(*, actor, cycle: Cycle, deadline: datetime.datetime, opens_at: datetime.datetime,
                       notice_working_days: int | None = None) -> Cycle:
    """Move the cycle's opening or deadline (for every bureau; a single bureau gets an extension instead), or change
    how many working days its public notice lasts (not once the notice has begun)."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator can change a cycle's dates."))
    deadline, opens_at = _as_beijing(deadline), _as_beijing(opens_at)
    if deadline <= opens_at:
        raise DomainError(_("The deadline must come after the opening."), field="deadline")
    if notice_working_days is not None and not 1 <= int(notice_working_days) <= 30:
        raise DomainError(_("A public notice lasts from 1 to 30 working days."), field="notice_working_days")
    with transaction.atomic():
        cycle = cycle_lock(cycle.pk)
        days = cycle.notice_working_days if notice_working_days is None else int(notice_working_days)
        before = {"deadline": cycle.deadline.isoformat(), "opens_at": cycle.opens_at.isoformat(),
                  "notice_working_days": cycle.notice_working_days}
        if cycle.deadline == deadline and cycle.opens_at == opens_at and cycle.notice_working_days == days:
            return cycle
        if days != cycle.notice_working_days and cycle.state in (Cycle.State.NOTICE, Cycle.State.PUBLISHED):
            raise DomainError(_("The public notice of the %(year)s cycle has begun: its length no longer changes.")
                              % {"year": cycle.year}, field="notice_working_days")
        cycle.deadline, cycle.opens_at, cycle.notice_working_days = deadline, opens_at, days
        cycle.save(update_fields=["deadline", "opens_at", "notice_working_days"])
        audit_record(actor=actor, action=AuditAction.CYCLE_DATES_CHANGED, target=cycle,
                     message=_("Deadline now %(deadline)s Beijing time") % {"deadline": format_beijing(deadline)},
                     data={"before": before, "after": {"deadline": deadline.isoformat(), "opens_at": opens_at.isoformat(),
                                                       "notice_working_days": days}})
    return cycle


def extension_grant(*, actor, cycle: Cycle, bureau: Bureau, new_deadline: datetime.datetime, reason: str) -> Extension:
    """The General Office gives one bureau a later deadline in one cycle. A new grant replaces an earlier one;
    both stay in the audit trail (and so in the history of the bureau's lists)."""
    if not (roles.is_reviewer(actor) or roles.is_administrator(actor)):
        raise PermissionDeniedError(_("Only the General Office can grant an extension."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the extension."), field="reason")
    if bureau.programme_id != cycle.programme_id:
        raise DomainError(_("%(bureau)s belongs to another programme: it has no deadline in this cycle.")
                          % {"bureau": bureau}, field="bureau")
    new_deadline = _as_beijing(new_deadline)
    if new_deadline <= cycle.deadline:
        raise DomainError(_("The new deadline must be later than the cycle's deadline (%(deadline)s).")
                          % {"deadline": format_beijing(cycle.deadline)}, field="new_deadline")
    with transaction.atomic():
        if cycle_lock(cycle.pk).state != Cycle.State.OPEN:  # the review has begun (nominations.phases)
            raise DomainError(_("The %(year)s cycle is closed to submissions: no extension can be granted any more.")
                              % {"year": cycle.year})
        extension = Extension.objects.select_for_update().filter(cycle=cycle, bureau=bureau).first()
        before = extension.new_deadline.isoformat() if extension else None
        if extension is None:
            extension = Extension(cycle=cycle, bureau=bureau)
        extension.new_deadline, extension.reason, extension.granted_by = new_deadline, reason, actor
        extension.granted_at = timezone.now()
        extension.save()
        audit_record(actor=actor, action=AuditAction.EXTENSION_GRANTED, target=extension,
                     message=_("Extension for %(bureau)s until %(deadline)s Beijing time: %(reason)s")
                     % {"bureau": bureau, "deadline": format_beijing(new_deadline), "reason": reason},
                     data={"cycle": cycle.year, "bureau": bureau.pk, "new_deadline": new_deadline.isoformat(),
                           "previous": before, "reason": reason})
    return extension


# --- nomination lists (bureaus) ---------------------------------------------------------------------------------


@dataclass
class NomineeEntry:
    """One row of the editor, in rank order: the unit, what it achieved, its figures, new evidence files."""

    unit: Unit
    achievements: str
    figures: str = ""
    files: list = field(default_factory=list)
    departure_reason: str = ""


def _check_owner(actor, category: IncentiveCategory) -> None:
    if not (actor.is_authenticated and actor.is_active and selectors.can_edit_category(actor, category)):
        raise PermissionDeniedError(_("Your bureau does not prepare this category's list."))


def _bump_version(nomination_list: NominationList, version: int | None) -> None:
    """Raise the list's version. With ``version`` (the one the person's form was opened at), the save goes through
    only if nobody saved since (optimistic lock); without it (a reviewer's action), unconditionally.

    A list created but never saved has version 1; an editor opened before it existed posts 0 and counts as 1.
    """
    if version is None:
        NominationList.objects.filter(pk=nomination_list.pk).update(version=F("version") + 1, updated_at=timezone.now())
        nomination_list.refresh_from_db(fields=["version", "updated_at"])
        return
    expected = max(int(version or 0), 1)
    updated = NominationList.objects.filter(pk=nomination_list.pk, version=expected).update(
        version=F("version") + 1, updated_at=timezone.now())
    if updated != 1:
        raise ConflictError(_("Someone else saved this list after you opened it. Reload the page to see their "
                              "changes, then make yours again."))
    nomination_list.version = expected + 1


def list_transition_check(*, actor, nomination_list: NominationList, name: str,
                          now: datetime.datetime | None = None) -> states.Transition:
    """The row of the state table that lets ``actor`` take ``name`` on the (locked) list now, or a DomainError.

    Checked in this order: who acts, the cycle, the list's state, the bureau's deadline."""
    by = states.taken_by(name)
    cycle = nomination_list.cycle
    if by == states.OWNER:
        _check_owner(actor, nomination_list.category)
        phases.phase_check(cycle, phases.Change.LISTS)
    elif by == states.LEADER:
        access.require(actor, "sign_off", nomination_list)
        phases.phase_check(cycle, phases.Change.LISTS)
    else:
        if "review" not in access.actions_for(actor, cycle):
            raise PermissionDeniedError(_("Only General Office reviewers may do this."))
        phases.phase_check(cycle, phases.Change.DECISIONS)
    transition = states.transition_for(name, nomination_list.state, sign_off=sign_off_required(cycle))
    if transition is None:
        raise DomainError(_("The list is %(state)s and cannot be changed now.")
                          % {"state": nomination_list.get_state_display()})
    if transition.before_deadline:
        deadline = bureau_deadline(cycle=cycle, bureau=nomination_list.bureau_id)
        if deadline_passed(deadline=deadline, now=now):
            raise DomainError(_("The deadline (%(deadline)s Beijing time) has passed: the list can no longer be "
                                "changed or submitted.") % {"deadline": format_beijing(deadline)})
    return transition


def sign_off_required(cycle: Cycle) -> bool:
    """Whether the cycle's programme requires the leader's sign-off (签发) of its lists, read now (one query)."""
    return Programme.objects.filter(pk=cycle.programme_id, sign_off_required=True).exists()


def list_transition(*, actor, nomination_list: NominationList, name: str, version: int | None = None,
                    message: str = "", data: dict | None = None, now: datetime.datetime | None = None,
                    checked: states.Transition | None = None, **fields) -> NominationList:
    """Take transition ``name`` of the state table on a list locked by the caller (``locks.list_lock``): check the
    table (who, from which state, before the deadline), raise the version, set the new state and ``fields``, and
    write the transition's audit record. The one way a list's state changes. Must run in the caller's transaction.

    ``checked`` is the row ``list_transition_check`` returned, when the caller checked before validating."""
    transition = checked or list_transition_check(actor=actor, nomination_list=nomination_list, name=name, now=now)
    _bump_version(nomination_list, version)
    fields = {"state": transition.target, **fields}
    for attribute, value in fields.items():
        setattr(nomination_list, attribute, value)
    nomination_list.save(update_fields=list(fields))
    audit_record(actor=actor, action=transition.action, target=nomination_list, message=message,
                 data={**(data or {}), "version": nomination_list.version, "state": transition.target})
    return nomination_list


def nomination_list_get_or_create(*, actor, cycle: Cycle, category: IncentiveCategory) -> NominationList:
    """The category's list in the cycle, created on first use for the bureau that owns the category."""
    _check_owner(actor, category)
    existing = NominationList.objects.filter(cycle=cycle, category=category).first()
    if existing is not None:
        return existing
    if cycle.state != Cycle.State.OPEN:
        raise DomainError(_("The %(year)s cycle is closed.") % {"year": cycle.year})
    if category.measure.document_id != cycle.document_id:
        raise DomainError(_("This category is not part of the %(year)s cycle.") % {"year": cycle.year})
    bureau = selectors.owning_bureau(category)
    if bureau is None:
        raise DomainError(_("No bureau prepares this category's list."))
    try:
        with transaction.atomic():
            nomination_list = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, created_by=actor)
            audit_record(actor=actor, action=AuditAction.LIST_CREATED, target=nomination_list,
                         message=_("List created"), data={"bureau": bureau.pk})
    except IntegrityError:
        # Another clerk of the bureau created it at the same moment: use theirs.
        return NominationList.objects.get(cycle=cycle, category=category)
    return nomination_list


def _validate_entries(nomination_list: NominationList, entries: list[NomineeEntry], nothing_to_propose: bool,
                      nothing_reason: str) -> list[list[dict]]:
    length = limits.list_length(category=nomination_list.category, year=nomination_list.cycle.year,
                                held=nomination_list.nominees.count())
    if len(entries) > length:
        raise DomainError(limits.list_length_message(limit=length))
    if nothing_to_propose:
        if entries:
            raise DomainError(_("Either propose units or say that there is nobody to propose, not both."),
                              field="nothing_to_propose")
        if not nothing_reason.strip():
            raise DomainError(_("Say why nobody is proposed."), field="nothing_reason")
    allowed_kinds = set(nomination_list.category.subject_kinds.values_list("code", flat=True))
    # A unit qualifies by its main kind or any other kind it also is (one query, only when a main kind does not fit).
    others = [entry.unit.pk for entry in entries if entry.unit.kind_id not in allowed_kinds]
    also_fits = set(Unit.other_kinds.through.objects.filter(unit_id__in=others, unitkind_id__in=allowed_kinds)
                    .values_list("unit_id", flat=True)) if others else set()
    seen = set()
    for entry in entries:
        if entry.unit.pk in seen:
            raise DomainError(_("%(unit)s appears twice: a unit can be proposed only once.") % {"unit": entry.unit})
        seen.add(entry.unit.pk)
        if (entry.unit.kind_id not in allowed_kinds and entry.unit.pk not in also_fits) or not entry.unit.is_active:
            raise DomainError(_("%(unit)s cannot be proposed in this category: it rewards other kinds of units.")
                              % {"unit": entry.unit})
    # A draft may be incomplete (a unit without its achievements yet): completeness is checked at submission.
        if entry.unit.programme_id != nomination_list.cycle.programme_id:
            raise DomainError(_("%(unit)s belongs to another programme: it cannot be proposed here.")
                              % {"unit": entry.unit})
    # Every file is checked before anything is written, so a bad file leaves the list as it was.
    return [[{"file": f, **evidence_check(f)} for f in entry.files] for entry in entries]


def _departures_check(nomination_list: NominationList, entries: list[NomineeEntry]) -> dict[int, tuple]:
    """Where the category has criteria for the year, the list follows their ranking: a unit at a rank the ranking
    does not give it is a departure and needs its reason; a unit out under a pass/fail condition (否决项) is not
    proposed. Returns unit id → (position in the ranking, reason kept)."""
    cycle, category = nomination_list.cycle, nomination_list.category
    sheet = evaluation_selectors.ranking_for_list(category=category, year=cycle.year, programme_id=cycle.programme_id)
    if sheet is None:
        return {entry.unit.pk: (None, "") for entry in entries}
    kept = {}
    for index, (entry, placement) in enumerate(zip(entries, evaluation_ranking.placements(
            sheet.rows, [e.unit for e in entries]), strict=True)):
        if placement.is_out:
            raise DomainError(_("%(unit)s is out of the ranking (%(reason)s): it cannot be proposed.")
                              % {"unit": entry.unit, "reason": placement.row.out_reason}, field=f"rows-{index}-unit")
        reason = (entry.departure_reason or "").strip()
        if placement.departs and not reason:
            expected = placement.expected.unit.name if placement.expected else "—"
            raise DomainError(_("Rank %(rank)s: the ranking puts %(expected)s here, not %(unit)s. Give the reason "
                                "of this departure from the ranking.")
                              % {"rank": placement.rank, "expected": expected, "unit": entry.unit},
                              field=f"rows-{index}-departure_reason")
        if len(reason) > MAX_COMMENT_LENGTH:
            raise DomainError(_("A reason has at most %(max)s characters.") % {"max": MAX_COMMENT_LENGTH},
                              field=f"rows-{index}-departure_reason")
        kept[entry.unit.pk] = (placement.position, reason if placement.departs else "")
    return kept


def _place_nominees(nomination_list: NominationList, entries: list[NomineeEntry],
                    placed: dict[int, tuple] | None = None) -> dict[int, Nominee]:
    """Make the list's nominees match ``entries`` (rank = position), keeping the rows (and their evidence and any
    decision on them) of units that stay; ``placed`` gives each unit's position in the ranking and the reason of a
    departure (``_departures_check``). Ranks are unique in the database at every statement, so rows move one at
    a time through a free rank (there is always one: ranks have no ceiling)."""
    placed = placed or {}
    target = {entry.unit.pk: rank for rank, entry in enumerate(entries, start=1)}
    current = {n.unit_id: n for n in Nominee.objects.select_for_update().filter(nomination_list=nomination_list)}
    Nominee.objects.filter(pk__in=[n.pk for u, n in current.items() if u not in target]).delete()
    kept = {u: n for u, n in current.items() if u in target}

    while any(n.rank != target[u] for u, n in kept.items()):
        occupied = {n.rank: n for n in kept.values()}
        moved = False
        for u, n in kept.items():
            if n.rank != target[u] and target[u] not in occupied:
                n.rank = target[u]
                n.save(update_fields=["rank"])
                moved = True
                break
        if not moved:  # a cycle: step one of its rows aside into a free rank
            free = next(r for r in range(1, len(kept) + len(target) + 2) if r not in occupied)
            n = next(n for u, n in kept.items() if n.rank != target[u])
            n.rank = free
            n.save(update_fields=["rank"])

    by_unit = dict(kept)
    for entry in entries:
        nominee = by_unit.get(entry.unit.pk)
        position, reason = placed.get(entry.unit.pk, (None, ""))
        wanted = (entry.achievements.strip(), entry.figures.strip(), position, reason)
        if nominee is None:
            nominee = Nominee.objects.create(nomination_list=nomination_list, unit=entry.unit, rank=target[entry.unit.pk],
                                             achievements=wanted[0], figures=wanted[1], ranking_position=position,
                                             departure_reason=reason)
            by_unit[entry.unit.pk] = nominee
        elif (nominee.achievements, nominee.figures, nominee.ranking_position, nominee.departure_reason) != wanted:
            (nominee.achievements, nominee.figures, nominee.ranking_position, nominee.departure_reason) = wanted
            nominee.save(update_fields=["achievements", "figures", "ranking_position", "departure_reason"])
    return by_unit


def nomination_list_save(*, actor, nomination_list: NominationList, version: int, entries: list[NomineeEntry],
                         nothing_to_propose: bool = False, nothing_reason: str = "", remove_evidence=(),
                         now: datetime.datetime | None = None) -> NominationList:
    """Save the draft (or the returned list being corrected): nominees in rank order, new and removed evidence."""
    stored_names: list[str] = []
    try:
        with transaction.atomic():
            locked = list_lock(nomination_list.pk)
            list_transition_check(actor=actor, nomination_list=locked, name="edit", now=now)
            _bump_version(locked, version)
            files = _validate_entries(locked, entries, nothing_to_propose, nothing_reason)
            placed = _departures_check(locked, entries)
            remove_ids = {int(pk) for pk in remove_evidence}
            removed = list(Evidence.objects.filter(pk__in=remove_ids, nominee__nomination_list=locked))
            if len(removed) != len(remove_ids):
                raise DomainError(_("An evidence file to remove is not part of this list."))
            removed_names = [e.file.name for e in removed]
            Evidence.objects.filter(pk__in=[e.pk for e in removed]).delete()

            before = list(locked.nominees.order_by("rank").values_list("unit__name", flat=True))
            nominees = _place_nominees(locked, entries, placed)
            added = []
            for entry, entry_files in zip(entries, files, strict=True):
                for meta in entry_files:
                    evidence = Evidence(nominee=nominees[entry.unit.pk], uploaded_by=actor)
                    stored_names.append(evidence.store(meta["file"], meta))
                    evidence.save()
                    added.append(evidence.original_name)

            locked.nothing_to_propose = nothing_to_propose
            locked.nothing_reason = nothing_reason.strip() if nothing_to_propose else ""
            locked.save(update_fields=["nothing_to_propose", "nothing_reason"])
            after = [str(e.unit.name) for e in entries]
            audit_record(actor=actor, action=AuditAction.LIST_SAVED, target=locked, message=_("Draft saved"),
                         data={"nominees": after, "before": before, "evidence_added": added,
                               "evidence_removed": [e.original_name for e in removed],
                               "nothing_to_propose": nothing_to_propose, "version": locked.version,
                               "departures": {str(e.unit.name): placed[e.unit.pk][1] for e in entries
                                              if placed[e.unit.pk][1]}})
            transaction.on_commit(lambda: [default_storage.delete(name) for name in removed_names])
    except Exception:
        # The transaction rolled back: files written for it must go too.
        for name in stored_names:
            default_storage.delete(name)
        raise
    return locked


def nomination_list_missing(nomination_list: NominationList) -> list[str]:
    """What the list still lacks before it can be submitted, one sentence each (empty: complete). One query."""
    nominees = list(nomination_list.nominees.select_related("unit__parent").order_by("rank"))
    if not nominees and not nomination_list.nothing_to_propose:
        return [_("Propose at least one unit, or say that there is nobody to propose.")]
    return [_("Describe what %(unit)s achieved.") % {"unit": n.unit} for n in nominees if not n.achievements.strip()]


def nomination_list_submit(*, actor, nomination_list: NominationList, version: int,
                           now: datetime.datetime | None = None) -> NominationList:
    """Send the list to the General Office, complete (``nomination_list_missing``). A returned list is resubmitted
    the same way. Where the programme requires the leader's sign-off, the list goes to the bureau's leader instead
    (``nomination_list_sign_off``), and reaches the General Office only once signed off."""
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        checked = list_transition_check(actor=actor, nomination_list=locked, name="submit", now=now)
        count = locked.nominees.count()
        missing = nomination_list_missing(locked)
        if missing:
            raise DomainError(" ".join(missing))
        data = {"nominees": count, "nothing_to_propose": locked.nothing_to_propose}
        if checked.target == states.ListState.AWAITING_SIGN_OFF:
            leaders = list(Bureau.objects.filter(pk=locked.bureau_id).values_list(
                "memberships__user_id", flat=True).filter(memberships__is_leader=True))
            if not leaders:
                raise DomainError(_("%(bureau)s has no leader to sign the list off: ask your security administrator "
                                    "to name one.") % {"bureau": locked.bureau})
            list_transition(actor=actor, nomination_list=locked, name="submit", version=version, now=now,
                            checked=checked, message=_("Sent to the leader for sign-off with %(count)s nominee(s)")
                            % {"count": count}, data=data, submitted_by=actor, submitted_at=None,
                            signed_off_by=None, signed_off_at=None, sign_off_reason="")
            told = [m.pk for m in reminders.sign_off_requested_notify(nomination_list=locked, leader_ids=leaders)
                    if m.status == m.Status.PENDING]
            transaction.on_commit(lambda: outbox_queue(told))
            return locked
        list_transition(actor=actor, nomination_list=locked, name="submit", version=version, now=now, checked=checked,
                        message=_("Submitted with %(count)s nominee(s)") % {"count": count},
                        data=data, submitted_at=now or current_time(), submitted_by=actor)
    return locked


def nomination_list_sign_off(*, actor, nomination_list: NominationList, version: int | None = None,
                             now: datetime.datetime | None = None) -> NominationList:
    """The bureau's leader signs the list off (签发): it reaches the General Office, and the list (and the
    bulletin's data) records who signed it off and when."""
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        checked = list_transition_check(actor=actor, nomination_list=locked, name="sign_off", now=now)
        moment = now or current_time()
        list_transition(actor=actor, nomination_list=locked, name="sign_off",
                        version=locked.version if version is None else version, now=now, checked=checked,
                        message=_("Signed off by %(name)s") % {"name": actor.get_full_name() or actor.get_username()},
                        data={"sent_by": locked.submitted_by_id, "signed_off_at": moment.isoformat()},
                        signed_off_by=actor, signed_off_at=moment, submitted_at=moment, sign_off_reason="")
    return locked


def nomination_list_sign_off_decline(*, actor, nomination_list: NominationList, reason: str,
                                     version: int | None = None, now: datetime.datetime | None = None) -> NominationList:
    """The bureau's leader sends the list back to the clerk with the reasons; it is a draft again."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the list goes back to the clerk."), field="reason")
    if len(reason) > MAX_COMMENT_LENGTH:
        raise DomainError(_("A reason has at most %(max)s characters.") % {"max": MAX_COMMENT_LENGTH}, field="reason")
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        checked = list_transition_check(actor=actor, nomination_list=locked, name="decline_sign_off", now=now)
        clerk_id = locked.submitted_by_id
        list_transition(actor=actor, nomination_list=locked, name="decline_sign_off",
                        version=locked.version if version is None else version, now=now, checked=checked,
                        message=reason, data={"reason": reason, "sent_by": clerk_id},
                        sign_off_reason=reason, submitted_by=None, submitted_at=None)
        told = [m.pk for m in reminders.sign_off_declined_notify(nomination_list=locked, clerk_id=clerk_id)
                if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(told))
    return locked


def nomination_list_withdraw(*, actor, nomination_list: NominationList, version: int | None = None,
                             now: datetime.datetime | None = None) -> NominationList:
    """Take a submitted list back to draft to change it, while the deadline has not passed."""
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        list_transition(actor=actor, nomination_list=locked, name="withdraw",
                        version=locked.version if version is None else version, now=now,
                        message=_("Withdrawn for changes"), submitted_at=None, submitted_by=None,
                        signed_off_by=None, signed_off_at=None)
    return locked


def list_comment_add(*, actor, nomination_list: NominationList, text: str) -> ListComment:
    """A responsible bureau (co-responsible ones included) remarks on a list. The list itself does not change."""
    category = nomination_list.category
    if not (actor.is_authenticated and actor.is_active and selectors.can_comment_category(actor, category)):
        raise PermissionDeniedError(_("Your bureau is not responsible for this category."))
    text = (text or "").strip()
    if not text:
        raise DomainError(_("Write the comment."), field="text")
    if len(text) > MAX_COMMENT_LENGTH:
        raise DomainError(_("A comment has at most %(max)s characters.") % {"max": MAX_COMMENT_LENGTH}, field="text")
    bureau = (Bureau.objects.filter(memberships__user=actor, responsibilities__category=category)
              .order_by("responsibilities__order").first())
    with transaction.atomic():
        comment = ListComment.objects.create(nomination_list=nomination_list, author=actor, bureau=bureau, text=text)
        audit_record(actor=actor, action=AuditAction.LIST_COMMENTED, target=nomination_list,
                     message=text[:200], data={"comment": comment.pk, "bureau": bureau.pk if bureau else None})
        # The other bureaus responsible are told, in the application and by e-mail once this commits.
        told = [m.pk for m in reminders.list_commented_notify(comment=comment) if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(told))
    return comment


# --- requests for an exception to the cap (the bureau) ----------------------------------------------------------


def cap_exception_request(*, actor, nomination_list: NominationList, requested_limit, reason: str) -> CapExceptionRequest:
    """The bureau asks, from its list, for more awardees than the cap (申请突破名额): how many and why. The General
    Office grants or refuses it (``reviews.services``); one request at a time waits for a decision."""
    _check_owner(actor, nomination_list.category)
    requested_limit = limits.exception_limit_check(category=nomination_list.category, value=requested_limit,
                                                   field="requested_limit")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the category needs more awardees than the cap."), field="reason")
    if len(reason) > MAX_COMMENT_LENGTH:
        raise DomainError(_("A reason has at most %(max)s characters.") % {"max": MAX_COMMENT_LENGTH}, field="reason")
    with transaction.atomic():
        locked = list_lock(nomination_list.pk)
        phases.phase_check(locked.cycle, phases.Change.EXCEPTION_REQUESTS)
        if CapExceptionRequest.objects.filter(nomination_list=locked, state=CapExceptionRequest.State.PENDING).exists():
            raise DomainError(_("This list already has a request waiting for a decision."), field="requested_limit")
        request = CapExceptionRequest.objects.create(nomination_list=locked, requested_limit=requested_limit,
                                                     reason=reason, requested_by=actor)
        audit_record(actor=actor, action=AuditAction.CAP_EXCEPTION_REQUESTED, target=locked, message=reason,
                     data={"cycle": locked.cycle.year, "category": locked.category.code, "request": request.pk,
                           "requested_limit": requested_limit, "cap": locked.category.cap})
        reminders.reviewers_notify(
            programme_id=locked.cycle.programme_id, what="exception", key=f"waiting:exception{request.pk}",
            url=reminders.desk_url(locked.cycle),
            context={"year": locked.cycle.year, "category": locked.category, "measure": locked.category.measure,
                     "bureau": locked.bureau, "text": f"申请激励主体数量上限：{requested_limit}个。理由：{reason}"})
    return request


# --- implementation rules (实施办法) filed by the responsible bureaus ---------------------------------------------


def rules_bureaus_of(*, actor, measure) -> list[Bureau]:
    """The bureaus of ``actor`` that file ``measure``'s implementation rules: those that prepare one of its
    categories' lists (lead, separately or jointly responsible)."""
    return list(Bureau.objects.filter(memberships__user=actor, responsibilities__category__measure=measure,
                                      responsibilities__role__in=Responsibility.OWNER_ROLES).distinct().order_by("order", "pk"))


def rules_file(*, actor, measure, bureau: Bureau, title: str, upload, now: datetime.datetime | None = None):
    """A responsible bureau files (or files again, after a return) its implementation rules for a measure. The file
    passes the same checks as evidence; a filing waiting for review must be decided before the next."""
    if not (actor.is_authenticated and actor.is_active) or bureau not in rules_bureaus_of(actor=actor, measure=measure):
        raise PermissionDeniedError(_("Your bureau does not file this measure's implementation rules."))
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the title of the implementation rules."), field="title")
    if len(title) > 255:
        raise DomainError(_("A title has at most 255 characters."), field="title")
    if upload is None:
        raise DomainError(_("Attach the implementation rules."), field="file")
    meta = evidence_check(upload)
    stored = None
    try:
        with transaction.atomic():
            if ImplementationRules.objects.select_for_update().filter(
                    measure=measure, bureau=bureau, state=ImplementationRules.State.SUBMITTED).exists():
                raise DomainError(_("Your rules for this measure already wait for review."), field="file")
            rules = ImplementationRules(measure=measure, bureau=bureau, title=title, submitted_by=actor,
                                        submitted_at=now or current_time())
            stored = rules.store(upload, meta)
            try:
                with transaction.atomic():
                    rules.save()
            except IntegrityError:
                raise DomainError(_("Your rules for this measure already wait for review."), field="file") from None
            audit_record(actor=actor, action=AuditAction.RULES_FILED, target=rules, message=title,
                         data={"measure": measure.number, "bureau": bureau.short_name, "sha256": rules.sha256})
            reminders.reviewers_notify(
                programme_id=measure.document.programme_id, what="rules", key=f"waiting:rules{rules.pk}",
                url=reminders.absolute_url(reverse("reviews:rules")),
                context={"year": (now or current_time()).year, "bureau": bureau, "measure": measure,
                         "text": f"第{measure.numeral}条 {measure.title}：{title}"})
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    return rules
