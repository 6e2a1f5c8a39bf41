"""Bulletins (通报): requesting a render and rendering the PDF."""

from django.db import transaction
from django.db.models import Max

from incentives.audit import audit_record

from .models import Bulletin


def bulletin_request(*, cycle, actor) -> Bulletin:
    """Add a new version of the cycle's bulletin and queue its rendering once the transaction commits."""
    from .tasks import bulletin_render

    with transaction.atomic():
        version = (Bulletin.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"] or 0) + 1
        bulletin = Bulletin.objects.create(cycle=cycle, version=version, requested_by=actor)
        audit_record(actor=actor, action="bulletin.request", target=cycle, data={"version": version})
        transaction.on_commit(lambda: bulletin_render.delay(bulletin.pk))
    return bulletin
