"""The writes of the importers: each applies a valid plan in ONE transaction, or raises and writes nothing."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from incentives.errors import DomainError, PermissionDeniedError
from measures import permissions
from measures.models import (
    CategoryGroupObjectPermission,
    CategoryKind,
    IncentiveCategory,
    Measure,
    PolicyDocument,
    Responsibility,
)
from organisation.audit import audit_record
from organisation.models import Bureau, UnitKind
from organisation.roles import is_administrator

from .plan import CataloguePlan
from .subjects import STANDARD_KINDS


def check_importer(actor) -> None:
    """Only administrators import. ``actor=None`` is the command line, run by whoever may run manage.py."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDeniedError(_("Only administrators may import."))


def catalogue_import(*, actor, plan: CataloguePlan) -> PolicyDocument:
    """Write the measures, categories and responsibilities of a valid plan; create the document if the plan
    says so. Returns the document. Nothing is deleted."""
    check_importer(actor)
    if not plan.is_valid:
        raise DomainError(_("The file has errors; nothing was imported."))
    if not plan.has_changes and not (plan.create_bureaus and plan.unknown_bureaus):
        return plan.document  # an unchanged file changes nothing, not even the audit trail
    with transaction.atomic():
        if plan.new_document is not None:
            fields = dict(plan.new_document)
            if not fields.get("number"):
                raise DomainError(_("A new policy document needs its number, e.g. 穗府办〔2022〕30号."), field="number")
            if PolicyDocument.objects.filter(programme=plan.programme, number=fields["number"]).exists():
                raise DomainError(_("A policy document numbered %(number)s already exists.") % {"number": fields["number"]}, field="number")
            document = PolicyDocument.objects.create(
                programme=plan.programme, number=fields["number"], title=fields.get("title") or fields["number"], issuer=fields.get("issuer") or "",
                issued_on=_date(fields.get("issued_on")), printed_on=_date(fields.get("printed_on")),
                supersedes=fields.get("supersedes"), text=fields.get("text", ""), in_force=False)
        else:
            document = PolicyDocument.objects.select_for_update().get(pk=plan.document.pk)
        created_bureaus = _create_missing_bureaus(plan)
        UnitKind.objects.bulk_create([UnitKind(code=code, name=STANDARD_KINDS[code].name, order=STANDARD_KINDS[code].order)
                                      for code in plan.new_kinds])
        summary = _write_measures(document, plan, created_bureaus)
        audit_record(actor=actor, action="catalogue.imported", target=document,
                     message=_("Imported %(measures)s measures and %(categories)s categories.") % summary,
                     data={**plan.counts(), **summary, "created_bureaus": sorted(created_bureaus),
                           "created_kinds": list(plan.new_kinds)})
    return document


def _date(value):
    if not value:
        return None
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def _create_missing_bureaus(plan: CataloguePlan) -> dict[str, Bureau]:
    created: dict[str, Bureau] = {}
    if not plan.create_bureaus:
        return created
    for name in plan.unknown_bureaus:
        bureau = Bureau(programme=plan.programme, short_name=name, full_name=name, full_name_confirmed=False, order=900)
        bureau.save()  # the post_save signal gives it its group
        created[name] = bureau
    return created


def _write_measures(document: PolicyDocument, plan: CataloguePlan, created_bureaus: dict[str, Bureau]) -> dict:
    measures = {m.number: m for m in Measure.objects.filter(document=document)}
    categories = {(c.measure_id, c.code): c for c in IncentiveCategory.objects.filter(measure__document=document)}
    new_measures, changed_measures = [], []
    for spec in plan.measures:
        measure = measures.get(spec.number)
        values = {"numeral": spec.numeral, "title": spec.title, "responsibility_clause": spec.clause}
        for attribute in ("text", "support_forms", "support_text"):
            if getattr(spec, attribute) is not None:
                values[attribute] = getattr(spec, attribute)
        if measure is None:
            measure = Measure(document=document, number=spec.number, **values)
            measure.text = measure.text or ""
            new_measures.append(measure)
            measures[spec.number] = measure
        elif any(getattr(measure, k) != v for k, v in values.items() if not (k == "title" and not v)):
            for key, value in values.items():
                if not (key == "title" and not value):
                    setattr(measure, key, value)
            changed_measures.append(measure)
    Measure.objects.bulk_create(new_measures, batch_size=500)
    if changed_measures:
        Measure.objects.bulk_update(changed_measures, ["numeral", "title", "responsibility_clause", "text", "support_forms",
                                                       "support_text"], batch_size=500)
    # Categories: create the new ones, update the others; take their order past the existing ones first so the
    # (measure, order) constraint never sees two categories in one position during the update.
    new_categories, changed_categories = [], []
    touched: list[tuple[IncentiveCategory, object]] = []
    for spec in plan.measures:
        measure = measures[spec.number]
        for category_spec in spec.categories:
            category = categories.get((measure.pk, category_spec.code))
            if category is None:
                category = IncentiveCategory(measure=measure, code=category_spec.code, name=category_spec.name,
                                             order=category_spec.order, cap=category_spec.cap or 3,
                                             description=category_spec.description or "",
                                             kind=category_spec.kind or CategoryKind.SELECTION,
                                             support_forms=category_spec.support_forms
                                             if category_spec.support_forms is not None else list(spec.support_forms or []),
                                             # Without its own words, a new category starts with its measure's.
                                             support_text=category_spec.support_text or spec.support_text or "",
                                             award_amount=category_spec.award_amount,
                                             earned_by_higher_award=bool(category_spec.earned_by_higher_award))
                new_categories.append(category)
            else:
                category.name = category_spec.name or category.name
                category.order = category_spec.order
                if category_spec.cap is not None:
                    category.cap = category_spec.cap
                if category_spec.description is not None:
                    category.description = category_spec.description
                for attribute in ("kind", "support_forms", "support_text", "award_amount", "earned_by_higher_award"):
                    if getattr(category_spec, attribute) is not None:
                        setattr(category, attribute, getattr(category_spec, attribute))
                changed_categories.append(category)
            touched.append((category, category_spec))
    if changed_categories:
        # Move the existing categories out of the way first: (measure, order) is unique at every statement.
        IncentiveCategory.objects.filter(pk__in=[c.pk for c in changed_categories]).update(order=F("order") + 10_000)
    try:
        IncentiveCategory.objects.bulk_create(new_categories, batch_size=500)
        if changed_categories:
            IncentiveCategory.objects.bulk_update(changed_categories, ["name", "order", "cap", "description", "kind",
                                                                        "support_forms", "support_text", "award_amount",
                                                                        "earned_by_higher_award"],
                                                 batch_size=500)
    except IntegrityError as error:
        raise DomainError(_("The categories clash with categories the file does not mention: %(error)s") % {"error": error}) from None
    # Measure kinds (the union of their categories') and category kinds.
    measure_kinds: dict[int, set[str]] = {}
    category_kind_rows, category_ids_with_kinds = [], []
    for category, spec in touched:
        if spec.subject_kinds is None:
            continue
        category_ids_with_kinds.append(category.pk)
        measure_kinds.setdefault(category.measure_id, set()).update(spec.subject_kinds)
        category_kind_rows += [IncentiveCategory.subject_kinds.through(incentivecategory_id=category.pk, unitkind_id=kind)
                               for kind in spec.subject_kinds]
    if category_ids_with_kinds:
        IncentiveCategory.subject_kinds.through.objects.filter(incentivecategory_id__in=category_ids_with_kinds).delete()
        IncentiveCategory.subject_kinds.through.objects.bulk_create(category_kind_rows, batch_size=1000)
    if measure_kinds:
        Measure.subject_kinds.through.objects.filter(measure_id__in=list(measure_kinds)).delete()
        Measure.subject_kinds.through.objects.bulk_create(
            [Measure.subject_kinds.through(measure_id=measure_id, unitkind_id=kind)
             for measure_id, kinds in measure_kinds.items() for kind in sorted(kinds)], batch_size=1000)
    # Responsibilities: rewritten where they differ.
    existing = {}
    for responsibility in Responsibility.objects.filter(category_id__in=[c.pk for c, _s in touched]):
        existing.setdefault(responsibility.category_id, []).append(responsibility)
    rewrite, new_rows = [], []
    for category, spec in touched:
        wanted = []
        for name, bureau, role in spec.responsibilities:
            bureau = bureau or created_bureaus.get(name)
            wanted.append((bureau.pk, role))
        current = [(r.bureau_id, r.role) for r in sorted(existing.get(category.pk, []), key=lambda r: r.order)]
        if current != wanted:
            rewrite.append(category.pk)
            new_rows += [Responsibility(category=category, bureau_id=bureau_id, role=role, order=order)
                         for order, (bureau_id, role) in enumerate(wanted, start=1)]
    if rewrite:
        Responsibility.objects.filter(category_id__in=rewrite).delete()
        try:
            Responsibility.objects.bulk_create(new_rows, batch_size=1000)
        except IntegrityError as error:
            raise DomainError(_("The responsibilities break a rule of the catalogue: %(error)s") % {"error": error}) from None
        category_permissions_sync_many(rewrite)
    return {"measures": len(plan.measures), "categories": len(touched), "new_measures": len(new_measures),
            "new_categories": len(new_categories), "responsibilities_rewritten": len(rewrite)}


def category_permissions_sync_many(category_ids: list[int]) -> None:
    """``permissions.category_permissions_sync`` for many categories in a constant number of queries
    (bulk_create does not send the post_save signal that keeps them in step one by one)."""
    perms = permissions._category_permissions()
    groups: dict[int, int] = {}
    for bureau in Bureau.objects.filter(responsibilities__category_id__in=category_ids).distinct():
        groups[bureau.pk] = bureau.group_id or permissions.ensure_bureau_group(bureau).pk
    wanted = set()
    for category_id, bureau_id, role in Responsibility.objects.filter(category_id__in=category_ids).values_list("category_id", "bureau_id", "role"):
        codenames = [permissions.VIEW, permissions.COMMENT] + ([permissions.NOMINATE] if role in Responsibility.OWNER_ROLES else [])
        wanted.update((category_id, groups[bureau_id], perms[c].pk) for c in codenames)
    bureau_groups = Group.objects.filter(bureau__isnull=False)
    CategoryGroupObjectPermission.objects.filter(content_object_id__in=category_ids, group__in=bureau_groups).delete()
    CategoryGroupObjectPermission.objects.bulk_create(
        [CategoryGroupObjectPermission(content_object_id=c, group_id=g, permission_id=p) for c, g, p in wanted], batch_size=1000)
