"""The outbox: record a message, claim it, send it (by e-mail, or by a messaging app: ``organisation.channels``),
retry it. It knows nothing of what a message is about.

Never twice, never lost
-----------------------
Every message is first recorded as an ``OutboxMessage`` whose ``key`` (chosen by the caller: which reminder,
of which list, for whom) is unique in the database; recording it again (a second sweep, a second scheduler, a
retried task) finds the row and records nothing. The in-app notification is created in the same transaction as
the row. A sender claims a row with one conditional UPDATE (pending → sending); only the winner sends, and marks
it sent afterwards. A failed send goes back to pending with an exponential backoff and, after the message's
``max_attempts``, stays failed where administrators see it (admin, "outgoing e-mails") and can send it again. A
claim left by a process that died while sending is returned to pending once it is older than the stale-claim
limit (``OUTBOX_STALE_CLAIM_MINUTES``, 5): by the sweep (``organisation.tasks.outbox_sweep``, every minute),
which also queues every message waiting, whatever lost its task (a broker that was down, a killed worker).

Why a killed worker once sent a reminder twice and another 15 minutes late, and what closes it:

* only the reminder sweep (every 15 minutes) gave dead senders' claims back, and the killed worker's tasks
  stayed unacknowledged in Redis for an hour: the message claimed when the worker died went out at the next
  reminder sweep, 15 minutes late. The outbox sweep runs every minute now, and Redis redelivers after 10 minutes;
* the message the mail server had already accepted was still "sending" while Django's SMTP backend closed the
  connection (QUIT, a round trip): a worker killed then left it "sending", and the sweep sent it again. The
  delivery now records "sent" as soon as the server accepted the message, before the connection is closed;
* a claim could be given back while its sender was still alive (no SMTP timeout: a hung server), and the late
  sender's "sent" was then lost. The send has a timeout (``EMAIL_TIMEOUT``) and the delivery task a time limit
  below the stale-claim limit; a sender records "sent" whoever holds the row by then, so a message it delivered
  is never sent again by a sweep.

A message is therefore sent twice only if a process dies in the instant between the mail server's acceptance
and the UPDATE that records it; the Message-ID is derived from the row, so mail clients merge even that copy.
"""

import dataclasses
import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy

from . import channels
from .models import Channel, Notification, OutboxMessage

logger = logging.getLogger(__name__)


def stale_claim() -> datetime.timedelta:
    """A claim older than this belongs to a sender that died (``OUTBOX_STALE_CLAIM_MINUTES``)."""
    return datetime.timedelta(minutes=settings.OUTBOX_STALE_CLAIM_MINUTES)


# Kinds whose text carries a one-time secret (an invitation's link): erased from the row once it is sent.
ERASED_AFTER_SENDING = {"invitation"}

# The words of each kind of message (``OutboxMessage.kind``, ``Notification.kind``), registered by the app that
# sends it from its ``AppConfig.ready`` (nominations: every kind of ``ReminderKind``), read by the admin's pages.
_KIND_LABELS: dict[str, object] = {"invitation": gettext_lazy("Invitation to the system")}


def message_kinds_register(choices) -> None:
    """Label the kinds of message ``choices`` (pairs of code and label, as a ``TextChoices.choices``)."""
    _KIND_LABELS.update(choices)


def message_kind_label(kind: str) -> str:
    """The words of a kind of message in the person's language; a kind nobody registered as it is written."""
    return str(_KIND_LABELS.get(kind, kind))
ERASED_TEXT = "(erased after sending: it carried a one-time link)"
BACKOFF_BASE = datetime.timedelta(minutes=2)
BACKOFF_MAX = datetime.timedelta(hours=6)
DEFAULT_MAX_ATTEMPTS = 5


@dataclasses.dataclass
class Letter:
    """A message someone should get. ``key`` names it uniquely: the same key is recorded once."""

    key: str
    kind: str
    recipient: object
    subject: str
    body_text: str
    body_html: str = ""
    url: str = ""
    email: str = ""  # for a recipient without an account (``recipient`` None); else the account's address


class Outcome:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not-claimed"


def outbox_keys_recorded(keys) -> set[str]:
    """Which of ``keys`` are recorded already (one query)."""
    keys = list(keys)
    if not keys:
        return set()
    return set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))


def outbox_record(letters: list[Letter], *, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> tuple[list[OutboxMessage], int]:
    """Record the letters not recorded yet, each with its in-app notification. Returns (new rows, already there).

    Runs inside the caller's transaction when there is one, so a message caused by a state change is recorded
    with the change or not at all."""
    existing = outbox_keys_recorded(letter.key for letter in letters)
    # Each recipient's channel (e-mail, or a messaging app: ``organisation.channels``), fixed when recorded.
    by_app = channels.channels_for(letter.recipient for letter in letters if letter.key not in existing)
    recorded, already = [], 0
    for letter in letters:
        if letter.key in existing:
            already += 1
            continue
        email = (letter.email or (letter.recipient.email if letter.recipient is not None else "") or "").strip()
        channel, address, programme = by_app.get(getattr(letter.recipient, "pk", None), (Channel.EMAIL, "", None))
        reachable = bool(address) if channel != Channel.EMAIL else bool(email)
        try:
            # The unique key decides between two concurrent recorders: the loser's insert fails and it moves on.
            with transaction.atomic():
                message = OutboxMessage.objects.create(
                    key=letter.key, kind=letter.kind, recipient=letter.recipient, email=email,
                    subject=letter.subject[:255], body_text=letter.body_text, body_html=letter.body_html,
                    url=letter.url, max_attempts=max_attempts, channel=channel, channel_address=address,
                    channel_programme=programme,
                    status=OutboxMessage.Status.PENDING if reachable else OutboxMessage.Status.SKIPPED,
                )
                if letter.recipient is not None:
                    Notification.objects.create(user=letter.recipient, message=message, kind=letter.kind,
                                                title=message.subject, body=letter.body_text, url=letter.url)
        except IntegrityError:
            already += 1
            continue
        existing.add(letter.key)
        recorded.append(message)
    return recorded, already


def outbox_release_stale(*, now: datetime.datetime | None = None) -> int:
    """A claim older than the stale-claim limit belongs to a sender that died: give the message back. Returns how
    many."""
    now = now or timezone.now()
    released = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - stale_claim())
    ids = list(released.values_list("pk", flat=True))
    if ids:
        logger.warning("outbox messages %s were left sending by a process that died: sent again", ids,
                       extra={"message_ids": ids})
    return OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.SENDING).update(
        status=OutboxMessage.Status.PENDING, last_error="interrupted while sending; sent again")


def outbox_due_ids(*, now: datetime.datetime | None = None) -> list[int]:
    """The messages waiting to be sent now, oldest first."""
    return list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now or timezone.now())
                .order_by("id").values_list("id", flat=True))


def backoff_after(attempts: int) -> datetime.timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def outbox_deliver(*, message_id: int) -> str:
    """Send one recorded message, if this caller wins the claim on it. Safe to call any number of times."""
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        pk=message_id, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now,
    ).update(status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return Outcome.NOT_CLAIMED
    message = OutboxMessage.objects.get(pk=message_id)
    ours = OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING, claimed_at=now)
    if message.channel != Channel.EMAIL:
        try:
            channels.channel_send(message)
        except Exception as error:  # noqa: BLE001 - any failure of the app's API is recorded and retried
            return _failed(message, ours, now, error)
        _sent(message)
        return Outcome.SENT
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    mail = EmailMultiAlternatives(
        subject=message.subject, body=message.body_text, to=[message.email],
        headers={"Message-ID": f"<outbox-{message.pk}@{domain}>", "Auto-Submitted": "auto-generated"},
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
        delivered = connection.send_messages([mail])
        if not delivered:
            raise RuntimeError("the mail backend accepted nothing")
    except Exception as error:  # noqa: BLE001 - any failure of the mail transport is recorded and retried
        _close_quietly(connection)
        return _failed(message, ours, now, error)
    # Accepted: record it before anything else can go wrong (closing the connection is a round trip).
    _sent(message)
    _close_quietly(connection)
    return Outcome.SENT


def _failed(message: OutboxMessage, ours, now, error) -> str:
    """A send that failed: back to pending with a backoff, or failed for good after its last attempt."""
    logger.warning("message %s to %s by %s failed (attempt %s): %s", message.pk,
                   message.email or message.channel_address, message.channel, message.attempts, error)
    give_up = message.attempts >= message.max_attempts
    ours.update(
        status=OutboxMessage.Status.FAILED if give_up else OutboxMessage.Status.PENDING,
        next_attempt_at=now + backoff_after(message.attempts), last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    return Outcome.FAILED if give_up else Outcome.RETRY


def _sent(message: OutboxMessage) -> None:
    """Record a delivery at once. Whoever holds the row now (a sweep may have given a slow claim back), a
    delivered message is not sent again."""
    sent = {"status": OutboxMessage.Status.SENT, "sent_at": timezone.now(), "last_error": ""}
    if message.kind in ERASED_AFTER_SENDING:
        sent.update(body_text=ERASED_TEXT, body_html="")
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=OutboxMessage.Status.SENT).update(**sent)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - the message is recorded already; a failed QUIT changes nothing
        logger.info("closing the mail connection failed", exc_info=True)


def outbox_next_attempt(*, message_id: int) -> datetime.datetime | None:
    return OutboxMessage.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True).first()


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
