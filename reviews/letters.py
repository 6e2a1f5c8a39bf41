"""The review's letters to the bureaus: a list returned for correction, the decisions on a list, the year's results
published, and a reviewer's reminder to the late bureaus.

Each is recorded in the outbox (``organisation.outbox``) under a key that names it, inside the transaction of the
change it tells of, so it is recorded with the change or not at all, and never twice; the wording, the addresses
and the recording are the reminders' (``nominations.reminders``)."""

from collections import defaultdict

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from measures.models import IncentiveCategory
from nominations.deadlines import beijing, bureau_deadline
from nominations.models import Extension, NominationList, ReminderKind
from nominations.reminders import (
    Planned,
    absolute_url,
    clerks_of,
    format_deadline,
    list_state_label,
    list_url,
    one_per_person,
    reminders_record,
)
from organisation.audit import AuditAction, audit_trail_for
from organisation.models import Membership, OutboxMessage


def list_returned_notify(*, list_id: int) -> list[OutboxMessage]:
    """Record the message telling the bureau's clerks that their list was returned (once per return).

    Called inside the return's own transaction, so the message is recorded with the return or not at all."""
    nomination_list = (NominationList.objects.select_related("cycle", "category__measure", "bureau")
                       .filter(pk=list_id).first())
    if nomination_list is None or nomination_list.state != NominationList.State.RETURNED:
        return []
    cycle = nomination_list.cycle
    url = list_url(cycle, nomination_list.category)
    # One message per return: the key's offset is the return's number (the n-th return in the list's audit
    # trail), which a second call finds unchanged even if the clerk has edited the list since.
    returns = audit_trail_for(nomination_list).filter(action=AuditAction.LIST_RETURNED).count()
    offset = returns or nomination_list.version
    clerks = [m.user for m in Membership.objects.filter(bureau=nomination_list.bureau, user__is_active=True)
              .select_related("user").order_by("user__username")]
    planned = [Planned(
        cycle=cycle, kind=ReminderKind.RETURNED, offset=offset, recipient=user,
        category=nomination_list.category, nomination_list=nomination_list, bureau=nomination_list.bureau, url=url,
        context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                 "category": nomination_list.category, "measure": nomination_list.category.measure,
                 "bureau": nomination_list.bureau, "return_reason": nomination_list.return_reason,
                 "deadline": format_deadline(cycle.deadline), "url": url},
    ) for user in clerks]
    recorded, _already = reminders_record(planned)
    return recorded

def late_bureaus_notify(*, cycle, late, sending: int) -> list[OutboxMessage]:
    """Record a reviewer's reminder to the late bureaus: one message per clerk of each bureau, listing all its late
    categories. ``late`` is [(bureau, [category codes])]; ``sending`` numbers the reviewer's reminders of the cycle
    (the key holds it, so each sending is recorded once). Called inside the service's transaction."""
    codes = {code for _bureau, bureau_codes in late for code in bureau_codes}
    by_code = {c.code: c for c in IncentiveCategory.objects.filter(measure__document_id=cycle.document_id, code__in=codes)
               .select_related("measure")}
    lists = {nl.category_id: nl for nl in NominationList.objects.filter(cycle=cycle, category__code__in=codes)}
    clerks = defaultdict(list)
    for membership in (Membership.objects.filter(bureau__in=[b for b, _codes in late], user__is_active=True)
                       .select_related("user").order_by("user__username")):
        clerks[membership.bureau_id].append(membership.user)
    extensions = {ext.bureau_id: ext.new_deadline for ext in Extension.objects.filter(cycle=cycle)}
    at = timezone.now()
    home = absolute_url(reverse("nominations:home"))
    planned = []
    for bureau, bureau_codes in late:
        items = [{"category": by_code[code], "measure": by_code[code].measure, "url": list_url(cycle, by_code[code]),
                  "state": list_state_label(lists.get(by_code[code].pk))} for code in bureau_codes if code in by_code]
        if not items:
            continue
        deadline = bureau_deadline(cycle=cycle, bureau=bureau, extensions=extensions)
        days_left = (beijing(deadline).date() - beijing(at).date()).days
        url = items[0]["url"] if len(items) == 1 else home
        for user in clerks.get(bureau.pk, []):
            planned.append(Planned(
                cycle=cycle, kind=ReminderKind.OVERDUE, offset=-1, recipient=user, category=items[0]["category"],
                bureau=bureau, url=url,
                key_override=f"reminder:overdue:cycle{cycle.pk}:bureau{bureau.pk}:sending{sending}:user{user.pk}",
                context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                         "category": items[0]["category"], "measure": items[0]["measure"], "bureau": bureau,
                         "categories": items, "count": len(items), "deadline": format_deadline(deadline),
                         "days_left": 0, "days_overdue": max(-days_left, 0), "state": items[0]["state"], "url": url},
            ))
    recorded, _already = reminders_record(planned)
    return recorded

def list_decided_notify(*, list_id: int) -> list[OutboxMessage]:
    """Tell the list's bureau the General Office's decision on each nominee, once per decision of the list (the
    n-th time it is decided). Called inside the decision's transaction."""
    nomination_list = (NominationList.objects.select_related("cycle", "category__measure", "bureau")
                       .filter(pk=list_id).first())
    if nomination_list is None or nomination_list.state != NominationList.State.DECIDED:
        return []
    cycle, category = nomination_list.cycle, nomination_list.category
    times = audit_trail_for(nomination_list).filter(action=AuditAction.LIST_DECIDED).count() or 1
    outcomes = [{"rank": n.rank, "unit": str(n.unit), "approved": n.decision.approved, "comment": n.decision.comment}
                for n in nomination_list.nominees.select_related("unit__parent", "decision").order_by("rank")
                if hasattr(n, "decision")]
    url = list_url(cycle, category)
    planned = [Planned(
        cycle=cycle, kind=ReminderKind.DECIDED, offset=times, recipient=user, category=category,
        nomination_list=nomination_list, bureau=nomination_list.bureau, url=url,
        key_override=f"notice:decided:list{nomination_list.pk}:time{times}:user{user.pk}",
        context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                 "category": category, "measure": category.measure, "bureau": nomination_list.bureau,
                 "outcomes": outcomes, "nothing_to_propose": nomination_list.nothing_to_propose, "url": url},
    ) for user in one_per_person(clerks_of([nomination_list.bureau_id]))]
    recorded, _already = reminders_record(planned)
    return recorded

def cycle_published_notify(*, cycle) -> list[OutboxMessage]:
    """Tell the clerks of every bureau with a list in the cycle that the year's results are published (once per
    publication). Called inside the publication's transaction."""
    times = audit_trail_for(cycle).filter(action=AuditAction.CYCLE_PUBLISHED).count() or 1
    bureau_ids = set(NominationList.objects.filter(cycle=cycle).values_list("bureau_id", flat=True))
    try:
        url = absolute_url(reverse("results:cycle", args=[cycle.year]))
    except NoReverseMatch:
        url = absolute_url(reverse("nominations:home"))
    planned = [Planned(
        cycle=cycle, kind=ReminderKind.PUBLISHED, offset=times, recipient=user, url=url,
        key_override=f"notice:published:cycle{cycle.pk}:time{times}:user{user.pk}",
        context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year, "url": url},
    ) for user in one_per_person(clerks_of(bureau_ids))]
    recorded, _already = reminders_record(planned)
    return recorded
