"""Reminders by e-mail and notifications in the application.

Who gets what
-------------
* **Deadline reminders.** One e-mail per clerk of a bureau at each distance, listing every category the bureau
  still owes (never one e-mail per category). For every open cycle, every category of its catalogue whose list is not submitted
  (no list yet, draft, returned) reminds the clerks of the bureau that owns it: the list's bureau, or, before a
  list exists, every owner (lead, separately or jointly responsible) of the category. A reminder goes out at
  each configured distance before the bureau's deadline (an extension counts), by default 30, 14, 7, 3 and 1
  days before and on the day. Distances are counted in Beijing calendar days. If the sweep did not run on the
  day itself (a machine was down), the next sweep sends the reminder of the distance it is in, so a reminder is
  late rather than lost; an older distance that a newer one has overtaken is not sent any more.
* **Overdue notice**, once, after the deadline has passed.
* **The bureau's leader** (``Bureau.leader_email``), once, ``ReminderSettings.escalation_days`` days after the
  deadline when the bureau still owes a list (``escalations_plan``): the ladder's last step. The ladder's steps
  (the days before, the overdue notice, the leader's day) are the programme's settings, edited in the admin.
* **Returned list**: the bureau's clerks at once (recorded by the return service,
  ``reviews.letters.list_returned_notify``, with this module's planning and recording).
* **The leader's sign-off** (签发): the bureau's leaders when a list waits for their sign-off, the clerk who sent
  it when the leader sends it back (``sign_off_requested_notify``, ``sign_off_declined_notify``).
* **Reviewers' digest**: once a day, to every reviewer, the lists submitted and waiting for a decision.
* **Implementation rules** (实施办法): each bureau that prepares a measure's lists files its rules by the
  document's due date (``deadlines.rules_deadline``); until it has filed (or after its filing was sent back) it is
  reminded at the same distances before that date as for the March deadline (``rules_reminders_plan``).
* **Decisions told to a bureau** (``bureau_notify``): an exception to the cap granted or refused, rules accepted or
  sent back; recorded in the decision's transaction.

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
from django.db import transaction
from django.template import Context, Engine
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from measures.models import ImplementationRules, IncentiveCategory, PolicyDocument, Responsibility
from organisation import roles
from organisation.access import reviewer_programme_ids
from organisation.models import Membership, OutboxMessage, default_programme_id
from organisation.outbox import Letter, outbox_due_ids, outbox_record, outbox_release_stale
from organisation.tasks import outbox_queue

from . import states
from .deadlines import beijing, bureau_deadline, deadline_passed, rules_deadline
from .models import Cycle, Extension, NominationList, ReminderKind, ReminderSettings, ReminderTemplate

logger = logging.getLogger(__name__)

# The list's states in which its bureau still has something to do (and is reminded): where it can be edited.
STATES_TO_REMIND = states.states_with_bureau()


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

    key_override: str = ""

    @property
    def key(self) -> str:
        """The outbox key. Deadline reminders and overdue notices: one message per (cycle, bureau, kind, offset,
        recipient), whatever the number of the bureau's categories it lists; a returned list: per category; a
        digest: per cycle."""
        if self.key_override:
            return self.key_override
        if self.kind in (ReminderKind.DEADLINE, ReminderKind.OVERDUE) and self.bureau is not None:
            scope = f"bureau{self.bureau.pk}"
        else:
            scope = f"category{self.category.pk if self.category else '-'}"
        return f"reminder:{self.kind}:cycle{self.cycle.pk}:{scope}:offset{self.offset}:user{self.recipient.pk}"


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
    # One message per clerk, bureau, kind and distance: every category the bureau still owes is listed in it.
    grouped: dict[tuple, Planned] = {}
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
                item = {"category": category, "measure": category.measure, "url": list_url(cycle, category),
                        "state": list_state_label(nomination_list)}
                for user in clerks.get(bureau.pk, []):
                    key = (cycle.pk, bureau.pk, kind, offset, user.pk)
                    if key in grouped:
                        grouped[key].context["categories"].append(item)
                        continue
                    grouped[key] = Planned(
                        cycle=cycle, kind=kind, offset=offset, recipient=user, category=category,
                        nomination_list=nomination_list, bureau=bureau, url=item["url"],
                        context={
                            "recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                            "category": category, "measure": category.measure, "bureau": bureau,
                            "categories": [item], "deadline": format_deadline(deadline),
                            "days_left": max(days_left, 0), "days_overdue": max(-days_left, 0),
                            "state": item["state"], "url": item["url"],
                        },
                    )
    planned: list[Planned] = list(grouped.values())
    for item in planned:
        # The link of a message about several categories is the bureau's page.
        if len(item.context["categories"]) > 1:
            item.url = item.context["url"] = absolute_url(reverse("nominations:home"))
        item.context["count"] = len(item.context["categories"])

    digest_cycles = [cycle for cycle in cycles if configs[cycle.programme_id].reviewer_digest]
    if digest_cycles:
        planned.extend(_digest_plan(digest_cycles, lists, at))
    return planned


def escalations_plan(*, at: datetime.datetime) -> list[Letter]:
    """The ladder's last step: ``ReminderSettings.escalation_days`` days (Beijing dates) after its deadline, the
    leader contact of a bureau that still owes a list of an open cycle is told once, by e-mail, of every category it
    owes. A fixed number of queries."""
    cycles = list(Cycle.objects.filter(state=Cycle.State.OPEN, opens_at__lte=at).select_related("document"))
    configs = _settings_by_programme(cycle.programme_id for cycle in cycles)
    cycles = [cycle for cycle in cycles if configs[cycle.programme_id].escalation_days
              and beijing(at).hour >= configs[cycle.programme_id].send_from_hour]
    if not cycles:
        return []
    lists = {(lst.cycle_id, lst.category_id): lst for lst in
             NominationList.objects.filter(cycle__in=cycles).select_related("bureau")}
    extensions = defaultdict(dict)
    for ext in Extension.objects.filter(cycle__in=cycles):
        extensions[ext.cycle_id][ext.bureau_id] = ext.new_deadline
    categories = list(IncentiveCategory.objects.filter(measure__document__in={c.document_id for c in cycles})
                      .select_related("measure").order_by("measure__number", "order"))
    owners = defaultdict(list)
    for responsibility in (Responsibility.objects.filter(category__in=categories, role__in=Responsibility.OWNER_ROLES)
                           .select_related("bureau").order_by("order")):
        owners[responsibility.category_id].append(responsibility.bureau)
    owed: dict[tuple, dict] = {}
    for cycle in cycles:
        for category in categories:
            if category.measure.document_id != cycle.document_id:
                continue
            nomination_list = lists.get((cycle.pk, category.pk))
            if nomination_list is not None and nomination_list.state not in STATES_TO_REMIND:
                continue
            for bureau in ([nomination_list.bureau] if nomination_list is not None else owners.get(category.pk, [])):
                if not bureau.leader_email:
                    continue
                deadline = bureau_deadline(cycle=cycle, bureau=bureau, extensions=extensions[cycle.pk])
                overdue = (beijing(at).date() - beijing(deadline).date()).days
                if not deadline_passed(deadline=deadline, now=at) or overdue < configs[cycle.programme_id].escalation_days:
                    continue
                entry = owed.setdefault((cycle.pk, bureau.pk), {
                    "cycle": cycle, "year": cycle.year, "bureau": bureau, "recipient": bureau.leader_name or bureau.short_name,
                    "deadline": format_deadline(deadline), "days_overdue": overdue, "categories": [],
                    "url": absolute_url(reverse("nominations:home"))})
                entry["categories"].append({"category": category, "measure": category.measure,
                                            "state": list_state_label(nomination_list)})
    sources = _template_sources(ESCALATION_KIND)
    letters = []
    for (cycle_pk, bureau_pk), context in owed.items():
        context["count"] = len(context["categories"])
        subject, text, html = message_render(ESCALATION_KIND, context, sources=sources)
        letters.append(Letter(key=f"reminder:escalation:cycle{cycle_pk}:bureau{bureau_pk}", kind=ESCALATION_KIND,
                              recipient=None, email=context["bureau"].leader_email, subject=subject, body_text=text,
                              body_html=html, url=context["url"]))
    return letters


# The message to a late bureau's leader contact (templates/emails/escalation.txt).
ESCALATION_KIND = ReminderKind.ESCALATION


def list_state_label(nomination_list) -> str:
    if nomination_list is None:
        return "尚未开始填报"
    return {"draft": "草稿（未报送）", "returned": "已退回补正（未重新报送）",
            "for_sign_off": "待领导签发（未报送）"}.get(nomination_list.state, nomination_list.state)


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
    result.recorded, result.already = reminders_record(reminders_plan(at=at) + rules_reminders_plan(at=at))
    escalated, already = outbox_record(escalations_plan(at=at), max_attempts=_reminder_settings().max_attempts)
    result.recorded += escalated
    result.already += already
    result.due_ids = outbox_due_ids()
    return result


# --- Implementation rules and decisions told to a bureau ---------------------------------------------------------

@dataclasses.dataclass
class RulesPlanned:
    """A reminder that a bureau's implementation rules for a measure are due."""

    document: object
    measure: object
    bureau: object
    kind: str
    offset: int
    recipient: object
    context: dict
    url: str

    @property
    def key(self) -> str:
        return (f"rules:{self.kind}:document{self.document.pk}:measure{self.measure.pk}:bureau{self.bureau.pk}"
                f":offset{self.offset}:user{self.recipient.pk}")


def rules_url(measure) -> str:
    try:
        return absolute_url(reverse("nominations:rules", args=[measure.pk]))
    except NoReverseMatch:
        return absolute_url(reverse("nominations:home"))


def rules_reminders_plan(*, at: datetime.datetime) -> list[RulesPlanned]:
    """The reminders due at ``at`` for implementation rules not filed yet (or sent back), before the due date of
    each document in force (a fixed number of queries). Nothing is sent after the due date: the statistics show
    who filed late."""
    config = _reminder_settings()
    if beijing(at).hour < config.send_from_hour:
        return []
    documents = [d for d in PolicyDocument.objects.filter(in_force=True, rules_due_on__isnull=False)
                 if not deadline_passed(deadline=rules_deadline(d), now=at)]
    if not documents:
        return []
    pairs: dict[tuple[int, int], tuple] = {}
    for r in (Responsibility.objects.filter(category__measure__document__in=documents, role__in=Responsibility.OWNER_ROLES)
              .select_related("bureau", "category__measure__document").order_by("category__measure__number", "order")):
        pairs.setdefault((r.category.measure_id, r.bureau_id), (r.category.measure, r.bureau))
    filed = set(ImplementationRules.objects.filter(measure__document__in=documents)
                .exclude(state=ImplementationRules.State.RETURNED).values_list("measure_id", "bureau_id"))
    returned_only = set(ImplementationRules.objects.filter(measure__document__in=documents,
                                                           state=ImplementationRules.State.RETURNED)
                        .values_list("measure_id", "bureau_id")) - filed
    clerks = defaultdict(list)
    for membership in Membership.objects.filter(user__is_active=True).select_related("user").order_by("user__username"):
        clerks[membership.bureau_id].append(membership.user)
    planned = []
    for (measure_id, bureau_id), (measure, bureau) in pairs.items():
        if (measure_id, bureau_id) in filed:
            continue
        deadline = rules_deadline(measure.document)
        due = _deadline_kind(deadline, at, config.offset_list, False)
        if due is None:
            continue
        _kind, offset = due
        days_left = (beijing(deadline).date() - beijing(at).date()).days
        url = rules_url(measure)
        for user in clerks.get(bureau_id, []):
            planned.append(RulesPlanned(
                document=measure.document, measure=measure, bureau=bureau, kind=ReminderKind.RULES_DUE,
                # A filing sent back starts the distances again: its reminders are new messages.
                offset=offset + (1000 if (measure_id, bureau_id) in returned_only else 0), recipient=user, url=url,
                context={"recipient": user.get_full_name() or user.username, "document": measure.document,
                         "measure": measure, "bureau": bureau, "deadline": format_deadline(deadline),
                         "days_left": max(days_left, 0), "url": url},
            ))
    return planned


def bureau_notify(*, bureau, kind: str, key: str, context: dict, url: str) -> list[OutboxMessage]:
    """Tell every active clerk of ``bureau`` (outbox and notification), recorded once under ``key``. Called inside
    the decision's transaction, so the message is recorded with the decision or not at all."""
    clerks = [m.user for m in Membership.objects.filter(bureau=bureau, user__is_active=True)
              .select_related("user").order_by("user__username")]
    sources = _template_sources(kind)
    letters = []
    for user in clerks:
        subject, text, html = message_render(
            kind, {**context, "recipient": user.get_full_name() or user.username, "url": url}, sources=sources)
        letters.append(Letter(key=f"{key}:user{user.pk}", kind=kind, recipient=user, subject=subject,
                              body_text=text, body_html=html, url=url))
    recorded, _already = outbox_record(letters, max_attempts=_reminder_settings().max_attempts)
    return recorded


# --- What bureaus are told of: comments (the review's letters are reviews.letters') ------------------------

def clerks_of(bureau_ids, *, except_user=None) -> dict[int, list]:
    clerks = defaultdict(list)
    memberships = (Membership.objects.filter(bureau_id__in=list(bureau_ids), user__is_active=True)
                   .select_related("user").order_by("user__username"))
    for membership in memberships:
        if except_user is not None and membership.user_id == except_user.pk:
            continue
        clerks[membership.bureau_id].append(membership.user)
    return clerks


def one_per_person(clerks: dict[int, list]) -> list:
    """Each person once, even when they belong to several of the bureaus told."""
    seen, people = set(), []
    for users in clerks.values():
        for user in users:
            if user.pk not in seen:
                seen.add(user.pk)
                people.append(user)
    return people


def list_commented_notify(*, comment) -> list[OutboxMessage]:
    """Tell the clerks of every bureau responsible for the list's category (the author excepted) that a comment
    was written. Called inside the comment's own transaction."""
    nomination_list = comment.nomination_list
    cycle, category = nomination_list.cycle, nomination_list.category
    bureau_ids = {nomination_list.bureau_id, *Responsibility.objects.filter(category=category)
                  .values_list("bureau_id", flat=True)}
    url = list_url(cycle, category)
    author = comment.author.get_full_name() or comment.author.username
    planned = [Planned(
        cycle=cycle, kind=ReminderKind.COMMENTED, offset=0, recipient=user, category=category,
        nomination_list=nomination_list, bureau=nomination_list.bureau, url=url,
        key_override=f"notice:commented:list{nomination_list.pk}:comment{comment.pk}:user{user.pk}",
        context={"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
                 "category": category, "measure": category.measure, "bureau": nomination_list.bureau,
                 "author": author, "author_bureau": comment.bureau.short_name if comment.bureau else "",
                 "text": comment.text, "url": url},
    ) for user in one_per_person(clerks_of(bureau_ids, except_user=comment.author))]
    recorded, _already = reminders_record(planned)
    return recorded


# --- What reviewers are told of: new work on their desk ----------------------------------------------------------

# The kinds of new work a reviewer is told of (templates/emails/waiting.txt words each one).
WAITING_KIND = ReminderKind.WAITING
WAITING_WHAT = {
    "exception": "突破名额申请",
    "objection": "公示异议",
    "rules": "实施办法备案",
    "register": "上级激励登记",
}


def desk_url(cycle=None) -> str:
    """The reviewer's desk (待您处理), of ``cycle``'s year when given."""
    try:
        path = reverse("reviews:queue")
    except NoReverseMatch:
        return absolute_url(reverse("nominations:home"))
    return absolute_url(path + (f"?year={cycle.year}" if cycle is not None else ""))


def reviewers_of(programme_id: int) -> list:
    """The active reviewers of a programme (those who list none review the default programme)."""
    default_id = default_programme_id()
    reviewers = (get_user_model().objects.filter(is_active=True, groups__name=roles.REVIEWER).distinct()
                 .prefetch_related("reviewed_programmes").order_by("username"))
    return [user for user in reviewers if programme_id in reviewer_programme_ids(user, default_id=default_id)]


def reviewers_notify(*, programme_id: int, what: str, key: str, context: dict, url: str) -> list[OutboxMessage]:
    """Tell every reviewer of the programme (outbox and notification) that ``what`` (a key of ``WAITING_WHAT``)
    now waits on their desk, recorded once under ``key``. Called inside the transaction that made the new work,
    so the message is recorded with it or not at all, and sent once it commits."""
    sources = _template_sources(WAITING_KIND)
    letters = []
    for user in reviewers_of(programme_id):
        subject, text, html = message_render(WAITING_KIND, {
            **context, "what": WAITING_WHAT[what], "recipient": user.get_full_name() or user.username, "url": url,
        }, sources=sources)
        letters.append(Letter(key=f"{key}:user{user.pk}", kind=WAITING_KIND, recipient=user, subject=subject,
                              body_text=text, body_html=html, url=url))
    recorded, _already = outbox_record(letters, max_attempts=_reminder_settings().max_attempts)
    pending = [m.pk for m in recorded if m.status == m.Status.PENDING]
    transaction.on_commit(lambda: outbox_queue(pending))
def _sign_off_context(nomination_list, user, url) -> dict:
    cycle, category = nomination_list.cycle, nomination_list.category
    return {"recipient": user.get_full_name() or user.username, "cycle": cycle, "year": cycle.year,
            "category": category, "measure": category.measure, "bureau": nomination_list.bureau,
            "reason": nomination_list.sign_off_reason, "url": url}


def sign_off_requested_notify(*, nomination_list, leader_ids) -> list[OutboxMessage]:
    """Tell the bureau's leaders that a list waits for their sign-off (once per sending: the list's version names
    it). Called inside the sending's transaction."""
    url = absolute_url(reverse("nominations:sign_off", args=[nomination_list.cycle.year, nomination_list.category_id]))
    leaders = get_user_model().objects.filter(pk__in=list(leader_ids), is_active=True).order_by("username")
    planned = [Planned(
        cycle=nomination_list.cycle, kind=ReminderKind.SIGN_OFF, offset=0, recipient=user,
        category=nomination_list.category, nomination_list=nomination_list, bureau=nomination_list.bureau, url=url,
        key_override=f"notice:sign_off:list{nomination_list.pk}:v{nomination_list.version}:user{user.pk}",
        context=_sign_off_context(nomination_list, user, url)) for user in leaders]
    recorded, _already = reminders_record(planned)
    return recorded


def sign_off_declined_notify(*, nomination_list, clerk_id) -> list[OutboxMessage]:
    """Tell the clerk who sent the list that the leader sent it back, with the reasons."""
    user = get_user_model().objects.filter(pk=clerk_id, is_active=True).first() if clerk_id else None
    if user is None:
        return []
    url = list_url(nomination_list.cycle, nomination_list.category)
    recorded, _already = reminders_record([Planned(
        cycle=nomination_list.cycle, kind=ReminderKind.SIGN_OFF_DECLINED, offset=0, recipient=user,
        category=nomination_list.category, nomination_list=nomination_list, bureau=nomination_list.bureau, url=url,
        key_override=f"notice:sign_off_back:list{nomination_list.pk}:v{nomination_list.version}:user{user.pk}",
        context=_sign_off_context(nomination_list, user, url))])
    return recorded
