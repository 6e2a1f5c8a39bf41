"""Reads of the catalogue. The catalogue itself is open to every signed-in person; what a person may do with a
category (view its list, edit it, comment) is answered by ``categories_visible_to`` and friends."""

from django.db.models import Prefetch, QuerySet

from organisation import access
from organisation.models import Bureau, UnitKind

from .models import ImplementationRules, IncentiveCategory, Measure, PolicyDocument, Responsibility


def document_in_force(user=None) -> PolicyDocument | None:
    """The document in force: of the person's programmes when ``user`` is given (the default programme's first)."""
    documents = PolicyDocument.objects.filter(in_force=True)
    if user is not None:
        documents = access.restrict(documents, user)
    return documents.order_by("-programme__is_default", "-issued_on").first()


def _responsibilities_prefetch() -> Prefetch:
    return Prefetch("responsibilities", queryset=Responsibility.objects.select_related("bureau").order_by("order"))


def measure_list(*, document: PolicyDocument | None = None, bureau: Bureau | None = None,
                 kind: UnitKind | None = None) -> QuerySet[Measure]:
    """The measures of a document (the one in force by default), with categories and bureaus prefetched."""
    document = document or document_in_force()
    qs = Measure.objects.filter(document=document)
    if bureau is not None:
        qs = qs.filter(categories__responsibilities__bureau=bureau)
    if kind is not None:
        qs = qs.filter(categories__subject_kinds=kind)
    return (
        qs.distinct()
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=IncentiveCategory.objects.order_by("order").prefetch_related(_responsibilities_prefetch(), "subject_kinds"),
            ),
            "subject_kinds",
        )
    )


def measure_detail(*, pk: int, user=None) -> Measure:
    measures = Measure.objects.all() if user is None else access.restrict(Measure.objects.all(), user)
    return (
        measures.select_related("document")
        .prefetch_related(
            Prefetch(
                "categories",
                queryset=IncentiveCategory.objects.order_by("order").prefetch_related(_responsibilities_prefetch(), "subject_kinds"),
            ),
            "subject_kinds",
        )
        .get(pk=pk)
    )


def bureaus_with_responsibilities(*, document: PolicyDocument | None = None) -> QuerySet[Bureau]:
    document = document or document_in_force()
    return (
        Bureau.objects.filter(responsibilities__category__measure__document=document)
        .distinct()
        .order_by("order", "short_name")
    )


def categories_visible_to(user, base: QuerySet[IncentiveCategory] | None = None) -> QuerySet[IncentiveCategory]:
    """Categories whose lists the user may read: their bureaus' (any role); reviewers and administrators: all of
    their programmes' (the rule: ``measures.access``)."""
    return access.restrict(base if base is not None else IncentiveCategory.objects.all(), user, "view")


def categories_editable_by(user, base: QuerySet[IncentiveCategory] | None = None) -> QuerySet[IncentiveCategory]:
    """Categories whose lists the user may prepare: those their bureaus lead, run separately or jointly."""
    return access.restrict(base if base is not None else IncentiveCategory.objects.all(), user, "nominate")


def categories_commentable_by(user, base: QuerySet[IncentiveCategory] | None = None) -> QuerySet[IncentiveCategory]:
    return access.restrict(base if base is not None else IncentiveCategory.objects.all(), user, "comment")


def rules_in_force(measure: Measure) -> list[ImplementationRules]:
    """The implementation rules in force for a measure: each responsible bureau's last accepted filing (one query)."""
    latest: dict[int, ImplementationRules] = {}
    for filing in (ImplementationRules.objects.filter(measure=measure, state=ImplementationRules.State.ACCEPTED)
                   .select_related("bureau").order_by("-decided_at", "-id")):
        latest.setdefault(filing.bureau_id, filing)
    return list(latest.values())
