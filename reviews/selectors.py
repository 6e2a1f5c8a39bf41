"""Reads of the review and of the published results. Every function runs a fixed number of queries, whatever
the number of categories, lists and awards: the queue filters, counts and pages in the database and builds the
rows of the page shown only; other reads fetch their rows in bulk and assemble them in Python."""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from measures import limits
from measures.models import (
    CapException,
    ImplementationRules,
    IncentiveCategory,
    Measure,
    PolicyDocument,
    Responsibility,
    SupportForm,
    chinese_numeral,
)
from nominations import deadlines, phases, states
from nominations.deadlines import (
    bureau_deadline,
    bureaus_still_open,
    cycle_extensions,
    cycle_last_deadline,
    deadline_passed,
    rules_deadline,
)
from nominations.models import CapExceptionRequest, Cycle, ListComment, NominationList, Nominee
from organisation import roles
from organisation.models import AuditEntry, Bureau, Membership, Unit, UnitKind
from organisation.programmes import programmes_of
from organisation.selectors import Trail, audit_trail

from .models import (
    Award,
    CycleReopening,
    Disbursement,
    HigherAward,
    ListReading,
    MissingListAcknowledgement,
    Objection,
)
from .programmes import public_programme_q

# The queue's states: the list's own states plus "not started" (no list yet).
NOT_STARTED = "not_started"
# A list in these states is no longer the bureau's to do: it cannot be late any more.
DONE_STATES = tuple(s for s in states.ListState.values if s not in states.states_allowing("edit"))


def reviewer_scope(user) -> bool:
    """Review pages are the General Office's: everyone else gets 404."""
    return roles.is_reviewer(user)


def cycle_list(user=None) -> QuerySet[Cycle]:
    """Cycles, of the person's programmes when ``user`` is given: the default programme's first, newest first."""
    cycles = Cycle.objects.select_related("document", "programme")
    if user is not None:
        cycles = cycles.filter(programme__in=programmes_of(user))
    return cycles.order_by("-programme__is_default", "programme__code", "-year")


def cycle_get(*, year: int, user=None, programme_code: str | None = None) -> Cycle:
    """The cycle of ``year`` in one of the person's programmes: the one with ``programme_code`` when given, else
    the first of theirs (the default programme first). DoesNotExist outside their programmes."""
    cycles = cycle_list(user).filter(year=year)
    if programme_code:
        cycles = cycles.filter(programme__code=programme_code)
    cycle = cycles.first()
    if cycle is None:
        raise Cycle.DoesNotExist
    return cycle


# ---------------------------------------------------------------------------------------------------------------
# The reviewer's queue


# Guangzhou has 39 categories: its whole catalogue on one page; a larger catalogue in pages of 40 rows, few
# enough to read on a phone.
QUEUE_PAGE_SIZE = 40

# The queue's orders: the key in the address → the database's ORDER BY (the category's own order breaks ties).
QUEUE_SORTS = {
    "category": (F("measure__number").asc(), F("order").asc()),
    "submitted": (F("submitted_at").asc(nulls_last=True), F("measure__number").asc(), F("order").asc()),
    "-submitted": (F("submitted_at").desc(nulls_last=True), F("measure__number").asc(), F("order").asc()),
    "state": (F("row_state").asc(), F("measure__number").asc(), F("order").asc()),
}


def queue_sorts() -> list[tuple[str, str]]:
    return [("category", _("Category")), ("submitted", _("Submitted first")), ("-submitted", _("Submitted last")),
            ("state", _("State"))]


@dataclass
class QueueRow:
    category: IncentiveCategory
    measure: Measure
    owners: list[Bureau]
    others: list[Bureau]
    nomination_list: NominationList | None
    state: str
    deadline: datetime.datetime
    late_bureaus: list[Bureau]
    awards: int = 0
    limit: int = limits.CAP_IN_PRINCIPLE
    unread: bool = False

    @property
    def is_late(self) -> bool:
        return bool(self.late_bureaus)

    @property
    def submitted_at(self) -> datetime.datetime | None:
        return self.nomination_list.submitted_at if self.nomination_list else None


@dataclass
class Queue:
    """One page of the queue, and the cycle's figures around it.

    ``rows`` holds the page shown only; ``count`` is how many categories match the filters, ``total`` how many the
    cycle's catalogue has. Filtering, counting, ordering and paging are the database's: the work in Python is the
    page's rows, whatever the size of the catalogue."""

    cycle: Cycle
    rows: list[QueueRow]
    page: object
    count: int
    total: int
    state_counts: dict[str, int]
    late_bureaus: list[tuple[Bureau, list[str]]]
    bureaus: list[tuple[int, str]]     # (id, short name) of the bureaus of the filter
    measures: list[tuple[int, str]]    # (id, "六、水务建设投资") of the measures of the filter
    unread_count: int = 0
    states: list[tuple[str, str]] = field(default_factory=list)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    selected_bureau: int | None = None
    selected_measure: int | None = None
    selected_state: str | None = None
    selected_sort: str = "category"
    search: str = ""
    unread_only: bool = False

    @property
    def submitted(self) -> int:
        return self.state_counts.get(NominationList.State.SUBMITTED, 0)

    @property
    def decided(self) -> int:
        return self.state_counts.get(NominationList.State.DECIDED, 0)

    @property
    def state_figures(self) -> list[tuple[str, str, int]]:
        """(state, label, count) for every state of the queue, in the order of the filter."""
        return [(value, label, self.state_counts.get(value, 0)) for value, label in self.states]


def queue_states() -> list[tuple[str, str]]:
    return [(NOT_STARTED, _("Not started")), *NominationList.State.choices]


def _queue_base(cycle: Cycle) -> QuerySet[IncentiveCategory]:
    """Every category of the cycle's catalogue, with the columns of its list in the cycle (a LEFT JOIN: a category
    nobody has started has none) and the queue's state of the row."""
    return (
        IncentiveCategory.objects.filter(measure__document_id=cycle.document_id)
        .annotate(cycle_list=FilteredRelation("lists", condition=Q(lists__cycle=cycle)))
        .annotate(list_id=F("cycle_list__id"), submitted_at=F("cycle_list__submitted_at"),
                  row_state=Coalesce(F("cycle_list__state"), Value(NOT_STARTED)))
    )


def _unread_condition(user, cycle: Cycle) -> Q:
    """A submitted list the reviewer has not marked read since it was (last) submitted."""
    read = ListReading.objects.filter(reader=user, nomination_list__cycle=cycle, nomination_list__category=OuterRef("pk"),
                                      read_at__gte=F("nomination_list__submitted_at"))
    return Q(row_state=NominationList.State.SUBMITTED) & ~Exists(read)


def _queue_search(cycle: Cycle, text: str) -> Q:
    """A unit nominated in the category's list, a bureau responsible for it or preparing it, the measure or the
    category, by any part of its name, code or number."""
    units = Nominee.objects.filter(nomination_list__cycle=cycle, nomination_list__category=OuterRef("pk")).filter(
        Q(unit__name__icontains=text) | Q(unit__full_name__icontains=text) | Q(unit__parent__name__icontains=text))
    bureaus = Responsibility.objects.filter(category=OuterRef("pk")).filter(
        Q(bureau__short_name__icontains=text) | Q(bureau__full_name__icontains=text))
    condition = (Q(code__icontains=text) | Q(name__icontains=text) | Q(measure__title__icontains=text)
                 | Q(measure__numeral=text) | Q(cycle_list__bureau__short_name__icontains=text)
                 | Exists(units) | Exists(bureaus))
    if text.isdigit():
        condition |= Q(measure__number=int(text))
    return condition


def queue_filtered(*, cycle: Cycle, user=None, search: str = "", bureau_id: int | None = None,
                   measure_id: int | None = None, state: str | None = None, unread_only: bool = False,
                   sort: str = "category") -> QuerySet[IncentiveCategory]:
    """The categories of the queue that match the filters, in the order asked for (a query, not run here)."""
    rows = _queue_base(cycle)
    if search:
        rows = rows.filter(_queue_search(cycle, search))
    if bureau_id is not None:
        rows = rows.filter(Exists(Responsibility.objects.filter(category=OuterRef("pk"), bureau_id=bureau_id))
                           | Q(cycle_list__bureau_id=bureau_id))
    if measure_id is not None:
        rows = rows.filter(measure_id=measure_id)
    if state:
        rows = rows.filter(row_state=state)
    if unread_only and user is not None:
        rows = rows.filter(_unread_condition(user, cycle))
    # The page's awards and limit come with its rows: correlated subqueries, evaluated for the rows returned.
    awards = Award.objects.filter(cycle=cycle, category=OuterRef("pk")).order_by().values("category").annotate(
        n=Count("pk")).values("n")
    exception = CapException.objects.filter(year=cycle.year, category=OuterRef("pk")).values("new_limit")[:1]
    return (rows.select_related("measure")
            .annotate(award_count=Coalesce(Subquery(awards), 0), exception_limit=Subquery(exception))
            .order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["category"])))


def queue_rows(*, cycle: Cycle, categories: list[IncentiveCategory], user=None, extensions: dict | None = None,
               now: datetime.datetime | None = None) -> list[QueueRow]:
    """The rows of categories from ``queue_filtered`` (a page, or an export): their lists with the reader's mark,
    and their responsibilities, each fetched once for all of them (two queries, three without ``extensions``)."""
    now = now or timezone.now()
    ids = [c.pk for c in categories]
    responsibilities: dict[int, list[Responsibility]] = defaultdict(list)
    for r in Responsibility.objects.filter(category_id__in=ids).select_related("bureau").order_by("order", "pk"):
        responsibilities[r.category_id].append(r)
    lists_query = (NominationList.objects.filter(cycle=cycle, category_id__in=ids).select_related("bureau")
                   .annotate(nominee_count=Count("nominees")))
    if user is not None:
        lists_query = lists_query.annotate(read_at=Subquery(ListReading.objects.filter(
            reader=user, nomination_list=OuterRef("pk")).values("read_at")[:1]))
    lists = {nl.category_id: nl for nl in lists_query}
    extensions = cycle_extensions(cycle) if extensions is None else extensions
    rows = []
    for category in categories:
        owners = [r.bureau for r in responsibilities[category.pk] if r.role in Responsibility.OWNER_ROLES]
        others = [r.bureau for r in responsibilities[category.pk] if r.role not in Responsibility.OWNER_ROLES]
        nl = lists.get(category.pk)
        row_state = nl.state if nl else NOT_STARTED
        # The bureau that answers for the list: the one that prepares it, or every owner while nobody has started.
        answering = [nl.bureau] if nl else owners
        deadlines = {b.pk: bureau_deadline(cycle=cycle, bureau=b, extensions=extensions) for b in answering}
        late_here = [] if row_state in DONE_STATES else [
            b for b in answering if deadline_passed(deadline=deadlines[b.pk], now=now)]
        rows.append(QueueRow(
            category=category, measure=category.measure, owners=owners, others=others, nomination_list=nl,
            state=row_state, deadline=min(deadlines.values(), default=cycle.deadline), late_bureaus=late_here,
            awards=category.award_count,
            limit=limits.limit_in_force(cap=category.cap, exception_limit=category.exception_limit),
            unread=(user is not None and nl is not None and nl.state == NominationList.State.SUBMITTED
                    and (nl.read_at is None or (nl.submitted_at is not None and nl.read_at < nl.submitted_at))),
        ))
    return rows


def queue_late_bureaus(*, cycle: Cycle, now: datetime.datetime | None = None,
                       extensions: dict | None = None) -> list[tuple[Bureau, list[str]]]:
    """The bureaus whose deadline has passed with a list still theirs to do, each with those categories' codes.

    Nobody is late before the cycle's deadline (an extension never makes a deadline earlier): no query then.
    After it, two queries give the (bureau, category) pairs still to do, one the bureaus that are late."""
    now = now or timezone.now()
    if not deadline_passed(deadline=cycle.deadline, now=now):
        return []
    lists = NominationList.objects.filter(cycle=cycle, category=OuterRef("category_id"))
    pairs = list(Responsibility.objects.filter(category__measure__document_id=cycle.document_id,
                                               role__in=Responsibility.OWNER_ROLES)
                 .filter(~Exists(lists)).values_list("bureau_id", "category__code", "category__measure__number",
                                                     "category__order"))
    pairs += list(NominationList.objects.filter(cycle=cycle).exclude(state__in=DONE_STATES)
                  .values_list("bureau_id", "category__code", "category__measure__number", "category__order"))
    extensions = cycle_extensions(cycle) if extensions is None else extensions
    late: dict[int, list] = defaultdict(list)
    for bureau_id, code, number, order in pairs:
        if deadline_passed(deadline=bureau_deadline(cycle=cycle, bureau=bureau_id, extensions=extensions), now=now):
            late[bureau_id].append((number, order, code))
    if not late:
        return []
    bureaus = Bureau.objects.filter(pk__in=late).order_by("order", "short_name")
    return [(b, [code for _n, _o, code in sorted(late[b.pk])]) for b in bureaus]


def review_queue(*, cycle: Cycle, user=None, search: str = "", bureau_id: int | None = None,
                 measure_id: int | None = None, state: str | None = None, unread_only: bool = False,
                 sort: str = "category", page: int | str | None = 1, per_page: int = QUEUE_PAGE_SIZE,
                 now: datetime.datetime | None = None) -> Queue:
    """One page of the cycle's categories with their lists' states, filtered by a search (unit, bureau, measure,
    category), bureau (any responsibility, or the bureau preparing the list), measure, state and the reader's
    unread lists, in the order asked for; with the cycle's figures (lists by state, late bureaus, what waits).

    A fixed number of queries whatever the size of the catalogue; only the page's rows are built."""
    now = now or timezone.now()
    states_ = queue_states()
    state = state if state in dict(states_) else None
    sort = sort if sort in QUEUE_SORTS else "category"
    search = (search or "").strip()[:100]
    figures = _queue_base(cycle).order_by().values("row_state").annotate(n=Count("pk"))
    if user is not None:
        figures = figures.annotate(unread=Sum(Case(When(_unread_condition(user, cycle), then=1), default=0)))
    else:
        figures = figures.annotate(unread=Value(0))
    figures = list(figures)
    state_counts = {f["row_state"]: f["n"] for f in figures}
    unread_count = sum(f["unread"] or 0 for f in figures)
    extensions = cycle_extensions(cycle)
    # Only the two columns each filter shows: hundreds of options, never loaded as model objects.
    bureaus = list(Bureau.objects.filter(Exists(Responsibility.objects.filter(
        bureau=OuterRef("pk"), category__measure__document_id=cycle.document_id)))
        .order_by("order", "short_name").values_list("pk", "short_name"))
    measures = [(pk, f"{numeral}、{title}") for pk, numeral, title in Measure.objects.filter(
        document_id=cycle.document_id).order_by("number").values_list("pk", "numeral", "title")]
    bureau = bureau_id if any(pk == bureau_id for pk, _name in bureaus) else None
    measure = measure_id if any(pk == measure_id for pk, _name in measures) else None
    matching = queue_filtered(cycle=cycle, user=user, search=search, bureau_id=bureau, measure_id=measure,
                              state=state, unread_only=unread_only, sort=sort)
    paged = Paginator(matching, per_page).get_page(page)
    rows = queue_rows(cycle=cycle, categories=list(paged.object_list), user=user, extensions=extensions, now=now)
    return Queue(
        cycle=cycle, rows=rows, page=paged, count=paged.paginator.count, total=sum(state_counts.values()),
        state_counts=state_counts, late_bureaus=queue_late_bureaus(cycle=cycle, now=now, extensions=extensions),
        bureaus=bureaus,
        measures=measures, unread_count=unread_count, states=states_, sorts=queue_sorts(), selected_bureau=bureau,
        selected_measure=measure, selected_state=state, selected_sort=sort, search=search, unread_only=unread_only,
    )


# ---------------------------------------------------------------------------------------------------------------
# One list under review


def nomination_list_for_review(*, user, pk: int) -> NominationList:
    """A list as the reviewer sees it, with nominees, their decisions, awards and evidence. Raises DoesNotExist
    for anyone but a reviewer, so that the view answers 404."""
    if not reviewer_scope(user):
        raise NominationList.DoesNotExist
    return (
        NominationList.objects.filter(cycle__programme__in=programmes_of(user))
        .select_related("cycle__programme", "category__measure", "bureau", "submitted_by")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related(
                "unit__parent", "decision__decided_by", "award").prefetch_related("evidence").order_by("rank")),
            Prefetch("comments", queryset=ListComment.objects.select_related("author", "bureau")),
        )
        .get(pk=pk)
    )


def category_for_review(*, user, pk: int) -> IncentiveCategory:
    """A category of one of the reviewer's programmes, with its measure, document and programme."""
    if not reviewer_scope(user):
        raise IncentiveCategory.DoesNotExist
    return (IncentiveCategory.objects.filter(measure__document__programme__in=programmes_of(user))
            .select_related("measure__document__programme").get(pk=pk))


def audit_trail_for_many(targets) -> QuerySet[AuditEntry]:
    """The audit records of several objects at once, newest first (two queries at most)."""
    condition = Q(pk__in=[])
    for target in targets:
        if target is None:
            continue
        content_type = ContentType.objects.get_for_model(target, for_concrete_model=False)
        condition |= Q(target_type=content_type, target_id=target.pk)
    return AuditEntry.objects.filter(condition).select_related("actor").order_by("-at", "-id")


def cap_exception_for(*, cycle: Cycle, category) -> CapException | None:
    return CapException.objects.filter(year=cycle.year, category=category).select_related("decided_by").first()


def exception_requests_for(nomination_list: NominationList) -> list[CapExceptionRequest]:
    """A list's requests for an exception to the cap, newest first."""
    return list(CapExceptionRequest.objects.filter(nomination_list=nomination_list)
                .select_related("requested_by", "decided_by").order_by("-requested_at", "-id"))


def pending_request_for(nomination_list: NominationList) -> CapExceptionRequest | None:
    return (CapExceptionRequest.objects.filter(nomination_list=nomination_list, state=CapExceptionRequest.State.PENDING)
            .select_related("nomination_list__cycle", "nomination_list__category").first())


def exception_request_get(*, user, pk: int) -> CapExceptionRequest:
    if not reviewer_scope(user):
        raise CapExceptionRequest.DoesNotExist
    return CapExceptionRequest.objects.select_related("nomination_list__cycle", "nomination_list__category__measure").get(pk=pk)


# ---------------------------------------------------------------------------------------------------------------
# The register of higher-level incentives, funds


def is_finance_staff(user) -> bool:
    """A member of the finance bureau (市财政局): enters disbursements and reads the ledger."""
    return bool(user.is_authenticated and user.is_active
                and Membership.objects.filter(user=user, bureau__programme__finance_bureau=F("bureau")).exists())


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


# ---------------------------------------------------------------------------------------------------------------
# Implementation rules (实施办法): review and punctuality


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
                   .select_related("submitted_by", "decided_by").order_by("-submitted_at", "-id")):
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


def rules_version() -> str:
    """Changes whenever a filing of implementation rules is added or reviewed. One query."""
    row = ImplementationRules.objects.aggregate(n=Count("id"), filed=Max("submitted_at"), decided=Max("decided_at"))
    stamp = [value.timestamp() if value else 0 for value in (row["filed"], row["decided"])]
    return f"{row['n']}-{stamp[0]:.6f}-{stamp[1]:.6f}"


def rules_get(*, pk: int) -> ImplementationRules:
    return ImplementationRules.objects.select_related("measure__document", "bureau").get(pk=pk)


def cycle_audit_trail(cycle: Cycle, *, everything: bool = False) -> Trail:
    """The cycle's audit trail: its newest entries, or ``everything`` (one query, limited in the database)."""
    return audit_trail(audit_trail_for_many([cycle]), everything=everything)


def cycle_reopenings(cycle: Cycle) -> QuerySet[CycleReopening]:
    return cycle.reopenings.select_related("reopened_by")


# ---------------------------------------------------------------------------------------------------------------
# Public results (主动公开): only published cycles


def published_cycles(programme_code: str | None = None) -> QuerySet[Cycle]:
    """The published cycles of one programme (the default one unless ``programme_code`` names another)."""
    return (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED)
            .select_related("document", "programme").annotate(award_count=Count("awards")).order_by("-year"))


def results_version(programme_code: str | None = None) -> str:
    """Changes whenever the published results of the programme can have changed: a publication (new
    ``published_at``) or a reopening (one published cycle fewer). One query."""
    row = (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED)
           .aggregate(n=Count("id"), last=Max("published_at")))
    last = row["last"].timestamp() if row["last"] else 0
    return f"{row['n']}-{last:.6f}"


def published_cycle_get(*, year: int, programme_code: str | None = None) -> Cycle:
    return (Cycle.objects.select_related("document", "programme")
            .get(public_programme_q(programme_code), year=year, state=Cycle.State.PUBLISHED))


def _awards_published() -> QuerySet[Award]:
    return Award.objects.filter(cycle__state=Cycle.State.PUBLISHED)


def _district_of(unit: Unit) -> Unit | None:
    if unit.kind_id == UnitKind.DISTRICT:
        return unit
    if unit.parent_id and unit.parent.kind_id == UnitKind.DISTRICT:
        return unit.parent
    return None


def _division_key(unit: Unit):
    # Streets and towns sort right under their district; demo data numbers them district order + n.
    return (unit.division_order, unit.name)


@dataclass
class MeasureShown:
    """A measure as a results page shows it: as it read at publication for a published year."""

    number: int
    title: str
    support_forms: list[str]
    support_text: str

    @property
    def numeral(self) -> str:
        return chinese_numeral(self.number)

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]


@dataclass
class CategoryShown:
    """A category as a results page shows it, with its support in the notice's words (as at publication)."""

    code: str
    name: str
    support_forms: list[str] = field(default_factory=list)
    support_text: str = ""

    def get_support_forms_display(self) -> list[str]:
        labels = dict(SupportForm.choices)
        return [str(labels.get(code, code)) for code in self.support_forms]


@dataclass
class MeasureResult:
    measure: MeasureShown
    categories: list[tuple[CategoryShown, list[Award]]]

    @property
    def award_count(self) -> int:
        return sum(len(awards) for _category, awards in self.categories)


def _award_division_key(award: Award):
    order = award.published_division_order if award.is_frozen else award.unit.division_order
    return (order if order is not None else 1000, award.shown_unit_name)


def group_awards(awards) -> list[MeasureResult]:
    """Awards grouped by measure and category, units in administrative order, each as it read when its year was
    published (the frozen values), or as the catalogue reads now before that."""
    by_category: dict[int, list[Award]] = defaultdict(list)
    firsts: dict[int, Award] = {}
    for award in awards:
        by_category[award.category_id].append(award)
        firsts.setdefault(award.category_id, award)
    by_measure: dict[int, MeasureResult] = {}
    for category_id, first in sorted(firsts.items(),
                                     key=lambda item: (item[1].shown_measure_number, item[1].category.order)):
        group = by_measure.get(first.category.measure_id)
        if group is None:
            group = by_measure[first.category.measure_id] = MeasureResult(measure=MeasureShown(
                number=first.shown_measure_number, title=first.shown_measure_title,
                support_forms=first.shown_support_forms, support_text=first.shown_support_text), categories=[])
        group.categories.append((CategoryShown(code=first.category.code, name=first.shown_category_name,
                                               support_forms=first.shown_support_forms,
                                               support_text=first.shown_support_text),
                                 sorted(by_category[category_id], key=_award_division_key)))
    return sorted(by_measure.values(), key=lambda g: g.measure.number)


def cycle_results(*, cycle: Cycle) -> list[MeasureResult]:
    """The awardees of a published cycle grouped by measure and category, units in administrative order, as they
    read at publication. One query."""
    return group_awards(
        Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.PUBLISHED)
        .select_related("unit__parent", "unit__kind", "category__measure", "higher_award")
    )


# ---------------------------------------------------------------------------------------------------------------
# The public notice (公示) and its objections


def notice_cycles(programme_code: str | None = None) -> QuerySet[Cycle]:
    return (Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.NOTICE)
            .select_related("programme").order_by("-year"))


def notice_cycle_get(*, year: int, programme_code: str | None = None) -> Cycle:
    """A cycle of the programme whose proposed awardees are on public notice (anyone may read it)."""
    return (Cycle.objects.select_related("document", "programme")
            .get(public_programme_q(programme_code), year=year, state=Cycle.State.NOTICE))


def notice_awards(*, cycle: Cycle) -> list[Award]:
    """The proposed awardees on notice, in the order of the page (one query)."""
    awards = (Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.NOTICE)
              .select_related("unit__parent", "unit__kind", "category__measure"))
    return [award for group in group_awards(awards) for _category, group_awards_ in group.categories
            for award in group_awards_]


def notice_results(*, cycle: Cycle) -> list[MeasureResult]:
    return group_awards(Award.objects.filter(cycle=cycle, cycle__state=Cycle.State.NOTICE)
                        .select_related("unit__parent", "unit__kind", "category__measure"))


@dataclass
class MissingRow:
    category: IncentiveCategory
    state: str   # NOT_STARTED, or the state of a list never (re)submitted
    acknowledgement: MissingListAcknowledgement | None = None


@dataclass
class NoticePreflight:
    cycle: Cycle
    phase: str
    last_deadline: datetime.datetime
    deadlines_passed: bool
    open_bureaus: list[Bureau]
    undecided: list[NominationList]
    missing: list[MissingRow]
    awards: int

    @property
    def to_acknowledge(self) -> list[MissingRow]:
        return [row for row in self.missing if row.acknowledgement is None]

    @property
    def blocked(self) -> bool:
        return not self.deadlines_passed or bool(self.undecided) or self.cycle.state not in (
            Cycle.State.OPEN, Cycle.State.REVIEW)


def notice_preflight(*, cycle: Cycle, now: datetime.datetime | None = None) -> NoticePreflight:
    """What stands in the way of the public notice: deadlines still running, submitted lists undecided, and the
    categories without a submitted list (no list at all, or one never submitted), which the reviewer
    acknowledges by name. Five queries."""
    now = now or deadlines.current_time()  # the module's clock, which tests set
    last = cycle_last_deadline(cycle)
    categories = list(IncentiveCategory.objects.filter(measure__document_id=cycle.document_id)
                      .select_related("measure").order_by("measure__number", "order"))
    lists = {nl.category_id: nl for nl in NominationList.objects.filter(cycle=cycle).select_related("category", "bureau")}
    acknowledged = {a.category_id: a for a in MissingListAcknowledgement.objects.filter(cycle=cycle)
                    .select_related("acknowledged_by")}
    undecided, missing = [], []
    for category in categories:
        nl = lists.get(category.pk)
        if nl is not None and nl.state == NominationList.State.SUBMITTED:
            undecided.append(nl)
        elif nl is None or nl.state in states.states_allowing("edit"):
            missing.append(MissingRow(category=category, state=nl.state if nl else NOT_STARTED,
                                      acknowledgement=acknowledged.get(category.pk)))
    return NoticePreflight(
        cycle=cycle, phase=phases.phase_of(cycle, now=now, last_deadline=last), last_deadline=last,
        deadlines_passed=deadline_passed(deadline=last, now=now),
        open_bureaus=bureaus_still_open(cycle=cycle, now=now), undecided=undecided, missing=missing,
        awards=Award.objects.filter(cycle=cycle).count())


def objections_of(*, cycle: Cycle) -> list[Objection]:
    return list(Objection.objects.filter(cycle=cycle).select_related("unit", "category__measure", "settled_by")
                .order_by("status", "filed_at", "id"))


def objection_for_review(*, user, pk: int) -> Objection:
    if not reviewer_scope(user):
        raise Objection.DoesNotExist
    return Objection.objects.filter(cycle__programme__in=programmes_of(user)).select_related("cycle__programme", "unit", "category__measure", "award", "settled_by").get(pk=pk)


# A unit's public history in pages of this many years, the newest first (a district awarded in many categories a
# year fills a page with a dozen rows or more).
UNIT_HISTORY_YEARS = 3


class HistoryPageNotFound(LookupError):
    """A page of a unit's history that does not exist (before the first or after the last)."""


@dataclass
class UnitHistory:
    awards: list[Award]  # the awards of the page's years, newest year first
    years: list[int]  # every year the unit was awarded in, newest first (the page's summary counts all of them)
    award_count: int  # every award, on every page
    page: int
    page_count: int

    @property
    def newer_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def older_page(self) -> int | None:
        return self.page + 1 if self.page < self.page_count else None


def unit_history(*, unit: Unit, page: int = 1, years_per_page: int = UNIT_HISTORY_YEARS) -> UnitHistory:
    """The awards a unit received in published cycles, a page of ``years_per_page`` years at a time, newest
    first; HistoryPageNotFound for a page that does not exist (page 1 always does). Two queries: the years with
    their counts (as many rows as there are years, grouped by the database), then the awards of the page's years."""
    per_year = list(_awards_published().filter(unit=unit).order_by().values_list("cycle__year")
                    .annotate(n=Count("id")).order_by("-cycle__year"))
    years = [year for year, _n in per_year]
    page_count = max(1, -(-len(years) // years_per_page))
    if not 1 <= page <= page_count:
        raise HistoryPageNotFound(page)
    shown = years[(page - 1) * years_per_page:page * years_per_page]
    awards = list(
        _awards_published().filter(unit=unit, cycle__year__in=shown).select_related("cycle__programme", "category__measure")
        .order_by("-cycle__year", "category__measure__number", "category__order")
    ) if shown else []
    return UnitHistory(awards=awards, years=years, award_count=sum(n for _year, n in per_year), page=page,
                       page_count=page_count)


def unit_public_get(*, pk: int) -> Unit:
    return Unit.objects.select_related("parent", "kind", "programme").get(pk=pk)


def repeat_winners(*, cycle: Cycle | None = None) -> set[int]:
    """Units that won in more than one published cycle (any category), among the awardees of ``cycle`` when given.
    One query; restricted to one cycle's awardees it stays small however many years there are."""
    awards = _awards_published()
    if cycle is not None:
        awards = awards.filter(unit_id__in=Award.objects.filter(cycle=cycle).values("unit_id"))
    rows = awards.order_by().values("unit_id").annotate(years=Count("cycle", distinct=True)).filter(years__gt=1)
    return {row["unit_id"] for row in rows}


# ---------------------------------------------------------------------------------------------------------------
# Statistics of published cycles


@dataclass
class Statistics:
    years: list[int]
    districts: list[tuple[Unit, list[int], int]]     # district, awards per year (aligned with years), total
    measures: list[tuple[Measure, list[int], int]]   # measure, awards per year, total
    punctuality: list[tuple[Bureau, int, int, int]]       # bureau, on time, late, never submitted


def statistics(programme_code: str | None = None) -> Statistics:
    """Awards per district and year, per measure, and each bureau's punctuality, over published cycles.

    Counted by the database (GROUP BY), so the work in Python grows with the number of districts, measures and
    years shown, not with the number of awards. A fixed number of queries (seven)."""
    cycles = list(Cycle.objects.filter(public_programme_q(programme_code), state=Cycle.State.PUBLISHED).order_by("year"))
    years = [c.year for c in cycles]
    published = _awards_published().filter(cycle__in=cycles).order_by()
    # A street's or town's award counts for its district.
    district_of_unit = Case(
        When(unit__kind_id=UnitKind.DISTRICT, then=F("unit_id")),
        When(unit__parent__kind_id=UnitKind.DISTRICT, then=F("unit__parent_id")),
        default=None,
    )
    # One GROUP BY gives both tallies: rows per (measure, year, district) are few, whatever the number of awards.
    district_counts: dict[int, Counter] = defaultdict(Counter)
    measure_counts: dict[int, Counter] = defaultdict(Counter)
    for row in (published.annotate(district_id=district_of_unit)
                .values("category__measure_id", "cycle__year", "district_id").annotate(n=Count("id"))):
        measure_counts[row["category__measure_id"]][row["cycle__year"]] += row["n"]
        if row["district_id"] is not None:
            district_counts[row["district_id"]][row["cycle__year"]] += row["n"]
    district_units = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT).filter(
        (Q(is_active=True) & public_programme_q(programme_code)) | Q(pk__in=district_counts))
        .order_by("division_order", "name"))
    districts = [(d, [district_counts[d.pk][y] for y in years], sum(district_counts[d.pk].values())) for d in district_units]
    # Measures of different notices are kept apart; within one notice by number.
    measures = sorted(Measure.objects.filter(pk__in=measure_counts), key=lambda m: (m.number, m.document_id))
    measure_rows = [(m, [measure_counts[m.pk][y] for y in years], sum(measure_counts[m.pk].values())) for m in measures]
    return Statistics(years=years, districts=districts, measures=measure_rows, punctuality=_punctuality(cycles))


def _punctuality(cycles: list[Cycle]) -> list[tuple[Bureau, int, int, int]]:
    """Per owning bureau over the published cycles: lists submitted by the (extended) deadline, after it, never.

    A list's ``submitted_at`` is its latest submission; a list returned and submitted again after the deadline
    counts as late. Counted by the database in one query grouped by bureau (every owner of every category of
    every published cycle's notice, its list if any, its deadline and the lateness rule from
    ``nominations.deadlines``), then the bureaus shown are loaded: two queries, whatever the number of lists."""
    if not cycles:
        return []
    cycle_ids = [c.pk for c in cycles]
    cycle = "category__measure__document__cycles"  # each owner of a category, once per cycle of its notice
    submitted = Q(the_list__submitted_at__isnull=False)
    late = Q(deadlines.submitted_late_expression(
        submitted_at="the_list__submitted_at",
        deadline=deadlines.deadline_with_extension_expression(F(f"{cycle}__deadline"), F("extension__new_deadline"))))
    rows = (Responsibility.objects.filter(role__in=Responsibility.OWNER_ROLES)
            .alias(cycle_pk=F(f"{cycle}__id")).filter(cycle_pk__in=cycle_ids)
            # Joined, not one subquery per row: the cycle's list of the category, the bureau's extension in it.
            .alias(the_list=FilteredRelation("category__lists", condition=Q(category__lists__cycle_id=F("cycle_pk"))),
                   extension=FilteredRelation("bureau__extensions",
                                              condition=Q(bureau__extensions__cycle_id=F("cycle_pk"))))
            # A joint category: the bureau that prepared the list answers for it, its co-owners do not.
            .filter(Q(the_list__bureau_id__isnull=True) | Q(the_list__bureau_id=F("bureau_id")))
            .order_by().values("bureau_id")
            .annotate(on_time=Count("pk", filter=submitted & ~late), late=Count("pk", filter=submitted & late),
                      never=Count("pk", filter=~submitted)))
    tally = {row["bureau_id"]: (row["on_time"], row["late"], row["never"]) for row in rows}
    bureaus = Bureau.objects.in_bulk(tally)
    return sorted(((bureaus[pk], *counts) for pk, counts in tally.items()),
                  key=lambda t: (t[0].order, t[0].short_name))
