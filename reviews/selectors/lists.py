"""The reviewer's reads of cycles and of one list under review: who reviews, the cycles of the person's programmes, a list
with its nominees, a category, the exceptions to the cap and their requests, audit trails."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from measures.models import CapException, IncentiveCategory
from nominations.models import CapExceptionRequest, Cycle, ListComment, NominationList, Nominee
from organisation import access
from organisation.models import AuditEntry
from organisation.selectors import Trail, audit_trail

from ..models import CycleReopening


def cycle_list(user=None, action: str = "review") -> QuerySet[Cycle]:
    """Cycles the person may ``action`` when ``user`` is given (by default: review): the default programme's
    first, newest first."""
    # The notice's full text is not needed to pick a year (a province lists 200 of them).
    cycles = Cycle.objects.select_related("document", "programme").defer("document__text")
    if user is not None:
        cycles = access.restrict(cycles, user, action)
    return cycles.order_by("-programme__is_default", "programme__code", "-year")


def cycle_years(user, action: str = "review") -> list[tuple[int, int, int, str, str]]:
    """(pk, year, programme's id, code and name) of each cycle ``cycle_list`` gives, in its order: what a choice of
    years needs, without building every cycle of a province (one query)."""
    return list(cycle_list(user, action).values_list("pk", "year", "programme_id", "programme__code",
                                                     "programme__name"))


def cycle_get(*, year: int, user=None, programme_code: str | None = None, action: str = "review") -> Cycle:
    """The cycle of ``year`` in one of the person's programmes: the one with ``programme_code`` when given, else
    the first of theirs (the default programme first). DoesNotExist outside their programmes."""
    cycles = cycle_list(user, action).filter(year=year)
    if programme_code:
        cycles = cycles.filter(programme__code=programme_code)
    cycle = cycles.first()
    if cycle is None:
        raise Cycle.DoesNotExist
    return cycle


def nomination_list_for_review(*, user, pk: int) -> NominationList:
    """A list as the reviewer sees it, with nominees, their decisions, awards and evidence. Raises DoesNotExist
    for anyone but a reviewer of its programme, so that the view answers 404."""
    return (
        access.restrict(NominationList.objects.all(), user, "review")
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
    return (access.restrict(IncentiveCategory.objects.all(), user, "review")
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


def exception_request_get(*, user, pk) -> CapExceptionRequest:
    """A request of a programme the person reviews; ``NotYours`` otherwise."""
    return access.get(CapExceptionRequest.objects.select_related("nomination_list__cycle",
                                                                 "nomination_list__category__measure"),
                      user, "decide", pk=pk)


def cycle_audit_trail(cycle: Cycle, *, everything: bool = False) -> Trail:
    """The cycle's audit trail: its newest entries, or ``everything`` (one query, limited in the database)."""
    return audit_trail(audit_trail_for_many([cycle]), everything=everything)


def cycle_reopenings(cycle: Cycle) -> QuerySet[CycleReopening]:
    return cycle.reopenings.select_related("reopened_by")
