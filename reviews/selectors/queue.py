"""The reviewer's queue: every category of the cycle's catalogue with its list's state, filtered, counted, ordered and
paged by the database (only the page's rows are built), the late bureaus and the cycle's figures."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incentives import params
from measures import limits
from measures.models import CapException, IncentiveCategory, Measure, Responsibility
from nominations import states
from nominations.deadlines import bureau_deadline, cycle_extensions, deadline_passed
from nominations.models import Cycle, NominationList, Nominee
from organisation.models import Bureau

from ..models import Award, ListReading

# The queue's states: the list's own states plus "not started" (no list yet).
NOT_STARTED = "not_started"
# The states the queue filters on: a list's, or none begun.
QUEUE_STATES = (*states.ListState.values, NOT_STARTED)
# A list in these states is no longer the bureau's to do: it cannot be late any more.
DONE_STATES = tuple(s for s in states.ListState.values if s not in states.states_with_bureau())


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


# --- The queue's choosers: bureaus and measures fetched as the reviewer types ----------------------------------------

# A province's catalogue has thousands of categories and bureaus: the queue's filters never list them. The page
# shows a text box (static/js/site.js, input[data-chooser]) that asks ``reviews:queue_choices`` for at most
# CHOOSER_LIMIT matches of what is typed; the id chosen travels as ``?bureau=`` / ``?measure=``, and without
# JavaScript the text typed (``?bureau_name=`` / ``?measure_name=``) is looked up here when it names one item.
CHOOSER_LIMIT = 20
CHOOSER_KINDS = ("bureau", "measure")
CHOOSER_TEXT_MAX = 100


@dataclass
class Chosen:
    """A chooser of the queue as the page shows it: the item chosen (``pk``, ``None`` for every one), the text of
    its box (the item's name, or what was typed), and ``problem`` when a typed text named no item ("none") or
    several ("several"); then no filter applies."""

    kind: str
    pk: int | None = None
    text: str = ""
    problem: str = ""


def _clean_text(text) -> str:
    """What was typed, as the database may compare it: trimmed, at most 100 characters, no NUL."""
    return (text or "").replace("\x00", "").strip()[:CHOOSER_TEXT_MAX]


def _chooser_items(cycle: Cycle, kind: str) -> QuerySet:
    """The items a chooser of the cycle's queue offers, each with its ``label`` (a query, not run here): the
    bureaus of the cycle's programme responsible for a category of its catalogue, the catalogue's measures. The
    cycle comes through the door (``cycle_list``): nothing of another programme is reachable from it."""
    if kind == "bureau":
        return (Bureau.objects.filter(programme_id=cycle.programme_id)
                .filter(Exists(Responsibility.objects.filter(bureau=OuterRef("pk"),
                                                             category__measure__document_id=cycle.document_id)))
                .annotate(label=F("short_name"), detail=F("full_name")))
    if kind == "measure":
        return (Measure.objects.filter(document_id=cycle.document_id)
                .annotate(label=Concat("numeral", Value("、"), "title"), detail=Value("")))
    raise ValueError(kind)


def _chooser_order(kind: str) -> tuple:
    return ("order", "short_name", "pk") if kind == "bureau" else ("number", "pk")


def _text_matches(kind: str, text: str) -> Q:
    """The items whose name contains ``text`` (a measure: its numeral, title or number too)."""
    if kind == "bureau":
        return Q(short_name__icontains=text) | Q(full_name__icontains=text)
    condition = Q(label__icontains=text) | Q(numeral=text)
    number = params.int_from(text, maximum=99)
    if number is not None:
        condition |= Q(number=number)
    return condition


def _text_names(kind: str, text: str) -> Q:
    """The items ``text`` names exactly (as the chooser shows them, or by another of their names)."""
    if kind == "bureau":
        return Q(short_name__iexact=text) | Q(full_name__iexact=text)
    condition = Q(label=text) | Q(title=text) | Q(numeral=text)
    number = params.int_from(text, maximum=99)
    if number is not None:
        condition |= Q(number=number)
    return condition


def queue_choices(*, cycle: Cycle, kind: str, text: str, limit: int = CHOOSER_LIMIT) -> list[tuple[int, str, str]]:
    """A chooser's answer: at most ``limit`` (id, label, detail) of the cycle's bureaus or measures whose name
    contains ``text`` (every one, in their order, when nothing is typed), those whose label starts with it first.
    One query."""
    text = _clean_text(text)
    items = _chooser_items(cycle, kind)
    order = _chooser_order(kind)
    if text:
        items = (items.filter(_text_matches(kind, text))
                 .annotate(starts=Case(When(label__istartswith=text, then=Value(0)), default=Value(1))))
        order = ("starts", *order)
    return list(items.order_by(*order).values_list("pk", "label", "detail")[:limit])


def queue_chosen(*, cycle: Cycle, kind: str, pk: int | None, text: str | None) -> Chosen:
    """The item a chooser of the queue's form names: the id chosen, unless the box's text (``None`` when the
    address has none, as in a link) says otherwise; a text alone is looked up (it must name exactly one item).
    An empty box is no filter. At most one query (none without an id or a text)."""
    if text is not None:
        text = _clean_text(text)
        if not text:
            return Chosen(kind)
    if pk is None and not text:
        return Chosen(kind)
    items = _chooser_items(cycle, kind)
    if text is None:
        found = items.filter(pk=pk).values_list("pk", "label").first()
        return Chosen(kind, pk=found[0], text=found[1]) if found else Chosen(kind)
    condition = _text_names(kind, text)
    if pk is not None:
        # The id chosen comes first; its text may be the item's label or another of its names.
        items = items.annotate(is_chosen=Case(When(pk=pk, then=Value(0)), default=Value(1)),
                               named=Case(When(condition, then=Value(1)), default=Value(0)))
        rows = list(items.filter(Q(pk=pk) | condition).order_by("is_chosen", *_chooser_order(kind))
                    .values_list("pk", "label", "named")[:3])
        if rows and rows[0][0] == pk and rows[0][2]:
            return Chosen(kind, pk=pk, text=rows[0][1])
        named = [(found_pk, label) for found_pk, label, is_named in rows if is_named]
    else:
        named = list(items.filter(condition).order_by(*_chooser_order(kind)).values_list("pk", "label")[:2])
    if len(named) == 1:
        return Chosen(kind, pk=named[0][0], text=named[0][1])
    return Chosen(kind, text=text, problem="several" if named else "none")


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
    bureau: Chosen = field(default_factory=lambda: Chosen("bureau"))     # the bureau chooser's choice
    measure: Chosen = field(default_factory=lambda: Chosen("measure"))   # the measure chooser's choice
    unread_count: int = 0
    states: list[tuple[str, str]] = field(default_factory=list)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    selected_state: str | None = None
    selected_sort: str = "category"
    search: str = ""
    unread_only: bool = False

    @property
    def selected_bureau(self) -> int | None:
        return self.bureau.pk

    @property
    def selected_measure(self) -> int | None:
        return self.measure.pk

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
    number = params.int_from(text, maximum=99)
    if number is not None:
        condition |= Q(measure__number=number)
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
    return rows.select_related("measure").order_by(*QUEUE_SORTS.get(sort, QUEUE_SORTS["category"]))


def _awards_and_limits(cycle: Cycle, ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """Each category's awards in the cycle and its exception to the cap, for the rows shown only: asked once the
    page is known, so that the database does not count them for every category it sorts (one query)."""
    awards = Award.objects.filter(cycle=cycle, category=OuterRef("pk")).order_by().values("category").annotate(
        n=Count("pk")).values("n")
    exception = CapException.objects.filter(year=cycle.year, category=OuterRef("pk")).values("new_limit")[:1]
    return {pk: (n, limit) for pk, n, limit in IncentiveCategory.objects.filter(pk__in=ids).annotate(
        award_count=Coalesce(Subquery(awards), 0), exception_limit=Subquery(exception)).values_list(
        "pk", "award_count", "exception_limit")}


def queue_rows(*, cycle: Cycle, categories: list[IncentiveCategory], user=None, extensions: dict | None = None,
               now: datetime.datetime | None = None) -> list[QueueRow]:
    """The rows of categories from ``queue_filtered`` (a page, or an export): their lists with the reader's mark,
    their awards and limits, and their responsibilities, each fetched once for all of them (three queries, four
    without ``extensions``)."""
    now = now or timezone.now()
    ids = [c.pk for c in categories]
    awards_and_limits = _awards_and_limits(cycle, ids)
    responsibilities: dict[int, list[Responsibility]] = defaultdict(list)
    for r in Responsibility.objects.filter(category_id__in=ids).select_related("bureau").order_by("order", "pk"):
        responsibilities[r.category_id].append(r)
    # By category (a dict): no order, so that neither the GROUP BY nor the plan reaches the models' default orders.
    lists_query = (NominationList.objects.filter(cycle=cycle, category_id__in=ids).select_related("bureau")
                   .annotate(nominee_count=Count("nominees")).order_by())
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
            awards=awards_and_limits[category.pk][0],
            limit=limits.limit_in_force(cap=category.cap, exception_limit=awards_and_limits[category.pk][1]),
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
                 now: datetime.datetime | None = None, bureau_text: str | None = None,
                 measure_text: str | None = None) -> Queue:
    """One page of the cycle's categories with their lists' states, filtered by a search (unit, bureau, measure,
    category), bureau (any responsibility, or the bureau preparing the list), measure, state and the reader's
    unread lists, in the order asked for; with the cycle's figures (lists by state, late bureaus, what waits).
    The bureau and the measure are those the choosers name (``queue_chosen``: the id, or the text typed).

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
    # The filters never list the bureaus and measures (thousands in a province): the choosers name one each.
    bureau = queue_chosen(cycle=cycle, kind="bureau", pk=bureau_id, text=bureau_text)
    measure = queue_chosen(cycle=cycle, kind="measure", pk=measure_id, text=measure_text)
    matching = queue_filtered(cycle=cycle, user=user, search=search, bureau_id=bureau.pk, measure_id=measure.pk,
                              state=state, unread_only=unread_only, sort=sort)
    paginator = Paginator(matching, per_page)
    if not (search or bureau.pk is not None or measure.pk is not None or unread_only):
        # The figures above counted these rows already (the catalogue's, or one state's): no COUNT of its own.
        paginator.count = state_counts.get(state, 0) if state else sum(state_counts.values())
    paged = paginator.get_page(page)
    rows = queue_rows(cycle=cycle, categories=list(paged.object_list), user=user, extensions=extensions, now=now)
    return Queue(
        cycle=cycle, rows=rows, page=paged, count=paged.paginator.count, total=sum(state_counts.values()),
        state_counts=state_counts, late_bureaus=queue_late_bureaus(cycle=cycle, now=now, extensions=extensions),
        bureau=bureau, measure=measure, unread_count=unread_count, states=states_, sorts=queue_sorts(),
        selected_state=state, selected_sort=sort, search=search, unread_only=unread_only,
    )
