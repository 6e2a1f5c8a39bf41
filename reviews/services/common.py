"""What the review's services share: who may act, whether decisions may still change, and the letters of a change of the
year's phase (the public notice, the publication) to everyone concerned."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from incentives.errors import PermissionDeniedError
from measures.models import Responsibility
from nominations import reminders
from nominations.models import Cycle
from organisation import access, roles
from organisation.audit import AuditAction, audit_trail_for
from organisation.models import Programme
from organisation.outbox import Letter, outbox_record

from ..programmes import results_path

User = get_user_model()


def _require_reviewer(actor, **programme_lookup) -> None:
    """A General Office reviewer of the programme ``programme_lookup`` finds (e.g. ``cycles=cycle.pk``), asked of
    the door (``organisation.access``): a reviewer of another programme is told it does not exist."""
    who = access.person(actor)
    if not who.is_reviewer:
        raise PermissionDeniedError(_("Only General Office reviewers may do this."))
    if not who.reviewed_programmes.filter(**programme_lookup).exists():
        raise access.NotYours


def _concerned_people(cycle: Cycle) -> list:
    """Everyone a change of the year's phase concerns: the clerks of the bureaus responsible for the cycle's
    categories, and the reviewers. Active accounts, each once."""
    bureau_ids = (Responsibility.objects.filter(category__measure__document_id=cycle.document_id)
                  .values("bureau_id"))
    clerks = User.objects.filter(is_active=True, memberships__bureau_id__in=bureau_ids)
    # The reviewers of the cycle's programme (of the default one: also those listed in none).
    of_programme = Q(reviewed_programmes=cycle.programme_id)
    if cycle.programme.is_default:
        of_programme |= ~Exists(Programme.reviewers.through.objects.filter(user_id=OuterRef("pk")))
    reviewers = User.objects.filter(of_programme, is_active=True, groups__name=roles.REVIEWER)
    return list((clerks | reviewers).distinct().order_by("username"))


def _phase_letters(*, cycle: Cycle, kind: str, context: dict, url: str) -> list[int]:
    """Record the message of a phase change for everyone concerned, once per change; returns the ids to send."""
    occurrence = audit_trail_for(cycle).filter(
        action=AuditAction.CYCLE_NOTICE_STARTED if kind == "notice" else AuditAction.CYCLE_PUBLISHED).count()
    letters = []
    for person in _concerned_people(cycle):
        subject, text, html = reminders.message_render(
            kind, {**context, "recipient": person.get_full_name() or person.username, "url": url})
        letters.append(Letter(key=f"cycle:{cycle.pk}:{kind}:{occurrence}:user{person.pk}", kind=kind,
                              recipient=person, subject=subject, body_text=text, body_html=html, url=url))
    recorded, _already = outbox_record(letters)
    return [m.pk for m in recorded if m.status == m.Status.PENDING]


def _absolute_results(name: str, cycle: Cycle) -> str:
    """The public results page ``name`` of the cycle's programme."""
    return settings.SITE_URL.rstrip("/") + results_path(name, cycle.programme, cycle.year)
