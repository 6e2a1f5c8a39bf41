"""Reminders by e-mail and notifications in the application.

Who gets what
-------------
* **Deadline reminders.** For every open cycle, every category of its catalogue whose list is not submitted
  (no list yet, draft, returned) reminds the clerks of the bureau that owns it: the list's bureau, or, before a
  list exists, every owner (lead, separately or jointly responsible) of the category. A reminder goes out at
  each configured distance before the bureau's deadline (an extension counts), by default 30, 14, 7, 3 and 1
  days before and on the day. Distances are counted in Beijing calendar days. If the sweep did not run on the
  day itself (a machine was down), the next sweep sends the reminder of the distance it is in, so a reminder is
  late rather than lost; an older distance that a newer one has overtaken is not sent any more.
* **Overdue notice**, once, after the deadline has passed.
* **Returned list**: the bureau's clerks at once (queued by the return service, ``list_returned_notify``).
* **Reviewers' digest**: once a day, to every reviewer, the lists submitted and waiting for a decision.

Nothing is sent before ``ReminderSettings.send_from_hour`` (Beijing time), except a returned list.

Never twice, never lost
-----------------------
Every message is recorded in the outbox (``organisation.outbox``) under a key that names it — which kind, which
cycle and category (or list and return), which distance from the deadline, for whom — so a second sweep, a
second scheduler or a retried task records nothing new. The outbox claims, sends and retries.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from measures.models import IncentiveCategory, Responsibility
from organisation import roles
from organisation.audit import AuditAction, audit_trail_for
from organisation.models import Membership, OutboxMessage, default_programme_id
from organisation.outbox import Letter, outbox_due_ids, outbox_record, outbox_release_stale
from organisation.programmes import reviewer_programme_ids

from . import states
from .deadlines import beijing, bureau_deadline, deadline_passed
from .models import Cycle, Extension, NominationList, ReminderKind, ReminderSettings, ReminderTemplate

logger = logging.getLogger(__name__)

# The list's states in which its bureau still has something to do (and is reminded): where it can be edited.
STATES_TO_REMIND = states.states_allowing("edit")


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def list_url(cycle, category) -> str:
    """The bureau's page of the list to act on; the bureau's start page if that page does not exist."""
    try:
        return absolute_url(reverse("nominations:list", args=[cycle.year, category.pk]))
    except NoReverseMatch:
        return absolute_url(reverse("nominations:home"))


def format_deadline(moment: datetime.datetime) -> str:
    local = beijing(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@dataclasses.dataclass
class Planned:
    """A message the sweep decided someone should get; recorded unless its key already exists."""

    cycle: object
    kind: str
    offset: int
    recipient: object
    context: dict
    url: str
    category: object = None
    nomination_list: object = None
    bureau: object = None

    @property
    def key(self) -> str:
        """The outbox key: one message per (cycle, category, kind, offset, recipient); a digest has no category."""
        category = self.category.pk if self.category else "-"
        return f"reminder:{self.kind}:cycle{self.cycle.pk}:category{category}:offset{self.offset}:user{self.recipient.pk}"


@dataclasses.dataclass
class SweepResult:
    at: datetime.datetime
    recorded: list[OutboxMessage] = dataclasses.field(default_factory=list)
    already: int = 0
    due_ids: list[int] = dataclasses.field(default_factory=list)


# --- Wording -----------------------------------------------------------------------------------------------------

def _template_sources(kind: str) -> tuple[str, str]:
    row = ReminderTemplate.objects.filter(kind=kind, is_active=True).first()
    if row is not None:
        return row.subject, row.body
    engine = Engine.get_default()
    subject = engine.get_template(f"emails/{kind}_subject.txt").source
    body = engine.get_template(f"emails/{kind}.txt").source
    return subject, body


def message_render(kind: str, context: dict, *, sources: tuple[str, str] | None = None) -> tuple[str, str, str]:
    """Subject, plain text and HTML of one message, in Chinese, from the admin's template or the default files."""
    subject_source, body_source = sources or _template_sources(kind)
    engine = Engine.get_default()
    with translation.override("zh-hans"):
        plain = Context(context, autoescape=False)
        subject = " ".join(engine.from_string(subject_source).render(plain).split())[:255]
        text = engine.from_string(body_source).render(Context(context, autoescape=False)).strip() + "\n"
        html = render_to_string("emails/message.html", {"subject": subject, "text": text, "url": context.get("url", "")})
    return subject, text, html


# --- Planning: who should get what at a moment ---------------------------------------------------------------

def _reminder_settings(programme=None) -> ReminderSettings:
    return ReminderSettings.current(programme)


def _settings_by_programme(programme_ids) -> dict[int, ReminderSettings]:
    """Each programme's reminder settings (the unsaved defaults where it has no row), in one query."""
    ids = set(programme_ids)
    rows = {row.programme_id: row for row in ReminderSettings.objects.filter(programme_id__in=ids)}
    return {pk: rows.get(pk) or ReminderSettings(programme_id=pk) for pk in ids}


def _deadline_kind(deadline: datetime.datetime, at: datetime.datetime, offsets: list[int], overdue: bool):
    """(kind, offset) due at ``at`` for a bureau whose deadline is ``deadline``, or None."""
    if deadline_passed(deadline=deadline, now=at):
        return (ReminderKind.OVERDUE, -1) if overdue else None
    days_left = (beijing(deadline).date() - beijing(at).date()).days
    reached = [days for days in offsets if days >= days_left]
    if not reached:
        return None
    return ReminderKind.DEADLINE, min(reached)


def reminders_plan(*, at: datetime.datetime) -> list[Planned]:
    """Every deadline reminder, overdue notice and digest due at ``at`` (a fixed number of queries)."""
    cycles = list(Cycle.objects.filter(state__in=[Cycle.State.OPEN, Cycle.State.REVIEW], opens_at__lte=at)
                  .select_related("document"))
    if not cycles:
        return []
    # Each programme has its own settings: a cycle is swept by its programme's.
    configs = _settings_by_programme(cycle.programme_id for cycle in cycles)
    cycles = [cycle for cycle in cycles if beijing(at).hour >= configs[cycle.programme_id].send_from_hour]
    if not cycles:
        return []
    open_cycles = [cycle for cycle in cycles if cycle.state == Cycle.State.OPEN]
    lists = {(lst.cycle_id, lst.category_id): lst for lst in
             NominationList.objects.filter(cycle__in=cycles).select_related("bureau", "category")}
    extensions = defaultdict(dict)
    for ext in Extension.objects.filter(cycle__in=open_cycles):
        extensions[ext.cycle_id][ext.bureau_id] = ext.new_deadline
    categories = list(IncentiveCategory.objects.filter(measure__document__in={c.document_id for c in open_cycles})
                      .select_related("measure").order_by("measure__number", "order"))
    owners = defaultdict(list)
    for responsibility in (Responsibility.objects.filter(category__in=categories, role__in=Responsibility.OWNER_ROLES)
                           .select_related("bureau").order_by("order")):
        owners[responsibility.category_id].append(responsibility.bureau)
    clerks = defaultdict(list)
    for membership in (Membership.objects.filter(user__is_active=True).select_related("user")
                       .order_by("user__username")):
        clerks[membership.bureau_id].append(membership.user)
    planned: list[Planned] = []
    for cycle in open_cycles:
        config = configs[cycle.programme_id]
        offsets = config.offset_list
        for category in categories:
            if category.measure.document_id != cycle.document_id:
                continue
            nomination_list = lists.get((cycle.pk, category.pk))
            if nomination_list is not None and nomination_list.state not in STATES_TO_REMIND:
                continue
            bureaus = [nomination_list.bureau] if nomination_list is not None else owners.get(category.pk, [])
            for bureau in bureaus:
                deadline = bureau_deadline(cycle=cycle, bureau=bureau, extensions=extensions[cycle.pk])
                due = _deadline_kind(deadline, at, offsets, config.overdue_notice)
                if due is None:
                    continue
                kind, offset = due
                days_left = (beijing(deadline).date() - beijing(at).date()).days
                url = list_url(cycle, category)
                for user in clerks.get(bureau.pk, []):
                    planned.append(Planned(
                        cycle=cycle, kind=kind, offset=offset, recipient=user, category=category,
                        nomination_list=nomination_list, bureau=bureau, url=url,
                        context={
                            "recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                            "category": category, "measure": category.measure, "bureau": bureau,
                            "deadline": format_deadline(deadline), "days_left": max(days_left, 0),
                            "days_overdue": max(-days_left, 0), "state": _list_state_label(nomination_list),
                            "url": url,
                        },
                    ))

    digest_cycles = [cycle for cycle in cycles if configs[cycle.programme_id].reviewer_digest]
    if digest_cycles:
        planned.extend(_digest_plan(digest_cycles, lists, at))
    return planned


def _list_state_label(nomination_list) -> str:
    if nomination_list is None:
        return "尚未开始填报"
    return {"draft": "草稿（未报送）", "returned": "已退回补正（未重新报送）"}.get(nomination_list.state, nomination_list.state)


def _review_url(nomination_list) -> str:
    try:
        return absolute_url(reverse("reviews:list", args=[nomination_list.pk]))
    except NoReverseMatch:
        return ""


def _digest_plan(cycles, lists, at) -> list[Planned]:
    waiting = defaultdict(list)
    for nomination_list in lists.values():
        if nomination_list.state == NominationList.State.SUBMITTED:
            waiting[nomination_list.cycle_id].append(nomination_list)
    if not waiting:
        return []
    reviewers = list(get_user_model().objects.filter(is_active=True, groups__name=roles.REVIEWER).distinct()
                     .prefetch_related("reviewed_programmes").order_by("username"))
    default_id = default_programme_id()
    queue_url = absolute_url(reverse("reviews:queue"))
    planned = []
    for cycle in cycles:
        items = sorted(waiting.get(cycle.pk, []), key=lambda lst: (lst.submitted_at or at, lst.pk))
        if not items:
            continue
        cycle_reviewers = [user for user in reviewers
                           if cycle.programme_id in reviewer_programme_ids(user, default_id=default_id)]
        days_left = (beijing(cycle.deadline).date() - beijing(at).date()).days
        rows = [{"code": lst.category.code, "name": lst.category.name, "bureau": lst.bureau.short_name,
                 "submitted_at": format_deadline(lst.submitted_at) if lst.submitted_at else "",
                 "url": _review_url(lst)} for lst in items]
        for user in cycle_reviewers:
            planned.append(Planned(
                cycle=cycle, kind=ReminderKind.DIGEST, offset=days_left, recipient=user, url=queue_url,
                context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                         "lists": rows, "count": len(rows), "deadline": format_deadline(cycle.deadline),
                         "date": f"{beijing(at).year}年{beijing(at).month}月{beijing(at).day}日", "url": queue_url},
            ))
    return planned


# --- Recording -----------------------------------------------------------------------------------------------

def reminders_record(planned: list[Planned]) -> tuple[list[OutboxMessage], int]:
    """Record the planned messages in the outbox (each once). Returns (new messages, already recorded)."""
    sources: dict[str, tuple[str, str]] = {}
    letters = []
    for item in planned:
        if item.kind not in sources:
            sources[item.kind] = _template_sources(item.kind)
        subject, text, html = message_render(item.kind, item.context, sources=sources[item.kind])
        letters.append(Letter(key=item.key, kind=item.kind, recipient=item.recipient, subject=subject,
                              body_text=text, body_html=html, url=item.url))
    return outbox_record(letters, max_attempts=_reminder_settings().max_attempts)


def reminders_sweep(*, at: datetime.datetime | None = None) -> SweepResult:
    """Record every message due at ``at`` (now by default) and list the messages waiting to be sent.

    Sending is left to the caller (the outbox's deliver task for each id), so the beat task can queue one task
    per message and the management command can send them at once."""
    at = at or timezone.now()
    result = SweepResult(at=at)
    outbox_release_stale()
    result.recorded, result.already = reminders_record(reminders_plan(at=at))
    result.due_ids = outbox_due_ids()
    return result


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
