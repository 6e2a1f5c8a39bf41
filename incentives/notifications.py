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
Every message is first recorded as a ``ReminderDelivery`` row whose key is unique in the database; a second
sweep (or a second scheduler, or a retried task) finds the row and records nothing. The in-app notification is
created in the same transaction as the row. A sender claims a row with one conditional UPDATE
(pending → sending); only the winner sends, and marks it sent afterwards. A failed send goes back to pending
with an exponential backoff and, after ``max_attempts``, stays failed where administrators see it (admin,
"reminder deliveries") and can send it again. A claim left by a worker that died while sending is returned to
pending after ``STALE_CLAIM``: a message is therefore sent twice only if a process dies in the instant between
the mail server's acceptance and the UPDATE that records it; the Message-ID is derived from the row, so mail
clients merge even that copy.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from . import roles
from .audit import audit_record, audit_trail_for
from .errors import PermissionDeniedError
from .models import (
    Membership,
    Notification,
    ReminderDelivery,
    ReminderKind,
    ReminderSettings,
    ReminderTemplate,
)

logger = logging.getLogger(__name__)

STALE_CLAIM = datetime.timedelta(minutes=10)
RETURN_ACTION = "nomination_list.return"  # recorded by reviews.services.nomination_list_return
BACKOFF_BASE = datetime.timedelta(minutes=2)
BACKOFF_MAX = datetime.timedelta(hours=6)


def beijing(moment: datetime.datetime) -> datetime.datetime:
    from nominations.models import BEIJING

    return timezone.localtime(moment, BEIJING)


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
    def key(self) -> tuple:
        return (self.cycle.pk, self.category.pk if self.category else None, self.kind, self.offset, self.recipient.pk)


@dataclasses.dataclass
class SweepResult:
    at: datetime.datetime
    recorded: list[ReminderDelivery] = dataclasses.field(default_factory=list)
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

def _reminder_settings() -> ReminderSettings:
    return ReminderSettings.current()


def _deadline_kind(deadline: datetime.datetime, at: datetime.datetime, offsets: list[int], overdue: bool):
    """(kind, offset) due at ``at`` for a bureau whose deadline is ``deadline``, or None."""
    if at > deadline:
        return (ReminderKind.OVERDUE, -1) if overdue else None
    days_left = (beijing(deadline).date() - beijing(at).date()).days
    reached = [days for days in offsets if days >= days_left]
    if not reached:
        return None
    return ReminderKind.DEADLINE, min(reached)


def reminders_plan(*, at: datetime.datetime) -> list[Planned]:
    """Every deadline reminder, overdue notice and digest due at ``at`` (a fixed number of queries)."""
    from measures.models import IncentiveCategory, Responsibility
    from nominations.models import Cycle, Extension, NominationList

    config = _reminder_settings()
    if beijing(at).hour < config.send_from_hour:
        return []
    offsets = config.offset_list
    cycles = list(Cycle.objects.filter(state__in=[Cycle.State.OPEN, Cycle.State.CLOSED], opens_at__lte=at)
                  .select_related("document"))
    if not cycles:
        return []
    open_cycles = [cycle for cycle in cycles if cycle.state == Cycle.State.OPEN]
    lists = {(lst.cycle_id, lst.category_id): lst for lst in
             NominationList.objects.filter(cycle__in=cycles).select_related("bureau", "category")}
    extensions = {(ext.cycle_id, ext.bureau_id): ext.new_deadline for ext in Extension.objects.filter(cycle__in=open_cycles)}
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
        for category in categories:
            if category.measure.document_id != cycle.document_id:
                continue
            nomination_list = lists.get((cycle.pk, category.pk))
            if nomination_list is not None and not nomination_list.is_editable_state:
                continue
            bureaus = [nomination_list.bureau] if nomination_list is not None else owners.get(category.pk, [])
            for bureau in bureaus:
                deadline = extensions.get((cycle.pk, bureau.pk), cycle.deadline)
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

    if config.reviewer_digest:
        planned.extend(_digest_plan(cycles, lists, at))
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
        if nomination_list.state == "submitted":
            waiting[nomination_list.cycle_id].append(nomination_list)
    if not waiting:
        return []
    reviewers = list(get_user_model().objects.filter(is_active=True, groups__name=roles.REVIEWER).distinct().order_by("username"))
    queue_url = absolute_url(reverse("reviews:queue"))
    planned = []
    for cycle in cycles:
        items = sorted(waiting.get(cycle.pk, []), key=lambda lst: (lst.submitted_at or at, lst.pk))
        if not items:
            continue
        days_left = (beijing(cycle.deadline).date() - beijing(at).date()).days
        rows = [{"code": lst.category.code, "name": lst.category.name, "bureau": lst.bureau.short_name,
                 "submitted_at": format_deadline(lst.submitted_at) if lst.submitted_at else "",
                 "url": _review_url(lst)} for lst in items]
        for user in reviewers:
            planned.append(Planned(
                cycle=cycle, kind=ReminderKind.DIGEST, offset=days_left, recipient=user, url=queue_url,
                context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                         "lists": rows, "count": len(rows), "deadline": format_deadline(cycle.deadline),
                         "date": f"{beijing(at).year}年{beijing(at).month}月{beijing(at).day}日", "url": queue_url},
            ))
    return planned


# --- Recording -----------------------------------------------------------------------------------------------

def _existing_keys(planned: list[Planned]) -> set[tuple]:
    if not planned:
        return set()
    rows = ReminderDelivery.objects.filter(
        cycle_id__in={p.cycle.pk for p in planned}, kind__in={p.kind for p in planned},
        offset__in={p.offset for p in planned}, recipient_id__in={p.recipient.pk for p in planned},
    ).values_list("cycle_id", "category_id", "kind", "offset", "recipient_id")
    return set(rows)


def reminders_record(planned: list[Planned]) -> tuple[list[ReminderDelivery], int]:
    """Record the planned messages not recorded yet, each with its in-app notification. Returns (new rows, skipped)."""
    existing = _existing_keys(planned)
    sources: dict[str, tuple[str, str]] = {}
    recorded, already = [], 0
    for item in planned:
        if item.key in existing:
            already += 1
            continue
        if item.kind not in sources:
            sources[item.kind] = _template_sources(item.kind)
        subject, text, html = message_render(item.kind, item.context, sources=sources[item.kind])
        email = (item.recipient.email or "").strip()
        try:
            # The unique key decides between two concurrent sweeps: the loser's insert fails and it moves on.
            with transaction.atomic():
                delivery = ReminderDelivery.objects.create(
                    cycle=item.cycle, category=item.category, nomination_list=item.nomination_list, bureau=item.bureau,
                    kind=item.kind, offset=item.offset, recipient=item.recipient, email=email, subject=subject,
                    body_text=text, body_html=html, url=item.url,
                    status=ReminderDelivery.Status.PENDING if email else ReminderDelivery.Status.SKIPPED,
                )
                Notification.objects.create(user=item.recipient, delivery=delivery, kind=item.kind, title=subject,
                                            body=text, url=item.url)
        except IntegrityError:
            already += 1
            continue
        existing.add(item.key)
        recorded.append(delivery)
    return recorded, already


def reminders_sweep(*, at: datetime.datetime | None = None) -> SweepResult:
    """Record every message due at ``at`` (now by default) and list the rows waiting to be sent.

    Sending is left to the caller (``reminder_deliver`` for each id), so the beat task can queue one task per
    message and the management command can send them at once."""
    at = at or timezone.now()
    result = SweepResult(at=at)
    now = timezone.now()
    # A claim older than STALE_CLAIM belongs to a sender that died: give the message back.
    ReminderDelivery.objects.filter(status=ReminderDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=ReminderDelivery.Status.PENDING, last_error="interrupted while sending; sent again")
    result.recorded, result.already = reminders_record(reminders_plan(at=at))
    result.due_ids = list(ReminderDelivery.objects.filter(status=ReminderDelivery.Status.PENDING,
                                                          next_attempt_at__lte=timezone.now())
                          .order_by("id").values_list("id", flat=True))
    return result


def list_returned_notify(*, list_id: int) -> list[ReminderDelivery]:
    """Record the message telling the bureau's clerks that their list was returned (once per return)."""
    from nominations.models import NominationList

    nomination_list = (NominationList.objects.select_related("cycle", "category__measure", "bureau")
                       .filter(pk=list_id).first())
    if nomination_list is None or nomination_list.state != NominationList.State.RETURNED:
        return []
    cycle = nomination_list.cycle
    url = list_url(cycle, nomination_list.category)
    # One message per return: the key's offset is the return's number (the n-th "nomination_list.return" in the
    # list's audit trail), which a retried task finds unchanged even if the clerk has edited the list since.
    returns = audit_trail_for(nomination_list).filter(action=RETURN_ACTION).count()
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


# --- Sending -------------------------------------------------------------------------------------------------

class Outcome:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not-claimed"


def backoff_after(attempts: int) -> datetime.timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def reminder_deliver(*, delivery_id: int) -> str:
    """Send one recorded message, if this caller wins the claim on it. Safe to call any number of times."""
    now = timezone.now()
    claimed = ReminderDelivery.objects.filter(
        pk=delivery_id, status=ReminderDelivery.Status.PENDING, next_attempt_at__lte=now,
    ).update(status=ReminderDelivery.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return Outcome.NOT_CLAIMED
    delivery = ReminderDelivery.objects.get(pk=delivery_id)
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    message = EmailMultiAlternatives(
        subject=delivery.subject, body=delivery.body_text, to=[delivery.email],
        headers={"Message-ID": f"<reminder-{delivery.pk}@{domain}>", "Auto-Submitted": "auto-generated"},
    )
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    try:
        message.send()
    except Exception as error:  # noqa: BLE001 - any failure of the mail transport is recorded and retried
        logger.warning("reminder %s to %s failed (attempt %s): %s", delivery.pk, delivery.email, delivery.attempts, error)
        give_up = delivery.attempts >= _reminder_settings().max_attempts
        ReminderDelivery.objects.filter(pk=delivery.pk, status=ReminderDelivery.Status.SENDING).update(
            status=ReminderDelivery.Status.FAILED if give_up else ReminderDelivery.Status.PENDING,
            next_attempt_at=now + backoff_after(delivery.attempts), last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        return Outcome.FAILED if give_up else Outcome.RETRY
    ReminderDelivery.objects.filter(pk=delivery.pk, status=ReminderDelivery.Status.SENDING).update(
        status=ReminderDelivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return Outcome.SENT


def reminder_retry(*, actor, deliveries) -> list[int]:
    """An administrator sends failed messages again: they go back to pending, due now. Returns their ids."""
    if not roles.is_administrator(actor):
        raise PermissionDeniedError("Only administrators can send a failed reminder again.")
    ids = []
    with transaction.atomic():
        for delivery in ReminderDelivery.objects.select_for_update().filter(
                pk__in=[d.pk for d in deliveries], status=ReminderDelivery.Status.FAILED):
            delivery.status = ReminderDelivery.Status.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = timezone.now()
            delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
            audit_record(actor=actor, action="reminder.retry", target=delivery, data={"last_error": delivery.last_error})
            ids.append(delivery.pk)
        transaction.on_commit(lambda: _queue_deliveries(ids))
    return ids


def _queue_deliveries(ids: list[int]) -> None:
    from .tasks import reminder_deliver_task

    for delivery_id in ids:
        reminder_deliver_task.delay(delivery_id)


# --- In-app notifications ------------------------------------------------------------------------------------

def notifications_for(user):
    """A person's own notifications, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notifications_unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications (or all of them) as read. Returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
