"""Changes to the catalogue made by a person in the admin: one function per change, which checks who acts,
writes in one transaction together with its audit record. A responsibility changes who may see and prepare a
category's list (``measures.signals`` rewrites the permissions); a cap changes how many may be awarded."""

from django.db import transaction
from django.utils.translation import gettext as _

from incentives.errors import PermissionDeniedError
from organisation import roles
from organisation.audit import AuditAction, audit_record

from .models import IncentiveCategory, Responsibility


def _require_administrator(actor) -> None:
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator can change the catalogue."))


def category_save(*, actor, category: IncentiveCategory) -> IncentiveCategory:
    """Save a category edited in the admin; a change of its cap is recorded."""
    _require_administrator(actor)
    with transaction.atomic():
        before = (IncentiveCategory.objects.filter(pk=category.pk).values_list("cap", flat=True).first()
                  if category.pk else None)
        category.save()
        if before is not None and before != category.cap:
            audit_record(actor=actor, action=AuditAction.CATEGORY_CAP_CHANGED, target=category,
                         message=f"{before} → {category.cap}", data={"before": before, "after": category.cap})
    return category


def responsibility_save(*, actor, responsibility: Responsibility) -> Responsibility:
    """Add or change a bureau's responsibility for a category (its rights follow: ``measures.signals``)."""
    _require_administrator(actor)
    with transaction.atomic():
        before = (Responsibility.objects.filter(pk=responsibility.pk).values("bureau_id", "role").first()
                  if responsibility.pk else None)
        responsibility.save()
        after = {"bureau_id": responsibility.bureau_id, "role": responsibility.role}
        if before != after:
            audit_record(actor=actor, action=AuditAction.RESPONSIBILITY_SAVED, target=responsibility.category,
                         message=str(responsibility), data={"before": before, "after": after})
    return responsibility


def responsibility_remove(*, actor, responsibility: Responsibility) -> None:
    _require_administrator(actor)
    with transaction.atomic():
        category, text = responsibility.category, str(responsibility)
        data = {"bureau_id": responsibility.bureau_id, "role": responsibility.role}
        responsibility.delete()
        audit_record(actor=actor, action=AuditAction.RESPONSIBILITY_REMOVED, target=category, message=text, data=data)
