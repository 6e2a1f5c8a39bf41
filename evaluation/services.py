"""Every change to the evaluation: criteria filed, changed and reviewed; values typed or imported; declarations of
interest. Each function asks the door, validates everything before writing, writes in one transaction with its
audit record, and refuses a unit the acting person declared a stake in (回避)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import ConflictError, DomainError
from measures.evidence import evidence_check
from measures.importing.reading import ImportFileError, RowError, normalise_header, read_table
from measures.models import IncentiveCategory, Responsibility
from organisation import access, roles
from organisation.audit import AuditAction, audit_record
from organisation.models import Bureau, Unit

from . import panels, selectors
from .access import expert_programme_ids, require_convene, require_on_category
from .models import (
    Aggregation,
    Criteria,
    Declaration,
    Direction,
    EvaluationSettings,
    ExclusionReason,
    Expert,
    Indicator,
    IndicatorEvidence,
    Method,
    Panel,
    PanelExclusion,
    PanelMember,
    PanelScore,
    Stake,
    Value,
)

MAX_INDICATORS = 20
MAX_TEXT = 4000
WEIGHT_TOTAL = Decimal(100)
PASS_WORDS = {"是", "通过", "合格", "符合", "pass", "passed", "yes", "y", "1", "true"}
FAIL_WORDS = {"否", "不通过", "不合格", "不符合", "fail", "failed", "no", "n", "0", "false"}


def plain(number: Decimal) -> str:
    """100.00 → 100, 0.50 → 0.5 (never 1E+2)."""
    return format(number.normalize(), "f")


class Recused(access.Refused):
    """The person declared a stake in the unit: someone else of the bureau scores or decides it."""


# --- declarations of interest (回避) -----------------------------------------------------------------------------


@dataclass
class StakeEntry:
    unit: Unit
    stake: str
    reason: str


def declaration_make(*, actor, programme_id: int, year: int, stakes: list[StakeEntry] = (),
                     nothing: bool = False) -> list[Declaration]:
    """A person declares, for a year of their programme, the units they have a stake in (worked there, a relative
    there, other) with the reason, or that they have nothing to declare. Added at any time, effective at once;
    a declaration is never taken back."""
    who = access.person(actor)
    if not who.signed_in or programme_id not in who.programme_ids | expert_programme_ids(who):
        raise access.NotYours
    stakes = list(stakes)
    if nothing and stakes:
        raise DomainError(_("Either declare stakes or that you have nothing to declare, not both."), field="nothing")
    if not nothing and not stakes:
        raise DomainError(_("Declare at least one unit, or that you have nothing to declare."), field="unit")
    seen = set()
    for entry in stakes:
        if entry.stake not in Stake.values or entry.stake == Stake.NONE:
            raise DomainError(_("Choose the kind of stake in %(unit)s.") % {"unit": entry.unit}, field="stake")
        if entry.unit.programme_id != programme_id:
            raise DomainError(_("%(unit)s belongs to another programme.") % {"unit": entry.unit}, field="unit")
        reason = (entry.reason or "").strip()
        if not reason:
            raise DomainError(_("Give the reason of your stake in %(unit)s.") % {"unit": entry.unit}, field="reason")
        if len(reason) > MAX_TEXT:
            raise DomainError(_("A reason has at most %(max)s characters.") % {"max": MAX_TEXT}, field="reason")
        if entry.unit.pk in seen:
            raise DomainError(_("%(unit)s appears twice.") % {"unit": entry.unit}, field="unit")
        seen.add(entry.unit.pk)
    now = timezone.now()
    with transaction.atomic():
        already = set(Declaration.objects.filter(programme_id=programme_id, year=year, person=actor,
                                                  unit_id__in=seen).values_list("unit__name", flat=True))
        if already:
            raise DomainError(_("You have declared a stake in %(units)s already.") % {"units": "、".join(sorted(already))},
                              field="unit")
        if nothing:
            made = [Declaration.objects.create(programme_id=programme_id, year=year, person=actor, stake=Stake.NONE,
                                               declared_at=now)]
        else:
            made = Declaration.objects.bulk_create([
                Declaration(programme_id=programme_id, year=year, person=actor, unit=e.unit, stake=e.stake,
                            reason=e.reason.strip(), declared_at=now) for e in stakes])
        audit_record(actor=actor, action=AuditAction.INTEREST_DECLARED, target=made[0],
                     message=_("Nothing to declare") if nothing else "、".join(e.unit.name for e in stakes),
                     data={"year": year, "programme": programme_id, "nothing": nothing,
                           "stakes": [{"unit": e.unit.pk, "name": e.unit.name, "stake": e.stake, "reason": e.reason.strip()}
                                      for e in stakes]})
    return made


def recusal_check(*, actor, programme_id: int, year: int, units) -> None:
    """Refuse when ``actor`` declared a stake in one of ``units`` for the year (they neither score nor decide it)."""
    stakes = selectors.stakes_of(person_id=actor.pk, programme_id=programme_id, year=year)
    recused = [unit for unit in units if unit.pk in stakes]
    if recused:
        raise Recused(_("You declared a stake in %(units)s: another person of the bureau scores or decides it.")
                      % {"units": "、".join(u.name for u in recused)})


# --- criteria (评选标准) ----------------------------------------------------------------------------------------


@dataclass
class IndicatorSpec:
    name: str
    method: str
    weight: object = 0
    scale_min: object = None
    scale_max: object = None
    direction: str = ""
    unit_of_measure: str = ""
    data_source: str = ""
    evidence_required: bool = False


def _decimal(value, *, field: str, label: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("%(label)s: “%(value)s” is not a number.") % {"label": label, "value": value},
                          field=field) from None
    if not number.is_finite():
        raise DomainError(_("%(label)s: “%(value)s” is not a number.") % {"label": label, "value": value}, field=field)
    return number


def _indicators_check(specs: list[IndicatorSpec]) -> list[dict]:
    """The indicators as rows to write, or the first problem naming its field (``indicators-N-<field>``)."""
    if not specs:
        raise DomainError(_("Give at least one indicator."), field="indicators")
    if len(specs) > MAX_INDICATORS:
        raise DomainError(_("At most %(max)s indicators.") % {"max": MAX_INDICATORS}, field="indicators")
    rows, names = [], set()
    for index, spec in enumerate(specs):
        where = _("Indicator %(n)s") % {"n": index + 1}

        def fail(message, name, where=where, index=index):
            raise DomainError(f"{where}: {message}", field=f"indicators-{index}-{name}")

        name = (spec.name or "").strip()
        if not name:
            fail(_("give its name."), "name")
        if len(name) > 128:
            fail(_("a name has at most 128 characters."), "name")
        if name in names:
            fail(_("two indicators are named “%(name)s”.") % {"name": name}, "name")
        names.add(name)
        if spec.method not in Method.values:
            fail(_("say how it is measured."), "method")
        weight = _decimal(spec.weight, field=f"indicators-{index}-weight", label=where) or Decimal(0)
        scale_min = _decimal(spec.scale_min, field=f"indicators-{index}-scale_min", label=where)
        scale_max = _decimal(spec.scale_max, field=f"indicators-{index}-scale_max", label=where)
        direction = spec.direction or ""
        if spec.method == Method.CONDITION:
            if weight:
                fail(_("a pass/fail condition weighs nothing: leave its weight at 0."), "weight")
            scale_min = scale_max = None
            direction = ""
        else:
            if not Decimal(0) < weight <= WEIGHT_TOTAL:
                fail(_("its weight is more than 0 and at most 100."), "weight")
            if spec.method == Method.SCORE:
                if scale_min is None or scale_max is None or scale_max <= scale_min:
                    fail(_("give the scale of the score, the highest above the lowest."), "scale_max")
                direction = ""
            else:
                if direction not in Direction.values:
                    fail(_("say whether more or less is better."), "direction")
                scale_min = scale_max = None
        source = (spec.data_source or "").strip()
        if not source:
            fail(_("say where its data come from."), "data_source")
        rows.append({"order": index + 1, "name": name, "method": spec.method, "weight": weight,
                     "scale_min": scale_min, "scale_max": scale_max, "direction": direction,
                     "unit_of_measure": (spec.unit_of_measure or "").strip()[:32], "data_source": source[:255],
                     "evidence_required": bool(spec.evidence_required)})
    total = sum(row["weight"] for row in rows)
    if total != WEIGHT_TOTAL:
        raise DomainError(_("The weights add up to %(total)s: they must add up to 100.") % {"total": plain(total)},
                          field="weight")
    return rows


def _filing_bureau(actor, category: IncentiveCategory) -> Bureau:
    bureau = (Bureau.objects.filter(memberships__user=actor, responsibilities__category=category,
                                    responsibilities__role__in=Responsibility.OWNER_ROLES)
              .order_by("responsibilities__order").first())
    if bureau is None:
        raise access.Refused(_("Your bureau does not prepare this category's list."))
    return bureau


def criteria_file(*, actor, category: IncentiveCategory, year: int, indicators: list[IndicatorSpec],
                  change_reason: str = "") -> Criteria:
    """File the category's criteria for the year (they wait for the General Office's review). Before the first
    value they are replaced in place; once frozen (a value entered), a change is a new version that says why,
    whose values start again from the previous version's for the indicators that stay the same."""
    require_on_category(actor, "file", category)
    rows = _indicators_check(indicators)
    change_reason = (change_reason or "").strip()
    if len(change_reason) > MAX_TEXT:
        raise DomainError(_("A reason has at most %(max)s characters.") % {"max": MAX_TEXT}, field="change_reason")
    bureau = _filing_bureau(actor, category)
    now = timezone.now()
    with transaction.atomic():
        current = (Criteria.objects.select_for_update().filter(category=category, year=year)
                   .order_by("-version").first())
        if current is not None and current.is_frozen:
            if not change_reason:
                raise DomainError(_("The criteria of %(year)s are frozen since the first value was entered on "
                                    "%(date)s: a change is a new version; say why the criteria change.")
                                  % {"year": year, "date": timezone.localtime(current.frozen_at).strftime("%Y-%m-%d")},
                                  field="change_reason")
            criteria = Criteria.objects.create(category=category, year=year, version=current.version + 1,
                                               bureau=bureau, change_reason=change_reason, filed_by=actor, filed_at=now)
            action = AuditAction.CRITERIA_CHANGED
        elif current is not None:
            criteria = current
            criteria.indicators.all().delete()
            criteria.state, criteria.bureau, criteria.filed_by, criteria.filed_at = (
                Criteria.State.SUBMITTED, bureau, actor, now)
            criteria.decided_by, criteria.decided_at, criteria.decision_reason = None, None, ""
            if criteria.version > 1 and change_reason:
                criteria.change_reason = change_reason
            criteria.save()
            action = AuditAction.CRITERIA_FILED
        else:
            try:
                with transaction.atomic():
                    criteria = Criteria.objects.create(category=category, year=year, bureau=bureau, filed_by=actor,
                                                       filed_at=now)
            except IntegrityError:
                raise ConflictError(_("Someone else of the bureau filed these criteria at the same moment. Reload "
                                      "the page to see them.")) from None
            action = AuditAction.CRITERIA_FILED
        created = Indicator.objects.bulk_create([Indicator(criteria=criteria, **row) for row in rows])
        if action == AuditAction.CRITERIA_CHANGED:
            _carry_values(previous=current, indicators=created)
        audit_record(actor=actor, action=action, target=criteria, message=change_reason,
                     data={"category": category.code, "year": year, "version": criteria.version,
                           "indicators": [{**row, "weight": str(row["weight"]),
                                           "scale_min": None if row["scale_min"] is None else str(row["scale_min"]),
                                           "scale_max": None if row["scale_max"] is None else str(row["scale_max"])}
                                          for row in rows]})
    return criteria


def _carry_values(*, previous: Criteria, indicators: list[Indicator]) -> None:
    """A new version keeps the values of the indicators measured the same way (same name, method, scale and
    direction); the others are entered again."""
    same = {}
    for old in previous.indicators.all():
        for new in indicators:
            if (old.name, old.method, old.scale_min, old.scale_max, old.direction) == (
                    new.name, new.method, new.scale_min, new.scale_max, new.direction):
                same[old.pk] = new
    Value.objects.bulk_create([
        Value(indicator=same[v.indicator_id], unit_id=v.unit_id, number=v.number, passed=v.passed,
              entered_by_id=v.entered_by_id, entered_at=v.entered_at)
        for v in Value.objects.filter(indicator_id__in=list(same))])


def _criteria_decide(*, actor, criteria: Criteria, accepted: bool, reason: str) -> Criteria:
    access.require(actor, "decide", criteria)
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise DomainError(_("Say why the criteria are sent back."), field="reason")
    with transaction.atomic():
        locked = Criteria.objects.select_for_update().get(pk=criteria.pk)
        if locked.state != Criteria.State.SUBMITTED:
            raise DomainError(_("These criteria have been reviewed already."))
        locked.state = Criteria.State.ACCEPTED if accepted else Criteria.State.RETURNED
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, action=AuditAction.CRITERIA_ACCEPTED if accepted else AuditAction.CRITERIA_RETURNED,
                     target=locked, message=reason, data={"category": criteria.category.code, "year": locked.year,
                                                          "version": locked.version})
    return locked


def criteria_accept(*, actor, criteria: Criteria, reason: str = "") -> Criteria:
    """The General Office accepts the criteria, as it accepts implementation rules."""
    return _criteria_decide(actor=actor, criteria=criteria, accepted=True, reason=reason)


def criteria_return(*, actor, criteria: Criteria, reason: str) -> Criteria:
    """The General Office sends the criteria back with its reasons; the bureau files them again."""
    return _criteria_decide(actor=actor, criteria=criteria, accepted=False, reason=reason)


# --- values ---------------------------------------------------------------------------------------------------


def value_parse(indicator: Indicator, raw) -> tuple[Decimal | None, bool | None]:
    """A typed or imported cell as (number, passed), or a DomainError saying what is wrong with it."""
    text = "" if raw is None else str(raw).strip()
    if indicator.method == Method.CONDITION:
        word = text.lower()
        if word in PASS_WORDS:
            return None, True
        if word in FAIL_WORDS:
            return None, False
        raise DomainError(_("“%(value)s” is not 是/否 (passed or failed).") % {"value": text})
    try:
        number = Decimal(text.replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        raise DomainError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not number.is_finite() or abs(number) >= Decimal(10) ** 14:
        raise DomainError(_("“%(value)s” is not a number.") % {"value": text})
    if indicator.method == Method.SCORE and not indicator.scale_min <= number <= indicator.scale_max:
        raise DomainError(_("%(value)s is outside the scale %(low)s–%(high)s.")
                          % {"value": text, "low": plain(indicator.scale_min), "high": plain(indicator.scale_max)})
    return number.quantize(Decimal("0.0001")), None


def value_field(indicator: Indicator, unit: Unit) -> str:
    """The name of a value's input on the sheet (and of the field an error names)."""
    return f"v-{unit.pk}-{indicator.pk}"


def values_enter(*, actor, criteria: Criteria, cells: dict[tuple[Unit, Indicator], str], imported: bool = False,
                 filename: str = "") -> int:
    """Write the values of ``cells`` ((unit, indicator) → text; an empty text leaves a value as it is). Every cell
    is parsed and every unit checked first (eligible, not declared by the person): one problem refuses them all,
    naming the unit and the indicator. The first value freezes the criteria. Returns the number of values
    written."""
    access.require(actor, "score", criteria)
    category = criteria.category
    programme_id = category.measure.document.programme_id
    if not selectors.has_declared(person_id=actor.pk, programme_id=programme_id, year=criteria.year):
        raise access.Refused(_("Declare your interests for %(year)s first (回避: the units you have a stake in, or "
                               "nothing to declare).") % {"year": criteria.year})
    indicators = {i.pk: i for i in criteria.indicators.all()}
    eligible = set(selectors.eligible_units(category=category, programme_id=programme_id).values_list("pk", flat=True))
    parsed: dict[tuple[int, int], tuple] = {}
    units = {}
    for (unit, indicator), raw in cells.items():
        if indicator.pk not in indicators:
            raise DomainError(_("%(indicator)s is not an indicator of these criteria.") % {"indicator": indicator},
                              field="indicator")
        if unit.pk not in eligible:
            raise DomainError(_("%(unit)s is not eligible in this category.") % {"unit": unit}, field="unit")
        if raw is None or not str(raw).strip():
            continue
        try:
            parsed[(unit.pk, indicator.pk)] = value_parse(indicators[indicator.pk], raw)
        except DomainError as error:
            raise DomainError(f"{unit.name} · {indicator.name}: {error.message}",
                              field=value_field(indicator, unit)) from None
        units[unit.pk] = unit
    recusal_check(actor=actor, programme_id=programme_id, year=criteria.year, units=list(units.values()))
    now = timezone.now()
    with transaction.atomic():
        locked = Criteria.objects.select_for_update().get(pk=criteria.pk)
        newest = Criteria.objects.filter(category=category, year=criteria.year).order_by("-version").values_list(
            "pk", flat=True).first()
        if newest != locked.pk:
            raise DomainError(_("These criteria have been replaced by a newer version: enter the values there."))
        if set(Indicator.objects.filter(criteria=locked).values_list("pk", flat=True)) != set(indicators):
            # Refiled (before any value) while this sheet was being filled: its indicators are new rows.
            raise ConflictError(_("The criteria were filed again after you opened the sheet. Reload the page and "
                                  "enter the values again."))
        existing = {(v.unit_id, v.indicator_id): v
                    for v in Value.objects.select_for_update().filter(indicator__criteria=locked,
                                                                      unit_id__in=list(units))}
        changed, created, before = [], [], {}
        for (unit_id, indicator_id), (number, passed) in parsed.items():
            value = existing.get((unit_id, indicator_id))
            if value is None:
                created.append(Value(indicator_id=indicator_id, unit_id=unit_id, number=number, passed=passed,
                                     entered_by=actor, entered_at=now))
            elif (value.number, value.passed) != (number, passed):
                before[f"{unit_id}:{indicator_id}"] = str(value.number if value.passed is None else value.passed)
                value.number, value.passed, value.entered_by, value.entered_at = number, passed, actor, now
                changed.append(value)
        Value.objects.bulk_create(created)
        Value.objects.bulk_update(changed, ["number", "passed", "entered_by", "entered_at"])
        if (created or changed) and not locked.is_frozen:
            locked.frozen_at = now
            locked.save(update_fields=["frozen_at"])
        if created or changed:
            audit_record(
                actor=actor, action=AuditAction.VALUES_IMPORTED if imported else AuditAction.VALUES_ENTERED,
                target=locked, message=filename,
                data={"year": locked.year, "version": locked.version, "before": before,
                      "values": {f"{u}:{i}": str(n if p is None else p) for (u, i), (n, p) in parsed.items()
                                 if (u, i) in {(v.unit_id, v.indicator_id) for v in created + changed}}})
    return len(created) + len(changed)


# --- values imported from a spreadsheet (the catalogue import's reader: measures.importing.reading) ---------------

UNIT_COLUMN = "单位"
UNIT_ALIASES = {"unit": UNIT_COLUMN, "单位名称": UNIT_COLUMN, "区": UNIT_COLUMN}


@dataclass
class ValuesPlan:
    """What an import would write: the cells by unit and indicator, and every problem by row and column. Nothing
    is written unless there is no problem at all."""

    criteria: Criteria
    rows: list[tuple[int, Unit | None, dict[str, str]]]
    cells: dict
    errors: list[RowError]
    filename: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.errors and bool(self.cells)


def values_import_plan(*, actor, criteria: Criteria, data: bytes, filename: str = "") -> ValuesPlan:
    """Read an .xlsx/.csv of values: a column 单位 (the unit's name) and one column per indicator, named as the
    criteria name it. Every cell is checked as a typed one; the plan lists the errors by row and column."""
    access.require(actor, "score", criteria)
    indicators = list(criteria.indicators.all())
    plan = ValuesPlan(criteria=criteria, rows=[], cells={}, errors=[], filename=filename)
    headers = {indicator.name: indicator for indicator in indicators}
    aliases = {**UNIT_ALIASES, **{normalise_header(name): name for name in headers}}
    try:
        table = read_table(data, filename=filename, max_rows=10_000, required=[UNIT_COLUMN, *headers], aliases=aliases)
    except ImportFileError as error:
        plan.errors.append(RowError(0, "", error.message))
        return plan
    programme_id = criteria.category.measure.document.programme_id
    units = {u.name: u for u in selectors.eligible_units(category=criteria.category, programme_id=programme_id)}
    stakes = selectors.stakes_of(person_id=actor.pk, programme_id=programme_id, year=criteria.year)
    seen = {}
    for number, row in table.rows:
        name = row.get(UNIT_COLUMN, "").strip()
        unit = units.get(name)
        plan.rows.append((number, unit, {k: row.get(k, "") for k in headers}))
        if unit is None:
            plan.errors.append(RowError(number, UNIT_COLUMN, _("“%(name)s” is not an eligible unit of this category.")
                                        % {"name": name}))
            continue
        if unit.pk in seen:
            plan.errors.append(RowError(number, UNIT_COLUMN, _("%(unit)s is already on row %(row)s.")
                                        % {"unit": name, "row": seen[unit.pk]}))
            continue
        seen[unit.pk] = number
        if unit.pk in stakes:
            plan.errors.append(RowError(number, UNIT_COLUMN, _("You declared a stake in %(unit)s: another person of "
                                                               "the bureau enters its values.") % {"unit": name}))
            continue
        for header, indicator in headers.items():
            raw = row.get(header, "")
            if not raw.strip():
                continue
            try:
                value_parse(indicator, raw)
            except DomainError as error:
                plan.errors.append(RowError(number, header, error.message))
                continue
            plan.cells[(unit, indicator)] = raw
    return plan


def values_import(*, actor, plan: ValuesPlan) -> int:
    """Write a valid plan's values (all or nothing, as typed values are)."""
    if not plan.is_valid:
        raise DomainError(_("The file has errors: nothing was imported."), field="file")
    return values_enter(actor=actor, criteria=plan.criteria, cells=plan.cells, imported=True, filename=plan.filename)



# --- evidence per indicator ---------------------------------------------------------------------------------------


def evidence_attach(*, actor, criteria: Criteria, indicator: Indicator, unit: Unit, upload) -> IndicatorEvidence:
    """Attach a file proving ``unit``'s value of ``indicator`` (the checks of every evidence file). The person
    scores the unit: the same door and the same recusal as a value."""
    access.require(actor, "score", criteria)
    if indicator.criteria_id != criteria.pk:
        raise DomainError(_("%(indicator)s is not an indicator of these criteria.") % {"indicator": indicator},
                          field="indicator")
    programme_id = criteria.category.measure.document.programme_id
    if not selectors.eligible_units(category=criteria.category, programme_id=programme_id).filter(pk=unit.pk).exists():
        raise DomainError(_("%(unit)s is not eligible in this category.") % {"unit": unit}, field="unit")
    recusal_check(actor=actor, programme_id=programme_id, year=criteria.year, units=[unit])
    if upload is None:
        raise DomainError(_("Attach a file."), field="file")
    meta = evidence_check(upload)
    stored = None
    try:
        with transaction.atomic():
            evidence = IndicatorEvidence(indicator=indicator, unit=unit, uploaded_by=actor)
            stored = evidence.store(upload, meta)
            evidence.save()
            audit_record(actor=actor, action=AuditAction.INDICATOR_EVIDENCE_ADDED, target=criteria,
                         message=f"{unit.name} · {indicator.name} · {evidence.original_name}",
                         data={"unit": unit.pk, "indicator": indicator.pk, "sha256": evidence.sha256})
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise
    return evidence


# --- what a programme publishes --------------------------------------------------------------------------------


def evaluation_settings_set(*, actor, programme_id: int, publish_figures: bool) -> EvaluationSettings:
    """The system administrator decides whether the programme's public notice shows the ranking's figures."""
    if not roles.is_administrator(actor):
        raise access.Refused(_("Only an administrator can change this."))
    with transaction.atomic():
        settings, _created = EvaluationSettings.objects.select_for_update().get_or_create(programme_id=programme_id)
        before = settings.publish_figures
        settings.publish_figures = bool(publish_figures)
        settings.save()
        audit_record(actor=actor, action=AuditAction.EVALUATION_SETTINGS_CHANGED, target=settings,
                     data={"programme": programme_id, "publish_figures": settings.publish_figures, "before": before})
    return settings


# --- expert panels (专家评审; the rules of the draw and of the aggregation: evaluation.panels) -----------------------

MAX_PANEL = 50
MAX_SPREAD = Decimal(100)


def _spread_limit(value) -> Decimal:
    limit = _decimal(value, field="spread_limit", label=_("Largest accepted spread"))
    if limit is None or not Decimal(0) <= limit <= MAX_SPREAD:
        raise DomainError(_("The largest accepted spread is a number from 0 to 100."), field="spread_limit")
    return limit.quantize(panels.CENT)


def _aggregation(value) -> str:
    if value not in Aggregation.values:
        raise DomainError(_("Choose how the experts' totals are aggregated."), field="aggregation")
    return value


def panel_convene(*, actor, category: IncentiveCategory, year: int, size: int, fields: list[str],
                  aggregation: str = Aggregation.TRIMMED, spread_limit=15, seed: int | None = None) -> Panel:
    """The General Office convenes a panel for the category's year: ``size`` experts drawn at random from the
    pool's active experts of ``fields``, without those who declared a stake in a candidate or work in one. The
    candidates are the units the bureau's ranking ranks (accepted criteria, every value in, no failed condition):
    the panel scores the same field the ranking orders, so the two stand side by side. The draw (seed, ordered
    pool, candidates, who was left out and why) is recorded and can be replayed (``evaluation.panels``)."""
    require_convene(actor, category)
    programme_id = category.measure.document.programme_id
    if not isinstance(size, int) or not 1 <= size <= MAX_PANEL:
        raise DomainError(_("A panel has 1 to %(max)s experts.") % {"max": MAX_PANEL}, field="size")
    fields = sorted({(f or "").strip() for f in fields or []} - {""})
    if not fields:
        raise DomainError(_("Choose at least one field of expertise."), field="fields")
    aggregation = _aggregation(aggregation)
    spread_limit = _spread_limit(spread_limit)
    criteria = selectors.criteria_current(category=category, year=year)
    if criteria is None or criteria.state != Criteria.State.ACCEPTED:
        raise DomainError(_("The category's criteria for %(year)s are not accepted yet: the experts score on "
                            "accepted criteria.") % {"year": year}, field="category")
    if not any(i.method != Method.CONDITION for i in criteria.indicators.all()):
        raise DomainError(_("The criteria have no weighted indicator to score."), field="category")
    sheet = selectors.sheet(category=category, year=year, programme_id=programme_id, criteria=criteria)
    candidates = [row.unit for row in sheet.ranked()]
    if not candidates:
        raise DomainError(_("The bureau's ranking ranks no unit yet: there is no candidate to score."),
                          field="category")
    candidate_ids = {unit.pk for unit in candidates}
    names = {unit.pk: unit.name for unit in candidates}
    pool = list(Expert.objects.filter(programme_id=programme_id, is_active=True, field__in=fields,
                                      user__is_active=True).order_by("pk"))
    exclusions = []
    for expert in pool:
        if expert.unit_id in candidate_ids:
            exclusions.append(PanelExclusion(expert=expert, reason=ExclusionReason.WORKS_IN, unit_id=expert.unit_id,
                                             detail=expert.organisation[:255]))
    by_user = {expert.user_id: expert for expert in pool}
    for declaration in (Declaration.objects.filter(programme_id=programme_id, year=year, person_id__in=list(by_user),
                                                   unit_id__in=candidate_ids).exclude(stake=Stake.NONE)
                        .order_by("person_id", "unit_id")):
        exclusions.append(PanelExclusion(expert=by_user[declaration.person_id], reason=ExclusionReason.STAKE,
                                         unit_id=declaration.unit_id,
                                         detail=f"{declaration.get_stake_display()}: {declaration.reason}"[:255]))
    excluded = {item.expert.pk for item in exclusions}
    eligible = [expert.pk for expert in pool if expert.pk not in excluded]
    if len(eligible) < size:
        raise DomainError(_("The pool has %(count)s eligible expert(s) in these fields (%(excluded)s left out for "
                            "a stake or their unit): fewer than the %(size)s asked.")
                          % {"count": len(eligible), "excluded": len(excluded), "size": size}, field="size")
    seed = panels.new_seed() if seed is None else seed
    drawn = panels.draw(seed=seed, pool=eligible, size=size)
    experts = {expert.pk: expert for expert in pool}
    with transaction.atomic():
        try:
            with transaction.atomic():
                panel = Panel.objects.create(
                    programme_id=programme_id, category=category, year=year, criteria=criteria, size=size,
                    expert_fields=fields, seed=seed, pool=eligible, aggregation=aggregation,
                    spread_limit=spread_limit, convened_by=actor, convened_at=timezone.now())
        except IntegrityError:
            raise ConflictError(_("This category has a panel for this year already.")) from None
        panel.candidates.set(candidates)
        PanelMember.objects.bulk_create([PanelMember(panel=panel, expert_id=pk, order=index)
                                         for index, pk in enumerate(drawn, start=1)])
        for item in exclusions:
            item.panel = panel
        PanelExclusion.objects.bulk_create(exclusions)
        audit_record(actor=actor, action=AuditAction.PANEL_CONVENED, target=panel,
                     message="、".join(experts[pk].name for pk in drawn),
                     data={"category": category.code, "year": year, "criteria": criteria.pk, "size": size,
                           "fields": fields, "seed": seed, "pool": eligible, "drawn": drawn,
                           "candidates": [{"unit": unit.pk, "name": unit.name} for unit in candidates],
                           "excluded": [{"expert": item.expert.pk, "name": item.expert.name, "reason": item.reason,
                                         "unit": item.unit_id, "unit_name": names[item.unit_id],
                                         "detail": item.detail} for item in exclusions],
                           "aggregation": aggregation, "spread_limit": str(spread_limit)})
    return panel


@dataclass
class CandidateScore:
    """What an expert enters for one candidate: the points of each weighted indicator (indicator id → text as
    typed) and the comment."""

    unit_id: int
    points: dict
    comment: str


def panel_scores_submit(*, actor, panel: Panel, entries: list[CandidateScore]) -> list[PanelScore]:
    """An expert drawn for the panel submits their scores of every candidate, once: each weighted indicator's
    points between 0 and its weight, and a comment. Final once submitted; only then do they see the others'."""
    access.require(actor, "score", panel)
    indicators = [i for i in panel.criteria.indicators.all() if i.method != Method.CONDITION]
    candidates = list(panel.candidates.order_by("division_order", "name"))
    given = {entry.unit_id: entry for entry in entries}
    unknown = set(given) - {unit.pk for unit in candidates}
    if unknown:
        raise DomainError(_("Only the panel's candidates are scored."), field="unit")
    rows = []
    for unit in candidates:
        entry = given.get(unit.pk)
        points, total = {}, Decimal(0)
        for indicator in indicators:
            field = f"p-{unit.pk}-{indicator.pk}"
            raw = (entry.points.get(indicator.pk, "") if entry else "") or ""
            number = _decimal(raw, field=field, label=f"{unit.name} · {indicator.name}")
            if number is None:
                raise DomainError(_("%(unit)s · %(indicator)s: give the points.")
                                  % {"unit": unit.name, "indicator": indicator.name}, field=field)
            if not Decimal(0) <= number <= indicator.weight or number != number.quantize(panels.CENT):
                raise DomainError(_("%(unit)s · %(indicator)s: the points are from 0 to %(max)s, with at most two "
                                    "decimals.") % {"unit": unit.name, "indicator": indicator.name,
                                                    "max": plain(indicator.weight)}, field=field)
            points[str(indicator.pk)] = plain(number)
            total += number
        comment = ((entry.comment if entry else "") or "").strip()
        if not comment:
            raise DomainError(_("%(unit)s: give your comment.") % {"unit": unit.name}, field=f"c-{unit.pk}")
        if len(comment) > MAX_TEXT:
            raise DomainError(_("A comment has at most %(max)s characters.") % {"max": MAX_TEXT},
                              field=f"c-{unit.pk}")
        rows.append((unit, points, total.quantize(panels.CENT), comment))
    with transaction.atomic():
        member = (PanelMember.objects.select_for_update().select_related("expert")
                  .get(panel=panel, expert__user_id=actor.pk))
        if member.submitted_at is not None:
            raise ConflictError(_("You have submitted your scores: they are final."))
        scores = PanelScore.objects.bulk_create([PanelScore(member=member, unit=unit, points=points, total=total,
                                                            comment=comment)
                                                 for unit, points, total, comment in rows])
        member.submitted_at = timezone.now()
        member.save(update_fields=["submitted_at"])
        audit_record(actor=actor, action=AuditAction.PANEL_SCORES_SUBMITTED, target=panel, message=member.expert.name,
                     data={"expert": member.expert_id, "scores": {
                         str(unit.pk): {"name": unit.name, "points": points, "total": str(total), "comment": comment}
                         for unit, points, total, comment in rows}})
    access.forget(actor)
    return scores


def panel_settings_set(*, actor, panel: Panel, aggregation: str, spread_limit) -> Panel:
    """The General Office chooses the panel's aggregation (mean, or without the highest and lowest from five
    experts on) and the spread beyond which a candidate is flagged for discussion."""
    access.require(actor, "settings", panel)
    aggregation = _aggregation(aggregation)
    spread_limit = _spread_limit(spread_limit)
    with transaction.atomic():
        locked = Panel.objects.select_for_update().get(pk=panel.pk)
        before = {"aggregation": locked.aggregation, "spread_limit": str(locked.spread_limit)}
        locked.aggregation, locked.spread_limit = aggregation, spread_limit
        locked.save(update_fields=["aggregation", "spread_limit"])
        audit_record(actor=actor, action=AuditAction.PANEL_SETTINGS_CHANGED, target=locked,
                     data={"aggregation": aggregation, "spread_limit": str(spread_limit), "before": before})
    return locked


def expert_save(*, actor, expert: Expert) -> Expert:
    """The system administrator keeps the programme's pool of experts (the admin saves through here). The account
    of a new expert is given the role ``expert`` if it holds no role yet."""
    if not roles.is_administrator(actor):
        raise access.Refused(_("Only an administrator can change this."))
    for name in ("name", "field", "organisation"):
        if not (getattr(expert, name) or "").strip():
            raise DomainError(_("Fill in the expert's %(field)s.") % {"field": Expert._meta.get_field(name).verbose_name},
                              field=name)
    if expert.unit_id and expert.unit.programme_id != expert.programme_id:
        raise DomainError(_("%(unit)s belongs to another programme.") % {"unit": expert.unit}, field="unit")
    from django.contrib.auth.models import Group

    with transaction.atomic():
        created = expert.pk is None
        expert.save()
        if not expert.user.groups.filter(name__in=roles.ROLE_LABELS).exists():
            expert.user.groups.add(Group.objects.get_or_create(name=roles.EXPERT)[0])
        audit_record(actor=actor, action=AuditAction.EXPERT_SAVED, target=expert,
                     message=str(expert), data={"created": created, "programme": expert.programme_id,
                                                "user": expert.user_id, "field": expert.field,
                                                "organisation": expert.organisation, "unit": expert.unit_id,
                                                "active": expert.is_active})
    return expert
