"""The final result: publish a cycle (its awards frozen as they read), reopen it (administrators only), and request its
bulletin."""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError, PermissionDeniedError
from nominations import phases
from nominations.locks import cycle_lists_lock, cycle_lock
from nominations.models import BEIJING, Cycle
from organisation import roles
from organisation.audit import AuditAction, audit_record
from organisation.tasks import outbox_queue

from ..bulletins import chinese_date
from ..models import Award, Bulletin, CycleReopening, Objection, StatisticsTally
from ..selectors import public as public_selectors
from ..tasks import bulletins_queue, public_pages_queue
from .common import _absolute_results, _phase_letters
from .notice import notice_running


def _freeze_awards(cycle: Cycle) -> int:
    """Keep, for each award not frozen yet, the titles, the support and the unit's name as they read now."""
    frozen = 0
    for award in (Award.objects.filter(cycle=cycle, published_unit_name="")
                  .select_related("category__measure", "unit__parent")):
        measure = award.category.measure
        award.published_measure_number, award.published_measure_title = measure.number, measure.title
        award.published_category_name = award.category.name
        award.published_category_description = award.category.description
        # The category's own support in the notice's words (its measure's forms where it has none).
        award.published_support_forms = list(award.category.support_forms or measure.support_forms)
        award.published_support_text = award.category.support_text
        award.published_unit_name = award.unit.display_name
        award.published_division_order = award.unit.division_order
        award.save(update_fields=["published_measure_number", "published_measure_title", "published_category_name",
                                  "published_category_description", "published_support_forms",
                                  "published_support_text", "published_unit_name",
                                  "published_division_order"])
        frozen += 1
    return frozen


def cycle_publish(*, actor, cycle: Cycle, now: datetime.datetime | None = None) -> Cycle:
    """Publish the final result after the public notice: refused while the notice runs or any objection is
    unsettled. Freezes every award as it reads, opens the results to the public, requests the bulletin and tells
    everyone concerned."""
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="publish", now=now)
        if notice_running(locked, now=now):
            raise DomainError(_("The public notice runs until %(day)s 23:59:59 Beijing time: the result can be "
                                "published after it.") % {"day": locked.notice_ends_on})
        unsettled = list(Objection.objects.filter(cycle=locked, status=Objection.Status.OPEN)
                         .values_list("receipt", flat=True))
        if unsettled:
            raise DomainError(_("%(count)s objection(s) are not settled: %(receipts)s.")
                              % {"count": len(unsettled), "receipts": "、".join(unsettled)})
        lists = cycle_lists_lock(locked)
        frozen = _freeze_awards(locked)
        document = locked.document
        awards = Award.objects.filter(cycle=locked).count()
        published_at = timezone.now()
        phases.cycle_transition(actor=actor, cycle=locked, name="publish", checked=checked, now=now,
                                data={"awards": awards, "lists": len(lists), "frozen": frozen},
                                published_at=published_at, published_by=actor,
                                published_document_title=locked.published_document_title or document.title,
                                published_document_number=locked.published_document_number or document.number)
        statistics_tally(cycle=locked)
        bulletin_request(cycle=locked, actor=actor)
        pending = _phase_letters(cycle=locked, kind="final", url=_absolute_results("cycle", locked), context={
            "year": locked.year, "count": awards,
            "published_on": chinese_date(timezone.localtime(published_at, BEIJING).date())})
        transaction.on_commit(lambda: outbox_queue(pending))
        # The statistics and the year's results under their new key, before the first visitor asks.
        transaction.on_commit(lambda: public_pages_queue(locked.pk))
    return locked


def statistics_tally(*, cycle: Cycle) -> int:
    """Store the published year's statistics (``StatisticsTally``), in the publication's transaction: the page
    reads them instead of counting every award and list again. Returns the number of rows written."""
    rows = public_selectors.statistics_tally_rows(cycle)
    with transaction.atomic():
        StatisticsTally.objects.filter(cycle=cycle).delete()
        StatisticsTally.objects.bulk_create(rows)
    return len(rows)


def cycle_reopen(*, actor, cycle: Cycle, reason: str) -> CycleReopening:
    """An administrator's recorded reopening of a published cycle (or of one on public notice); the results leave
    the public pages and decisions can change until the cycle goes through the public notice again."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError(_("Only an administrator may reopen a published cycle."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the cycle is reopened."), field="reason")
    with transaction.atomic():
        locked = cycle_lock(cycle.pk)
        if locked.state not in (Cycle.State.PUBLISHED, Cycle.State.NOTICE):
            raise DomainError(_("Only a published cycle can be reopened."))
        checked = phases.cycle_transition_check(actor=actor, cycle=locked, name="reopen")
        reopening = CycleReopening.objects.create(cycle=locked, reason=reason, reopened_by=actor,
                                                  was_published_at=locked.published_at)
        phases.cycle_transition(actor=actor, cycle=locked, name="reopen", checked=checked, message=reason,
                                data={"reopening": reopening.pk,
                                      "notice": [str(locked.notice_starts_on), str(locked.notice_ends_on)]},
                                published_at=None, published_by=None, notice_starts_on=None, notice_ends_on=None)
        StatisticsTally.objects.filter(cycle=locked).delete()  # the year leaves the statistics
        # The statistics without the year, under their new key.
        transaction.on_commit(lambda: public_pages_queue(locked.pk))
    return reopening


def bulletin_request(*, cycle, actor, printed_on: datetime.date | None = None) -> Bulletin:
    """Add a new version of the cycle's bulletin and queue its rendering once the transaction commits.

    ``actor`` is the reviewer who asked (or published the cycle); ``None`` for the system. ``printed_on`` is the
    printing date of the closing block (印发); without it, the date the version is rendered."""
    if actor is not None and not roles.is_reviewer(actor):
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))
    if printed_on is not None and not isinstance(printed_on, datetime.date):
        raise DomainError(_("The printing date is not a date."), field="printed_on")
    with transaction.atomic():
        version = (Bulletin.objects.filter(cycle=cycle).aggregate(v=Max("version"))["v"] or 0) + 1
        bulletin = Bulletin.objects.create(cycle=cycle, version=version, requested_by=actor, printed_on=printed_on)
        audit_record(actor=actor, action=AuditAction.BULLETIN_REQUESTED, target=cycle,
                     data={"version": version, "printed_on": printed_on.isoformat() if printed_on else None})
        # The version is the record of the work: if the broker is down, bulletins_resume queues it later.
        transaction.on_commit(lambda: bulletins_queue([bulletin.pk]))
    return bulletin
