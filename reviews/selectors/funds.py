"""The register of higher-level incentives and the funds ledger, and who may reach them (the finance bureau's staff, the
bureaus of measure 32)."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet

from measures.models import IncentiveCategory, Responsibility
from nominations.models import Cycle
from nominations.selectors import FINANCE_BUREAU
from organisation.models import Bureau, Membership, Unit, UnitKind

from ..models import Award, Disbursement, HigherAward
from .lists import reviewer_scope


def is_finance_staff(user) -> bool:
    """A member of the finance bureau (市财政局): enters disbursements and reads the ledger."""
    return bool(user.is_authenticated and user.is_active
                and Membership.objects.filter(user=user, bureau__short_name=FINANCE_BUREAU).exists())


def is_register_clerk(user) -> bool:
    """A member of a bureau responsible for a category that higher-level incentives earn (measure 32's bureaus)."""
    return bool(user.is_authenticated and user.is_active and Membership.objects.filter(
        user=user, bureau__responsibilities__category__earned_by_higher_award=True).exists())


def register_scope(user) -> bool:
    return reviewer_scope(user) or is_register_clerk(user)


def funds_scope(user) -> bool:
    return reviewer_scope(user) or is_finance_staff(user)


def higher_awards(*, cycle: Cycle) -> list[HigherAward]:
    return list(HigherAward.objects.filter(cycle=cycle)
                .select_related("unit__kind", "category", "recorded_by", "confirmed_by", "award")
                .order_by("-awarded_on", "-id"))


def higher_award_get(*, pk: int) -> HigherAward:
    return HigherAward.objects.select_related("cycle", "unit", "category").get(pk=pk)


def register_units() -> QuerySet[Unit]:
    """Units the register may name: active districts and municipal departments (main kind or another one)."""
    kinds = [UnitKind.DISTRICT, UnitKind.MUNICIPAL_DEPARTMENT]
    also = Unit.other_kinds.through.objects.filter(unitkind_id__in=kinds).values("unit_id")
    return Unit.objects.filter(Q(kind__in=kinds) | Q(pk__in=also), is_active=True).order_by("division_order", "name")


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


def ledger(*, year: int | None = None) -> Ledger:
    """Every award whose support is money, with what it pledges and what has been paid, and the totals by unit,
    year, measure and bureau (the bureau that prepared the list, else the category's owner). Four queries."""
    money = [c.pk for c in IncentiveCategory.objects.only("pk", "support_forms") if c.carries_money]
    awards = (Award.objects.filter(category_id__in=money).select_related(
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


def ledger_award_get(*, pk: int) -> Award:
    return Award.objects.select_related("cycle", "unit", "category__measure").get(pk=pk)


def ledger_award_disbursements(award: Award) -> list[Disbursement]:
    return list(award.disbursements.select_related("entered_by").order_by("paid_on", "id"))
