"""The register of higher-level incentives and the funds ledger, and who may reach them (the finance bureau's staff, the
bureaus of measure 32)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from measures.models import IncentiveCategory, Responsibility
from nominations.models import Cycle
from organisation import access
from organisation.models import Bureau, Programme, Unit, UnitKind

from ..models import Award, Disbursement, HigherAward


def funds_programmes(user) -> QuerySet[Programme]:
    """The programmes whose funds ledger the person keeps (reviewers, the finance bureau's staff)."""
    return access.restrict(Programme.objects.all(), user, "funds")


def register_programmes(user) -> QuerySet[Programme]:
    """The programmes whose register the person keeps (reviewers, the register clerks)."""
    return access.restrict(Programme.objects.all(), user, "register")


def higher_awards(*, cycle: Cycle) -> list[HigherAward]:
    return list(HigherAward.objects.filter(cycle=cycle)
                .select_related("cycle", "unit__kind", "category", "recorded_by", "confirmed_by", "award")
                .order_by("-awarded_on", "-id"))


def higher_award_get(*, user, pk) -> HigherAward:
    """A register entry of a programme whose register the person keeps; ``NotYours`` otherwise."""
    return access.get(HigherAward.objects.select_related("cycle", "unit", "category"), user, pk=pk)


def register_units(*, programme_id: int) -> QuerySet[Unit]:
    """Units the register may name: the programme's active districts and municipal departments (main kind or
    another one)."""
    kinds = [UnitKind.DISTRICT, UnitKind.MUNICIPAL_DEPARTMENT]
    also = Unit.other_kinds.through.objects.filter(unitkind_id__in=kinds).values("unit_id")
    return (Unit.objects.filter(Q(kind__in=kinds) | Q(pk__in=also), is_active=True, programme_id=programme_id)
            .order_by("division_order", "name"))


@dataclass
class LedgerRow:
    award: Award
    bureau: Bureau | None
    pledged: object
    disbursed: object

    @property
    def remaining(self):
        if self.pledged is None:
            return None
        return self.pledged - self.disbursed


@dataclass
class Ledger:
    rows: list[LedgerRow]
    by_unit: list[tuple[str, object, object]]
    by_year: list[tuple[int, object, object]]
    by_measure: list[tuple[str, object, object]]
    by_bureau: list[tuple[str, object, object]]
    pledged: object
    disbursed: object


def funds_programme(user, code: str | None = None) -> Programme:
    """The programme whose ledger a page shows: ``code`` (``?programme=``) when given, else the person's first
    (the default programme first). ``NotYours`` when it is not one whose ledger they keep."""
    programmes = funds_programmes(user).order_by("-is_default", "code")
    programme = programmes.filter(code=code).first() if code else programmes.first()
    if programme is None:
        raise access.NotYours
    return programme


def ledger(*, user, programme: Programme, year: int | None = None) -> Ledger:
    """Every award of ``programme`` whose support is money, as far as the person keeps its ledger, with what it
    pledges and what has been paid, and the totals by unit, year, measure and bureau (the bureau that prepared
    the list, else the category's owner). Four queries."""
    money = [c.pk for c in IncentiveCategory.objects.filter(measure__document__programme=programme)
             .only("pk", "support_forms") if c.carries_money]
    awards = (access.restrict(Award.objects.all(), user, "funds").filter(category_id__in=money, cycle__programme=programme)
              .select_related(
        "cycle", "unit__parent", "category__measure", "nominee__nomination_list__bureau", "higher_award")
        .order_by("-cycle__year", "category__measure__number", "category__order", "unit__division_order", "pk"))
    if year is not None:
        awards = awards.filter(cycle__year=year)
    awards = list(awards)
    paid = defaultdict(Decimal)
    for award_id, amount in Disbursement.objects.filter(award__in=awards).values_list("award_id", "amount"):
        paid[award_id] += amount
    owners = {}
    for r in (Responsibility.objects.filter(category_id__in={a.category_id for a in awards},
                                            role__in=Responsibility.OWNER_ROLES)
              .select_related("bureau").order_by("category_id", "order")):
        if r.category_id not in owners or r.role in (Responsibility.Role.LEAD, Responsibility.Role.SEPARATE):
            owners.setdefault(r.category_id, r.bureau)
    rows = []
    for award in awards:
        bureau = award.nominee.nomination_list.bureau if award.nominee_id else owners.get(award.category_id)
        rows.append(LedgerRow(award=award, bureau=bureau, pledged=award.amount, disbursed=paid[award.pk]))

    def totals(key):
        sums: dict = {}
        for row in rows:
            k = key(row)
            pledged, disbursed = sums.get(k, (Decimal("0"), Decimal("0")))
            sums[k] = (pledged + (row.pledged or 0), disbursed + row.disbursed)
        return [(k, p, d) for k, (p, d) in sums.items()]

    return Ledger(
        rows=rows,
        by_unit=sorted(totals(lambda r: r.award.unit.display_name), key=lambda t: t[0]),
        by_year=sorted(totals(lambda r: r.award.cycle.year), reverse=True),
        by_measure=totals(lambda r: str(r.award.category.measure)),
        by_bureau=sorted(totals(lambda r: r.bureau.short_name if r.bureau else "—"), key=lambda t: t[0]),
        pledged=sum((r.pledged or 0 for r in rows), Decimal("0")),
        disbursed=sum((r.disbursed for r in rows), Decimal("0")),
    )


def ledger_award_get(*, user, pk) -> Award:
    """An award of a ledger the person keeps; ``NotYours`` otherwise."""
    return access.get(Award.objects.select_related("cycle", "unit", "category__measure"), user, "funds", pk=pk)


def ledger_award_disbursements(award: Award) -> list[Disbursement]:
    return list(award.disbursements.select_related("entered_by").order_by("paid_on", "id"))
