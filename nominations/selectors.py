"""Reads of cycles and lists scoped to a person. Anything outside a person's scope is not found (404)."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat

from measures import limits, permissions
from measures.models import ImplementationRules, IncentiveCategory, Measure, Responsibility
from measures.selectors import categories_commentable_by, categories_editable_by
from organisation import access, roles
from organisation import selectors as organisation_selectors
from organisation.models import AuditEntry, Bureau, Unit, default_programme_id
from organisation.permissions import COMMENT, NOMINATE, VIEW

from . import phases, states
from .deadlines import bureau_deadline, deadline_passed, rules_deadline
from .models import CapExceptionRequest, Cycle, Evidence, Extension, ListComment, NominationList, Nominee


def cycle_for_bureaus(user=None) -> Cycle | None:
    """The cycle bureaus work on: the latest open one, else the latest of all; of the person's programmes when
    ``user`` is given (the default programme's first)."""
    cycles = Cycle.objects.all() if user is None else access.restrict(Cycle.objects.all(), user)
    cycles = cycles.order_by("-programme__is_default", "-year")
    return cycles.filter(state=Cycle.State.OPEN).first() or cycles.first()


def open_cycles_for_bureaus(user, *, programme_id: int | None) -> list[Cycle]:
    """Every open cycle of the programme the person works in, the one whose deadline comes first first (two years
    can be open at once: last year's lists closing while the new year starts)."""
    if programme_id is None:
        return []
    return list(access.restrict(Cycle.objects.all(), user).filter(programme_id=programme_id, state=Cycle.State.OPEN)
                .select_related("document", "programme").order_by("deadline", "year"))


YEARS_PER_PAGE = 10  # the clerk's home links this many years at a time, newest first
MAX_YEARS_PAGE = 100_000  # beyond it a page number is a typing mistake (and an offset the database refuses)


@dataclass
class YearsPage:
    """One page of a programme's years (``?years=N``): (year, state) newest first, and whether there are newer or
    older ones."""

    number: int
    years: list[tuple[int, str]]
    has_newer: bool
    has_older: bool


def cycle_years_page(*, programme_id: int | None = None, number: int = 1,
                     per_page: int = YEARS_PER_PAGE) -> YearsPage | None:
    """Page ``number`` (from 1) of the programme's years, newest first, in one query (one row more than the page
    tells whether older years follow); None for a page past the last (the first page always exists)."""
    if programme_id is None:
        programme_id = default_programme_id()
    if not 1 <= number <= MAX_YEARS_PAGE:
        return None
    start = (number - 1) * per_page
    rows = list(Cycle.objects.filter(programme_id=programme_id).order_by("-year")
                .values_list("year", "state")[start:start + per_page + 1])
    if not rows and number > 1:
        return None
    return YearsPage(number=number, years=rows[:per_page], has_newer=number > 1, has_older=len(rows) > per_page)


def comments_for_bureaus(user, *, cycle: Cycle | None, bureaus, limit: int = 5) -> list[ListComment]:
    """The latest comments others wrote on the lists of ``bureaus`` (the user's, as ``bureau_home`` read them
    through the door) in ``cycle`` (one query). By their ids: joined through the memberships, the query made
    PostgreSQL plan eight tables, 7 ms at a province's size."""
    if cycle is None:
        return []
    return list(ListComment.objects.filter(nomination_list__cycle=cycle,
                                           nomination_list__bureau_id__in=[bureau.pk for bureau in bureaus])
                .exclude(author=user).select_related("author", "bureau", "nomination_list__category__measure")
                .order_by("-created_at", "-id")[:limit])


def cycle_by_year(*, year: int, programme_id: int | None = None) -> Cycle:
    """The programme's cycle of ``year`` (the default programme's when none is given)."""
    if programme_id is None:
        programme_id = default_programme_id()
    return Cycle.objects.select_related("document", "programme").get(year=year, programme_id=programme_id)


def bureaus_of(user) -> list[Bureau]:
    return list(organisation_selectors.bureaus_of(user))


def owning_bureau(category: IncentiveCategory, responsibilities=None) -> Bureau | None:
    """The bureau that prepares the category's list: the lead or separately responsible one, else the first joint."""
    rows = list(responsibilities if responsibilities is not None
                else category.responsibilities.select_related("bureau").order_by("order"))
    rows.sort(key=lambda r: r.order)
    for role_set in ((Responsibility.Role.LEAD, Responsibility.Role.SEPARATE), (Responsibility.Role.JOINT,)):
        for row in rows:
            if row.role in role_set:
                return row.bureau
    return None


def units_for_category(category: IncentiveCategory, *, programme_id: int) -> QuerySet[Unit]:
    """The programme's active units of the kinds the category rewards (their main kind or any other kind they
    also are), in administrative order."""
    kinds = category.subject_kinds.values("code")
    also = Unit.other_kinds.through.objects.filter(unitkind_id__in=kinds).values("unit_id")
    return (Unit.objects.filter(Q(kind__in=kinds) | Q(pk__in=also), is_active=True, programme_id=programme_id)
            .select_related("parent").order_by("division_order", "name"))


CHOOSER_LIMIT = 20  # the unit chooser's matches for one typed text


def unit_label(unit: Unit) -> str:
    """The unit as the chooser shows it and the editor accepts it typed: its parent's name, then its own (a
    street's ``str``; it tells apart two units of one name under different parents). Select ``parent``."""
    return f"{unit.parent.name}{unit.name}" if unit.parent_id else unit.name


def units_matching(category: IncentiveCategory, *, programme_id: int, text: str,
                   limit: int = CHOOSER_LIMIT) -> list[Unit]:
    """The unit chooser's answer: at most ``limit`` units the category may reward whose name, full name or name
    under its parent's contains ``text``, those whose name starts with it first (one query)."""
    text = text.strip()[:100]
    units = units_for_category(category, programme_id=programme_id)
    if text:
        units = (units.annotate(label=Concat(Coalesce("parent__name", Value("")), "name"))
                 .filter(Q(label__icontains=text) | Q(full_name__icontains=text))
                 .annotate(starts=Case(When(name__istartswith=text, then=Value(0)), default=Value(1)))
                 .order_by("starts", "division_order", "name", "pk"))
    return list(units[:limit])


@dataclass
class UnitResolution:
    """What the editor's typed units and chosen ids came to: the units found by id, and for each typed text the
    units it names (none, one, or several when the text is ambiguous)."""

    by_id: dict[int, Unit]
    by_text: dict[str, list[Unit]]


def units_resolve(category: IncentiveCategory, *, programme_id: int, ids=(), texts=()) -> UnitResolution:
    """The units the editor's rows name, among those the category may reward: by id (the chooser's choice) or by
    the text typed (a name under its parent's as shown, a name, or a full name, compared exactly). One query."""
    ids = {int(i) for i in ids}
    texts = {t.strip() for t in texts if t and t.strip()}
    if not ids and not texts:
        return UnitResolution(by_id={}, by_text={})
    units = units_for_category(category, programme_id=programme_id).annotate(
        label=Concat(Coalesce("parent__name", Value("")), "name"))
    found = list(units.filter(Q(pk__in=ids) | Q(label__in=texts) | Q(name__in=texts) | Q(full_name__in=texts)))
    by_text: dict[str, list[Unit]] = {text: [] for text in texts}
    for unit in found:
        for text in {unit.label, unit.name, unit.full_name} & texts:
            by_text[text].append(unit)
    # A text that is some unit's label exactly names that unit, whatever other units are called by their name.
    for text, matches in by_text.items():
        exact = [u for u in matches if u.label == text]
        if exact:
            by_text[text] = exact
    return UnitResolution(by_id={u.pk: u for u in found if u.pk in ids}, by_text=by_text)


def lists_visible_to(user) -> QuerySet[NominationList]:
    return access.restrict(NominationList.objects.all(), user)


def can_edit_category(user, category: IncentiveCategory) -> bool:
    return categories_editable_by(user).filter(pk=category.pk).exists()


def can_comment_category(user, category: IncentiveCategory) -> bool:
    return categories_commentable_by(user).filter(pk=category.pk).exists()


@dataclass
class ListAccess:
    """What one person may do with one category's list in one cycle."""

    cycle: Cycle
    category: IncentiveCategory
    nomination_list: NominationList | None
    can_edit_category: bool
    can_comment: bool
    deadline: object
    deadline_passed: bool
    list_length: int
    is_reviewer: bool = False
    files_readable: bool = True  # links to the evidence files (not for the administrators' roles alone)
    user: object = None

    @property
    def sign_off_required(self) -> bool:
        """The programme requires the leader's sign-off (签发) of its lists (``cycle.programme`` is loaded)."""
        return self.cycle.programme.sign_off_required

    @property
    def leads(self) -> bool:
        """The person leads the list's bureau: the list is theirs to sign off (asked only of a list waiting for
        it, so no other page pays the query)."""
        nl = self.nomination_list
        return (nl is not None and nl.state == states.ListState.AWAITING_SIGN_OFF
                and nl.bureau_id in access.person(self.user).led_bureau_ids)

    @property
    def state(self) -> str:
        return self.nomination_list.state if self.nomination_list else states.STATE_OF_NO_LIST

    @property
    def transitions(self) -> set[str]:
        """What this person may do with the list now, from the state table (nominations.states)."""
        return states.transitions_open_to(
            state=self.state, is_owner=self.can_edit_category, is_reviewer=self.is_reviewer,
            lists_open=phases.phase_allows(self.cycle, phases.Change.LISTS),
            decisions_open=phases.phase_allows(self.cycle, phases.Change.DECISIONS),
            deadline_passed=self.deadline_passed, is_leader=self.leads, sign_off=self.sign_off_required)

    @property
    def editable_now(self) -> bool:
        return "edit" in self.transitions

    @property
    def withdrawable_now(self) -> bool:
        return self.nomination_list is not None and "withdraw" in self.transitions

    @property
    def signable_now(self) -> bool:
        return self.nomination_list is not None and "sign_off" in self.transitions


def list_access(user, *, year: int, category_id: int) -> ListAccess:
    """The cycle, the category and its list as ``user`` may see them; DoesNotExist when outside their scope. The
    year is the category's programme's (its document's)."""
    cycle = (Cycle.objects.select_related("document", "programme")
             .get(year=year, programme__documents__measures__categories__pk=category_id))
    category = (
        IncentiveCategory.objects.select_related("measure")
        .annotate(exception_limit=limits.exception_limit_annotation(year=cycle.year))
        .prefetch_related(Prefetch("responsibilities", queryset=Responsibility.objects.select_related("bureau")),
                          "subject_kinds")
        .get(pk=category_id, measure__document=cycle.document_id)
    )
    # The person's rights on the category in one query (what categories_visible_to and friends would answer).
    granted = permissions.rights(user, category)
    if VIEW not in granted:
        raise IncentiveCategory.DoesNotExist
    # The one list of the cycle and category (their pair is unique): no order needed. The models' default orders
    # reach through the cycle, the category, its measure and document (eight tables for PostgreSQL to plan, 4 ms);
    # a list's nominees are ordered by rank alone.
    nomination_list = (
        NominationList.objects.select_related("bureau", "created_by", "submitted_by")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related("unit", "unit__parent", "decision")
                     .order_by("nomination_list_id", "rank").prefetch_related(
                         Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "id")))),
            Prefetch("comments", queryset=ListComment.objects.select_related("author", "bureau")),
        )
        .filter(cycle=cycle, category=category).order_by()[:1]
    )
    nomination_list = nomination_list[0] if nomination_list else None
    bureau = nomination_list.bureau if nomination_list else owning_bureau(category, category.responsibilities.all())
    deadline = bureau_deadline(cycle=cycle, bureau=bureau) if bureau else cycle.deadline
    return ListAccess(
        cycle=cycle,
        category=category,
        nomination_list=nomination_list,
        can_edit_category=NOMINATE in granted,
        can_comment=COMMENT in granted,
        deadline=deadline,
        deadline_passed=deadline_passed(deadline=deadline),
        list_length=limits.list_length(category=category, year=cycle.year,
                                       held=len(nomination_list.nominees.all()) if nomination_list else 0),
        is_reviewer=roles.is_reviewer(user),
        files_readable=access.opens_programme_files(access.person(user)),
        user=user,
    )


def lists_to_sign_off(user) -> list[NominationList]:
    """The lists waiting for the person's sign-off (签发): those of the bureaus they lead. One query."""
    return list(access.restrict(NominationList.objects.all(), user, "sign_off")
                .filter(state=states.ListState.AWAITING_SIGN_OFF)
                .select_related("cycle", "category__measure", "bureau", "submitted_by")
                .order_by("-cycle__year", "category__measure__number", "category__order"))


@dataclass
class HomeRow:
    category: IncentiveCategory
    responsibility: Responsibility
    nomination_list: NominationList | None

    @property
    def can_edit(self) -> bool:
        return self.responsibility.can_edit


def bureau_home(user, *, cycle: Cycle | None) -> list[dict]:
    """For each of the user's bureaus: its categories (any role), its deadline and its lists in ``cycle``."""
    bureaus = bureaus_of(user)
    if not bureaus:
        return []
    document_id = cycle.document_id if cycle else None
    responsibilities = list(
        Responsibility.objects.filter(bureau__in=bureaus)
        .filter(**({"category__measure__document_id": document_id} if document_id else {"category__measure__document__in_force": True}))
        .select_related("category", "category__measure")
        .order_by("category__measure__number", "category__order")
    )
    lists = {}
    extensions = {}
    if cycle is not None:
        lists = {nl.category_id: nl for nl in NominationList.objects.filter(
            cycle=cycle, category__in=[r.category_id for r in responsibilities]).select_related("bureau").order_by()}
        extensions = {e.bureau_id: e for e in Extension.objects.filter(cycle=cycle, bureau__in=bureaus)}
    new_deadlines = {bureau_id: e.new_deadline for bureau_id, e in extensions.items()}
    pages = []
    for bureau in bureaus:
        deadline = bureau_deadline(cycle=cycle, bureau=bureau, extensions=new_deadlines) if cycle else None
        rows = [HomeRow(r.category, r, lists.get(r.category_id)) for r in responsibilities if r.bureau_id == bureau.pk]
        pages.append({
            "bureau": bureau,
            "deadline": deadline,
            "extension": extensions.get(bureau.pk),
            "deadline_passed": deadline_passed(deadline=deadline) if deadline else True,
            "rows": rows,
            "pays_funds": bureau.pk == bureau.programme.finance_bureau_id,
            "keeps_register": any(r.category.earned_by_higher_award for r in responsibilities if r.bureau_id == bureau.pk),
        })
    return pages


def evidence_for_download(user, *, token: str) -> Evidence:
    """An evidence file, only if the user may see its list."""
    return access.get(Evidence.objects.select_related("nominee__nomination_list"), user, token=token)


def list_history(nomination_list: NominationList) -> QuerySet[AuditEntry]:
    """The list's audit trail, with the General Office's extension for its bureau in its cycle (one query)."""
    list_type = ContentType.objects.get_for_model(NominationList)
    extension_type = ContentType.objects.get_for_model(Extension)
    extension_ids = Extension.objects.filter(cycle_id=nomination_list.cycle_id, bureau_id=nomination_list.bureau_id).values("pk")
    return (
        AuditEntry.objects.filter(Q(target_type=list_type, target_id=nomination_list.pk)
                                  | Q(target_type=extension_type, target_id__in=extension_ids))
        .select_related("actor")
        .order_by("-at", "-id")
    )


# --- requests for an exception, implementation rules --------------------------------------------------------------


def exception_requests(nomination_list: NominationList) -> list[CapExceptionRequest]:
    """The list's requests for an exception to the cap, newest first (one query)."""
    return list(CapExceptionRequest.objects.filter(nomination_list=nomination_list)
                .select_related("requested_by", "decided_by").order_by("-requested_at", "-id"))


def rules_measure(pk: int) -> Measure:
    return Measure.objects.select_related("document").get(pk=pk)


def rules_due(measure: Measure):
    """When the measure's implementation rules are due (its document's date, Beijing time), or None."""
    return rules_deadline(measure.document)


def rules_filings(*, measure: Measure, bureaus) -> list[ImplementationRules]:
    return list(ImplementationRules.objects.filter(measure=measure, bureau__in=bureaus)
                .select_related("bureau", "submitted_by", "decided_by").order_by("-submitted_at", "-id"))


def rules_for_download(user, *, token: str) -> ImplementationRules:
    """A filing by its token: accepted ones to anyone signed in and active; others to the bureau that filed them
    and to reviewers. Anything else does not exist."""
    return access.get(ImplementationRules.objects.select_related("measure"), user, token=token)
