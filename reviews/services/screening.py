"""Screening (负面清单): reviewers record disqualifying events of units (typed, or imported from a spreadsheet with
the catalogue import's reader: a bad row refuses the whole file), and settle each flag they raise on a proposed
awardee: kept with the reason, or the award withdrawn with the reason. The public notice waits until every flag
of the year is settled (``notice.cycle_notice_start``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.services import recusal_check
from incentives import params
from incentives.errors import DomainError
from measures.importing.reading import ImportFileError, RowError, read_table
from nominations.locks import cycle_lock, list_lock
from organisation import access, roles
from organisation.audit import AuditAction, audit_record
from organisation.models import Programme, Unit

from ..models import Award, BalanceSettings, Decision, ScreeningEvent, ScreeningSettlement
from ..selectors.screening import events_in_year
from .common import _require_reviewer

MAX_SOURCE_DOCUMENT = 255
MAX_DESCRIPTION = 4000
MAX_REASON = 4000
MAX_IMPORT_ROWS = 5_000

KIND_WORDS = {  # what a spreadsheet may write in its 类别 column, besides the codes
    "问责": ScreeningEvent.Kind.ACCOUNTABILITY,
    "重大安全事故": ScreeningEvent.Kind.SAFETY_ACCIDENT,
    "安全事故": ScreeningEvent.Kind.SAFETY_ACCIDENT,
    "督查发现问题未整改": ScreeningEvent.Kind.UNRECTIFIED,
    "未整改": ScreeningEvent.Kind.UNRECTIFIED,
    "审计问题": ScreeningEvent.Kind.AUDIT,
    "其他": ScreeningEvent.Kind.OTHER,
}


@dataclass
class EventSpec:
    """One event as typed or read from a row, checked: what ``ScreeningEvent`` will hold."""

    unit: Unit
    kind: str
    source_document: str
    occurred_on: datetime.date
    ended_on: datetime.date | None = None
    description: str = ""


def kind_from(value: str) -> str | None:
    text = (value or "").strip()
    if text in ScreeningEvent.Kind.values:
        return text
    if text in KIND_WORDS:
        return KIND_WORDS[text]
    labels = {str(label): code for code, label in ScreeningEvent.Kind.choices}
    return labels.get(text)


def event_check(*, programme: Programme, unit, kind: str, source_document: str, occurred_on, ended_on=None,
                description: str = "") -> EventSpec:
    """The fields of one event checked (dates as text or dates); a DomainError naming the field otherwise."""
    if not isinstance(unit, Unit) or unit.programme_id != programme.pk:
        raise DomainError(_("Choose a unit of the programme."), field="unit")
    code = kind_from(kind)
    if code is None:
        raise DomainError(_("“%(kind)s” is not a kind of event: %(kinds)s.")
                          % {"kind": kind, "kinds": "、".join(KIND_WORDS)}, field="kind")
    source_document = (source_document or "").strip()
    if not source_document:
        raise DomainError(_("Name the document the event comes from."), field="source_document")
    if len(source_document) > MAX_SOURCE_DOCUMENT:
        raise DomainError(_("At most %(max)s characters.") % {"max": MAX_SOURCE_DOCUMENT}, field="source_document")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(_("At most %(max)s characters.") % {"max": MAX_DESCRIPTION}, field="description")
    occurred = occurred_on if isinstance(occurred_on, datetime.date) else params.date_from(occurred_on)
    if occurred is None:
        raise DomainError(_("Give the date of the event (YYYY-MM-DD)."), field="occurred_on")
    ended = None
    if ended_on not in (None, ""):
        ended = ended_on if isinstance(ended_on, datetime.date) else params.date_from(ended_on)
        if ended is None:
            raise DomainError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": ended_on}, field="ended_on")
        if ended < occurred:
            raise DomainError(_("An event cannot end before it occurred."), field="ended_on")
    return EventSpec(unit=unit, kind=code, source_document=source_document, occurred_on=occurred, ended_on=ended,
                     description=description)


def _event_data(event: ScreeningEvent) -> dict:
    return {"programme": event.programme_id, "unit": event.unit_id, "unit_name": str(event.unit),
            "kind": event.kind, "source_document": event.source_document,
            "occurred_on": event.occurred_on.isoformat(),
            "ended_on": event.ended_on.isoformat() if event.ended_on else None}


def _events_write(*, actor, programme: Programme, specs: list[EventSpec], imported: str = "") -> list[ScreeningEvent]:
    events = []
    for spec in specs:
        event = ScreeningEvent.objects.create(programme=programme, unit=spec.unit, kind=spec.kind,
                                              source_document=spec.source_document, occurred_on=spec.occurred_on,
                                              ended_on=spec.ended_on, description=spec.description,
                                              recorded_by=actor)
        action = AuditAction.SCREENING_EVENTS_IMPORTED if imported else AuditAction.SCREENING_EVENT_RECORDED
        audit_record(actor=actor, action=action, target=event, message=event.description[:200],
                     data={**_event_data(event), **({"file": imported} if imported else {})})
        events.append(event)
    return events


def screening_event_record(*, actor, programme: Programme, unit, kind: str, source_document: str, occurred_on,
                           ended_on=None, description: str = "") -> ScreeningEvent:
    """A reviewer of the programme records one event in its register."""
    _require_reviewer(actor, pk=programme.pk)
    spec = event_check(programme=programme, unit=unit, kind=kind, source_document=source_document,
                       occurred_on=occurred_on, ended_on=ended_on, description=description)
    with transaction.atomic():
        return _events_write(actor=actor, programme=programme, specs=[spec])[0]


# --- the import from a spreadsheet (the catalogue import's reader: measures.importing.reading) --------------------

UNIT_COLUMN, KIND_COLUMN, DOCUMENT_COLUMN = "单位", "类别", "来源文件"
OCCURRED_COLUMN, ENDED_COLUMN, DESCRIPTION_COLUMN = "发生日期", "截止日期", "情况说明"
COLUMNS = [UNIT_COLUMN, KIND_COLUMN, DOCUMENT_COLUMN, OCCURRED_COLUMN, ENDED_COLUMN, DESCRIPTION_COLUMN]
REQUIRED = [UNIT_COLUMN, KIND_COLUMN, DOCUMENT_COLUMN, OCCURRED_COLUMN]
ALIASES = {"unit": UNIT_COLUMN, "单位名称": UNIT_COLUMN, "kind": KIND_COLUMN, "source_document": DOCUMENT_COLUMN,
           "occurred_on": OCCURRED_COLUMN, "ended_on": ENDED_COLUMN, "description": DESCRIPTION_COLUMN}
FIELD_COLUMNS = {"unit": UNIT_COLUMN, "kind": KIND_COLUMN, "source_document": DOCUMENT_COLUMN,
                 "occurred_on": OCCURRED_COLUMN, "ended_on": ENDED_COLUMN, "description": DESCRIPTION_COLUMN}


@dataclass
class EventsPlan:
    """What an import would write, and every problem by row and column. Nothing is written unless there is no
    problem at all."""

    programme: Programme
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    specs: list[EventSpec] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    filename: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.specs)


def screening_import_plan(*, actor, programme: Programme, data: bytes, filename: str = "") -> EventsPlan:
    """Read an .xlsx/.csv of events: columns 单位, 类别, 来源文件, 发生日期 (and 截止日期, 情况说明). Every row is
    checked as a typed event would be; the plan lists the errors by row and column."""
    _require_reviewer(actor, pk=programme.pk)
    plan = EventsPlan(programme=programme, filename=filename)
    try:
        table = read_table(data, filename=filename, max_rows=MAX_IMPORT_ROWS, required=REQUIRED, aliases=ALIASES)
    except ImportFileError as error:
        plan.errors.append(RowError(0, "", error.message))
        return plan
    units: dict[str, list[Unit]] = {}
    for unit in Unit.objects.filter(programme=programme):
        for name in {unit.name, unit.full_name} - {""}:
            units.setdefault(name, []).append(unit)
    for number, row in table.rows:
        values = {column: row.get(column, "") for column in COLUMNS}
        plan.rows.append((number, values))
        name = values[UNIT_COLUMN].strip()
        found = units.get(name, [])
        if len(found) != 1:
            plan.errors.append(RowError(number, UNIT_COLUMN, (
                _("“%(name)s” is not a unit of the programme.") if not found
                else _("“%(name)s” names several units: write the full name.")) % {"name": name}))
            continue
        try:
            plan.specs.append(event_check(programme=programme, unit=found[0], kind=values[KIND_COLUMN],
                                          source_document=values[DOCUMENT_COLUMN],
                                          occurred_on=values[OCCURRED_COLUMN].strip(),
                                          ended_on=values[ENDED_COLUMN].strip(),
                                          description=values[DESCRIPTION_COLUMN]))
        except DomainError as error:
            plan.errors.append(RowError(number, FIELD_COLUMNS.get(error.field, ""), error.message))
    return plan


def screening_import(*, actor, plan: EventsPlan) -> list[ScreeningEvent]:
    """Write a valid plan's events, all or nothing."""
    _require_reviewer(actor, pk=plan.programme.pk)
    if not plan.is_valid:
        raise DomainError(_("The file has errors: nothing was imported."), field="file")
    with transaction.atomic():
        return _events_write(actor=actor, programme=plan.programme, specs=plan.specs,
                             imported=plan.filename or "spreadsheet")


# --- settling a flag --------------------------------------------------------------------------------------------


def screening_flag_settle(*, actor, award: Award, event: ScreeningEvent, withdraw: bool,
                          reason: str) -> ScreeningSettlement:
    """Settle the flag ``event`` raises on ``award``: kept (the award stands, with the reason), or withdrawn (the
    award is withdrawn with the reason, its slot freed, its nominee no longer approved). While decisions may
    change (before the public notice); a reviewer with a declared stake in the unit does not settle it."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason of the settlement."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("At most %(max)s characters.") % {"max": MAX_REASON}, field="reason")
    with transaction.atomic():
        cycle = cycle_lock(award.cycle_id)
        access.require(actor, "decisions", cycle)  # a reviewer of its programme, and the phase takes decisions
        current = (Award.objects.select_related("unit", "category", "nominee").filter(pk=award.pk, cycle=cycle)
                   .first())
        if current is None:
            raise DomainError(_("This award no longer exists."))
        if current.nominee_id:
            list_lock(current.nominee.nomination_list_id)
        if not events_in_year(unit_ids=[current.unit_id], year=cycle.year).filter(
                pk=event.pk, programme_id=cycle.programme_id).exists():
            raise DomainError(_("This event does not concern %(unit)s in %(year)s.")
                              % {"unit": current.unit, "year": cycle.year})
        if ScreeningSettlement.objects.filter(cycle=cycle, category_id=current.category_id, unit_id=current.unit_id,
                                              event=event).exists():
            raise DomainError(_("This flag is settled already."))
        recusal_check(actor=actor, programme_id=cycle.programme_id, year=cycle.year, units=[current.unit])
        settlement = ScreeningSettlement.objects.create(
            cycle=cycle, category_id=current.category_id, unit_id=current.unit_id, event=event,
            outcome=ScreeningSettlement.Outcome.WITHDRAWN if withdraw else ScreeningSettlement.Outcome.KEPT,
            reason=reason, settled_by=actor)
        data = {"cycle": cycle.year, "category": current.category.code, "unit": str(current.unit),
                "event": event.pk, "kind": event.kind, "source_document": event.source_document,
                "outcome": settlement.outcome}
        if withdraw:
            withdrawn = {"award": current.pk, "slot": current.slot, "unit": str(current.unit),
                         "category": current.category.code, "screening_event": event.pk}
            nominee = current.nominee
            current.delete()  # frees the slot; the settlement keeps the unit and the category
            if nominee is not None:
                Decision.objects.filter(nominee=nominee).update(approved=False, comment=reason, decided_by=actor)
                audit_record(actor=actor, action=AuditAction.AWARD_WITHDRAWN, target=nominee, message=reason,
                             data={"cycle": cycle.year, **withdrawn})
        audit_record(actor=actor, target=settlement, message=reason, data=data,
                     action=AuditAction.SCREENING_FLAG_WITHDRAWN if withdraw else AuditAction.SCREENING_FLAG_KEPT)
    return settlement


# --- what the balance of the year flags ---------------------------------------------------------------------------


def balance_settings_set(*, actor, programme_id: int, repeat_years: int) -> BalanceSettings:
    """The system administrator sets how many years running in the same category the balance flags."""
    if not roles.is_administrator(actor):
        raise access.Refused(_("Only an administrator can change this."))
    if not 2 <= int(repeat_years) <= 10:
        raise DomainError(_("Between 2 and 10 years."), field="repeat_years")
    with transaction.atomic():
        found, _created = BalanceSettings.objects.select_for_update().get_or_create(programme_id=programme_id)
        before = found.repeat_years if not _created else None
        found.repeat_years = int(repeat_years)
        found.save()
        audit_record(actor=actor, action=AuditAction.BALANCE_SETTINGS_CHANGED, target=found,
                     data={"programme": programme_id, "repeat_years": found.repeat_years, "before": before})
    return found
