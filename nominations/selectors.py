"""Reads of cycles and lists scoped to a person. Anything outside a person's scope is not found (404)."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from incentives import roles
from incentives import selectors as incentive_selectors
from incentives.models import AuditEntry, Bureau, Unit
from measures.models import IncentiveCategory, Responsibility
from measures.selectors import categories_commentable_by, categories_editable_by, categories_visible_to

from .deadlines import deadline_passed, effective_deadline
from .models import Cycle, Evidence, Extension, ListComment, NominationList, Nominee


def cycle_current() -> Cycle | None:
    """The cycle bureaus work on: the latest open one, else the latest of all."""
    return Cycle.objects.filter(state=Cycle.State.OPEN).order_by("-year").first() or Cycle.objects.order_by("-year").first()


def cycle_by_year(*, year: int) -> Cycle:
    return Cycle.objects.select_related("document").get(year=year)


def bureaus_of(user) -> list[Bureau]:
    return list(incentive_selectors.bureaus_of(user))


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


def units_for_category(category: IncentiveCategory) -> QuerySet[Unit]:
    """The active units of the kinds the category rewards, in administrative order."""
    return (Unit.objects.filter(kind__in=category.subject_kinds.values("code"), is_active=True)
            .select_related("parent").order_by("division_order", "name"))


def lists_visible_to(user) -> QuerySet[NominationList]:
    return NominationList.objects.filter(category__in=categories_visible_to(user))


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

    @property
    def editable_now(self) -> bool:
        """The bureau may change the list now: owner, open cycle, draft/returned (or not yet created), on time."""
        state_ok = self.nomination_list is None or self.nomination_list.is_editable_state
        return (self.can_edit_category and self.cycle.state == Cycle.State.OPEN and state_ok
                and not self.deadline_passed)

    @property
    def withdrawable_now(self) -> bool:
        return (self.can_edit_category and self.cycle.state == Cycle.State.OPEN and self.nomination_list is not None
                and self.nomination_list.state == NominationList.State.SUBMITTED and not self.deadline_passed)


def list_access(user, *, year: int, category_id: int) -> ListAccess:
    """The cycle, the category and its list as ``user`` may see them; DoesNotExist when outside their scope."""
    cycle = cycle_by_year(year=year)
    category = (
        categories_visible_to(user, IncentiveCategory.objects.select_related("measure"))
        .prefetch_related(Prefetch("responsibilities", queryset=Responsibility.objects.select_related("bureau")),
                          "subject_kinds")
        .get(pk=category_id, measure__document=cycle.document_id)
    )
    nomination_list = (
        NominationList.objects.select_related("bureau", "created_by", "submitted_by")
        .prefetch_related(
            Prefetch("nominees", queryset=Nominee.objects.select_related("unit", "unit__parent").prefetch_related(
                Prefetch("evidence", queryset=Evidence.objects.order_by("uploaded_at", "id")))),
            Prefetch("comments", queryset=ListComment.objects.select_related("author", "bureau")),
        )
        .filter(cycle=cycle, category=category)
        .first()
    )
    bureau = nomination_list.bureau if nomination_list else owning_bureau(category, category.responsibilities.all())
    deadline = effective_deadline(cycle=cycle, bureau=bureau) if bureau else cycle.deadline
    return ListAccess(
        cycle=cycle,
        category=category,
        nomination_list=nomination_list,
        can_edit_category=can_edit_category(user, category),
        can_comment=can_comment_category(user, category),
        deadline=deadline,
        deadline_passed=deadline_passed(deadline=deadline),
    )


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
            cycle=cycle, category__in=[r.category_id for r in responsibilities]).select_related("bureau")}
        extensions = {e.bureau_id: e for e in Extension.objects.filter(cycle=cycle, bureau__in=bureaus)}
    pages = []
    for bureau in bureaus:
        deadline = effective_deadline(cycle=cycle, bureau=bureau, extensions=extensions) if cycle else None
        rows = [HomeRow(r.category, r, lists.get(r.category_id)) for r in responsibilities if r.bureau_id == bureau.pk]
        pages.append({
            "bureau": bureau,
            "deadline": deadline,
            "extension": extensions.get(bureau.pk),
            "deadline_passed": deadline_passed(deadline=deadline) if deadline else True,
            "rows": rows,
        })
    return pages


def evidence_for_download(user, *, token: str) -> Evidence:
    """An evidence file, only if the user may see its list."""
    return (
        Evidence.objects.select_related("nominee__nomination_list")
        .filter(nominee__nomination_list__in=lists_visible_to(user))
        .get(token=token)
    )


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


def is_reader_only(user) -> bool:
    return roles.is_reviewer(user) or roles.is_administrator(user)
