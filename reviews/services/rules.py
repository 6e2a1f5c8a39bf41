"""Implementation rules (实施办法): the General Office accepts filed rules or sends them back; the bureau is told."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives.errors import DomainError
from measures.models import ImplementationRules
from nominations import reminders
from nominations.deadlines import format_beijing
from nominations.models import ReminderKind
from organisation import access
from organisation.audit import AuditAction, audit_record
from organisation.tasks import outbox_queue


def _rules_decide(*, actor, rules: ImplementationRules, accepted: bool, reason: str) -> ImplementationRules:
    access.require(actor, "decide", rules)
    reason = (reason or "").strip()
    if not accepted and not reason:
        raise DomainError(_("Say why the rules are sent back."), field="reason")
    with transaction.atomic():
        locked = (ImplementationRules.objects.select_for_update(of=("self",))
                  .select_related("measure__document", "bureau").get(pk=rules.pk))
        if locked.state != ImplementationRules.State.SUBMITTED:
            raise DomainError(_("These rules have been reviewed already."))
        locked.state = ImplementationRules.State.ACCEPTED if accepted else ImplementationRules.State.RETURNED
        locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
        locked.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, action=AuditAction.RULES_ACCEPTED if accepted else AuditAction.RULES_RETURNED,
                     target=locked, message=reason,
                     data={"measure": locked.measure.number, "bureau": locked.bureau.short_name})
        messages = reminders.bureau_notify(
            bureau=locked.bureau, kind=ReminderKind.RULES_DECIDED, key=f"rules:decided:rules{locked.pk}",
            url=reminders.rules_url(locked.measure),
            context={"measure": locked.measure, "bureau": locked.bureau, "title": locked.title, "accepted": accepted,
                     "reason": reason, "date": format_beijing(locked.decided_at)[:10]})
        pending = [m.pk for m in messages if m.status == m.Status.PENDING]
        transaction.on_commit(lambda: outbox_queue(pending))
    return locked


def rules_accept(*, actor, rules: ImplementationRules, reason: str = "") -> ImplementationRules:
    """Accept filed implementation rules: they are the rules in force for the measure from today."""
    return _rules_decide(actor=actor, rules=rules, accepted=True, reason=reason)


def rules_return(*, actor, rules: ImplementationRules, reason: str) -> ImplementationRules:
    """Send filed implementation rules back, with the reasons; the bureau files again."""
    return _rules_decide(actor=actor, rules=rules, accepted=False, reason=reason)
