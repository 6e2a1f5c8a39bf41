"""The nomination lists of a cycle as a table: one row per nominee."""

from collections.abc import Iterator

from django.db.models import Prefetch

from measures.exports import local_time

from .models import NominationList, Nominee

NOMINATION_HEADER = [
    "cycle", "measure_number", "category_code", "category_name", "bureau", "list_state", "nothing_to_propose",
    "rank", "unit", "unit_kind", "district", "achievements", "figures", "decision", "submitted_at",
]


def nomination_rows(cycle) -> Iterator[list[str]]:
    """The header, then one row per nominee of every list of the cycle (a list without nominees gives one row).
    Two queries whatever the number of lists."""
    yield list(NOMINATION_HEADER)
    lists = (
        NominationList.objects.filter(cycle=cycle)
        .select_related("category__measure", "bureau")
        .prefetch_related(Prefetch("nominees", queryset=Nominee.objects.select_related("unit__kind", "unit__parent", "decision").order_by("rank")))
        .order_by("category__measure__number", "category__order")
    )
    for nomination_list in lists:
        category = nomination_list.category
        head = [str(cycle.year), str(category.measure.number), category.code, category.name, nomination_list.bureau.short_name,
                nomination_list.state, "yes" if nomination_list.nothing_to_propose else "no"]
        nominees = list(nomination_list.nominees.all())
        if not nominees:
            yield head + ["", "", "", "", "", "", "", local_time(nomination_list.submitted_at)]
        for nominee in nominees:
            decision = getattr(nominee, "decision", None)
            verdict = "" if decision is None else ("approved" if decision.approved else "rejected")
            yield head + [str(nominee.rank), nominee.unit.name, nominee.unit.kind.name,
                          nominee.unit.parent.name if nominee.unit.parent_id else "", nominee.achievements, nominee.figures,
                          verdict, local_time(nomination_list.submitted_at)]
