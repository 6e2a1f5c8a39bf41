"""Implementation rules (实施办法): each measure's filings per bureau, and the bureaus' punctuality."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max, Min

from measures.models import ImplementationRules, Measure, PolicyDocument, Responsibility
from nominations.deadlines import deadline_passed, rules_deadline
from organisation import access
from organisation.models import Bureau


@dataclass
class RulesRow:
    measure: Measure
    bureau: Bureau
    filings: list[ImplementationRules]
    deadline: datetime.datetime | None

    @property
    def latest(self) -> ImplementationRules | None:
        return self.filings[0] if self.filings else None

    @property
    def in_force(self) -> ImplementationRules | None:
        return next((f for f in self.filings if f.state == ImplementationRules.State.ACCEPTED), None)

    @property
    def first_filed_at(self):
        return min((f.submitted_at for f in self.filings), default=None)

    @property
    def on_time(self) -> bool | None:
        """Filed by the due date (first filing); None while nothing is filed."""
        if self.first_filed_at is None or self.deadline is None:
            return None
        return not deadline_passed(deadline=self.deadline, now=self.first_filed_at)


def rules_overview(*, document: PolicyDocument) -> list[RulesRow]:
    """For each measure of the document and each bureau that prepares its lists: every filing, newest first, and
    whether the first came by the due date. Three queries."""
    deadline = rules_deadline(document)
    pairs: dict[tuple[int, int], RulesRow] = {}
    for r in (Responsibility.objects.filter(category__measure__document=document, role__in=Responsibility.OWNER_ROLES)
              .select_related("bureau", "category__measure").order_by("category__measure__number", "order")):
        key = (r.category.measure_id, r.bureau_id)
        if key not in pairs:
            pairs[key] = RulesRow(measure=r.category.measure, bureau=r.bureau, filings=[], deadline=deadline)
    for filing in (ImplementationRules.objects.filter(measure__document=document)
                   .select_related("submitted_by", "decided_by", "measure__document").order_by("-submitted_at", "-id")):
        row = pairs.get((filing.measure_id, filing.bureau_id))
        if row is not None:
            row.filings.append(filing)
    return list(pairs.values())


def rules_punctuality(rows: list[RulesRow]) -> list[tuple[Bureau, int, int, int]]:
    """Per bureau: measures whose rules it filed by the due date, after it, not at all."""
    tally: dict[int, list] = {}
    for row in rows:
        entry = tally.setdefault(row.bureau.pk, [row.bureau, 0, 0, 0])
        if row.on_time is None:
            entry[3] += 1
        elif row.on_time:
            entry[1] += 1
        else:
            entry[2] += 1
    return sorted((tuple(v) for v in tally.values()), key=lambda t: (t[0].order, t[0].short_name))


def rules_punctuality_of(*, document: PolicyDocument) -> list[tuple[Bureau, int, int, int]]:
    """``rules_punctuality(rules_overview(document=document))`` counted from the pairs and each pair's first filing
    alone, without loading every filing: three queries, a province's 3,000 categories included."""
    deadline = rules_deadline(document)
    pairs = set(Responsibility.objects.filter(category__measure__document=document, role__in=Responsibility.OWNER_ROLES)
                .order_by().values_list("category__measure_id", "bureau_id").distinct())
    first_filed = {(measure_id, bureau_id): first for measure_id, bureau_id, first in (
        ImplementationRules.objects.filter(measure__document=document).order_by()
        .values("measure_id", "bureau_id").annotate(first=Min("submitted_at"))
        .values_list("measure_id", "bureau_id", "first"))}
    tally: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for pair in pairs:
        first = first_filed.get(pair)
        counts = tally[pair[1]]
        if first is None or deadline is None:
            counts[2] += 1
        elif deadline_passed(deadline=deadline, now=first):
            counts[1] += 1
        else:
            counts[0] += 1
    bureaus = Bureau.objects.in_bulk(list(tally))
    return sorted(((bureaus[pk], *counts) for pk, counts in tally.items()), key=lambda t: (t[0].order, t[0].short_name))


def rules_version() -> str:
    """Changes whenever a filing of implementation rules is added or reviewed. One query."""
    row = ImplementationRules.objects.aggregate(n=Count("id"), filed=Max("submitted_at"), decided=Max("decided_at"))
    stamp = [value.timestamp() if value else 0 for value in (row["filed"], row["decided"])]
    return f"{row['n']}-{stamp[0]:.6f}-{stamp[1]:.6f}"


def rules_get(*, user, pk) -> ImplementationRules:
    """Filed rules of a programme the person reviews; ``NotYours`` otherwise."""
    return access.get(ImplementationRules.objects.select_related("measure__document", "bureau"), user, "review", pk=pk)
