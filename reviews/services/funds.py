"""The register of higher-level incentives won (and the entitlements its confirmed entries earn), and the funds: the
amounts awards pledge and the disbursements paid on them."""

import datetime
import decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import params
from incentives.errors import DomainError
from measures.models import IncentiveCategory
from nominations import phases, reminders
from nominations.locks import cycle_lock
from nominations.models import Cycle
from organisation import access
from organisation.audit import AuditAction, audit_record
from organisation.models import Unit

from ..access import register_keeper
from ..document_numbers import awarding_number_validate
from ..models import Award, Disbursement, HigherAward
from ..programmes import with_programme

# --- the register of higher-level incentives won ----------------------------------------------------------------


def _parse_date(value, field: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    day = params.date_from(value)
    if day is None:
        raise DomainError(_("“%(value)s” is not a date (YYYY-MM-DD) between %(first)s and %(last)s.") % {
            "value": value or "", "first": params.DATE_MIN, "last": params.DATE_MAX}, field=field)
    return day


def _parse_amount(value, field: str = "amount") -> decimal.Decimal:
    """A non-negative amount in yuan with at most two decimals, or a DomainError naming ``field``."""
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    amount = params.decimal_from(text)  # "1e26", "NaN", "²": not an amount
    if amount is None:
        raise DomainError(_("“%(value)s” is not an amount of money.") % {"value": value if value is not None else ""},
                          field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), field=field)
    if amount >= decimal.Decimal("1e12"):
        raise DomainError(_("This amount is too large."), field=field)
    if not params.decimal_fits(amount, max_digits=14, decimal_places=2):
        raise DomainError(_("An amount has at most two decimals (fen)."), field=field)
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
    if not register_keeper(access.person(actor), cycle.programme_id):
        raise access.NotYours
    if unit is not None and unit.programme_id != cycle.programme_id:
        raise DomainError(_("Choose the unit that won the incentive."), field="unit")
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
        phases.phase_check(locked, phases.Change.REGISTER)
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
        reminders.reviewers_notify(
            programme_id=locked.programme_id, what="register", key=f"waiting:register{entry.pk}",
            url=reminders.absolute_url(with_programme(reverse("reviews:register", args=[locked.year]),
                                                      locked.programme)),
            context={"year": locked.year, "unit": unit.display_name, "text": f"{document_number} {higher_measure}"})
    return entry


def higher_award_confirm(*, actor, entry: HigherAward) -> HigherAward:
    """A reviewer confirms a register entry; a State Council entry then creates the entitlement it earns in the
    entry's cycle (500万元 under 32-2 for a district, assessment points under 32-1 for a lead department)."""
    access.require(actor, "confirm", entry)
    with transaction.atomic():
        cycle = cycle_lock(entry.cycle_id)  # publication holds it: no award is added to a published year
        phases.phase_check(cycle, phases.Change.REGISTER)
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
    access.require(actor, "set_amount", award)
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
    access.require(actor, "disburse", award)
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
