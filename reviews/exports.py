"""The awards of a cycle as a table (one row per awardee), and the reviewer's queue as shown."""

from collections.abc import Iterator

from django.utils.translation import gettext as _

from measures.exports import local_time

from .models import Award

AWARD_HEADER = [
    "cycle", "measure_number", "category_code", "category_name", "slot", "unit", "unit_kind", "district",
    "bureau", "awarded_at", "cap_exception", "kind", "awarding_document", "amount",
]


def award_rows(cycle) -> Iterator[list[str]]:
    """The header, then one row per award of the cycle in measure and slot order (one query)."""
    yield list(AWARD_HEADER)
    awards = (
        Award.objects.filter(cycle=cycle)
        .select_related("category__measure", "unit__kind", "unit__parent", "nominee__nomination_list__bureau",
                        "higher_award")
        .order_by("category__measure__number", "category__order", "slot", "pk")
    )
    for award in awards:
        category = award.category
        # An entitlement of the register has no list (so no bureau that proposed it) and no slot.
        bureau = award.nominee.nomination_list.bureau.short_name if award.nominee_id else ""
        yield [str(cycle.year), str(category.measure.number), category.code, category.name,
               "" if award.slot is None else str(award.slot), award.unit.name,
               award.unit.kind.name, award.unit.parent.name if award.unit.parent_id else "",
               bureau, local_time(award.awarded_at),
               "yes" if getattr(award, "cap_exception_id", None) else "no",
               "entitlement" if award.is_entitlement else "selection",
               award.higher_award.document_number if award.higher_award_id else "",
               "" if award.amount is None else str(award.amount)]


def queue_table(rows) -> Iterator[list[str]]:
    """The reviewer's queue as shown (its filters and order): Chinese headers and labels, never codes. Call under
    the language of the file (Chinese)."""
    yield [_("Category code"), _("Category"), _("Measure"), _("Lead or responsible bureaus"), _("Other bureaus"),
           _("State"), _("Late"), _("Nominees"), _("Awardees"), _("Limit"), _("Submitted at"), _("Deadline")]
    for row in rows:
        nl = row.nomination_list
        if nl is None:
            state = str(_("Not started"))
        else:
            state = str(nl.get_state_display())
        nominees = "" if nl is None else (str(_("Nobody proposed")) if nl.nothing_to_propose else str(nl.nominee_count))
        yield [row.category.code, row.category.name, str(row.measure), "、".join(b.short_name for b in row.owners),
               "、".join(b.short_name for b in row.others), state,
               "、".join(b.short_name for b in row.late_bureaus), nominees, str(row.awards), str(row.limit),
               local_time(row.submitted_at), local_time(row.deadline)]
