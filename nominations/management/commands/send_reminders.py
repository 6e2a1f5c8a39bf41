"""Run the reminder sweep at once (for a given moment with --at) and send what is due, printing each message."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from nominations.deadlines import beijing
from nominations.reminders import reminders_plan, reminders_sweep
from organisation.models import OutboxMessage
from organisation.outbox import outbox_deliver


def parse_moment(raw: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--at {raw!r} is not an ISO-8601 date and time, e.g. 2027-03-24T09:00+08:00") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # naive times are Beijing time (TIME_ZONE)
    return moment


class Command(BaseCommand):
    help = "Run the reminder sweep now (or for the moment given by --at) and send the messages that are due."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="ISO-8601 date and time to sweep for (naive = Beijing time); default: now")
        parser.add_argument("--dry-run", action="store_true", help="record nothing and send nothing; list what is due")
        parser.add_argument("--yes", action="store_true",
                            help="confirm that real e-mail goes out (required when an SMTP server is configured)")

    def handle(self, *args, at=None, dry_run=False, yes=False, **options):
        moment = parse_moment(at) if at else timezone.now()
        real_mail = "smtp" in settings.EMAIL_BACKEND.lower()
        if not dry_run:
            self.stdout.write(self.style.WARNING(
                f"This SENDS REAL E-MAIL to the people it finds due{' via ' + settings.EMAIL_HOST if real_mail else ''}"
                f" (backend {settings.EMAIL_BACKEND}) and records each message as sent, so the beat will not send "
                f"them again. Use --dry-run to only list them."))
            if real_mail and not yes:
                raise CommandError("An SMTP server is configured: add --yes to send real e-mail, or use --dry-run.")
        self.stdout.write(f"Sweep for {beijing(moment):%Y-%m-%d %H:%M:%S} (Beijing time)")
        if dry_run:
            for item in reminders_plan(at=moment):
                self.stdout.write(f"  due   {item.kind:<8} {item.offset:>4}  {item.recipient.username:<16} "
                                  f"{item.category.code if item.category else '-'}")
            return
        result = reminders_sweep(at=moment)
        outcomes = {message_id: outbox_deliver(message_id=message_id) for message_id in result.due_ids}
        messages = OutboxMessage.objects.filter(pk__in=list(outcomes)).select_related("recipient")
        for message in messages.order_by("id"):
            self.stdout.write(f"  {outcomes[message.pk]:<8} {message.kind:<8} "
                              f"{message.recipient.username:<16} {message.email:<32} {message.subject}")
        skipped = [m for m in result.recorded if m.status == OutboxMessage.Status.SKIPPED]
        for message in skipped:
            self.stdout.write(f"  no-email {message.kind:<8} {message.recipient.username}")
        sent = sum(1 for outcome in outcomes.values() if outcome == "sent")
        self.stdout.write(self.style.SUCCESS(
            f"{len(result.recorded)} new message(s) recorded, {result.already} already recorded, {sent} sent, "
            f"{sum(1 for o in outcomes.values() if o in ('retry', 'failed'))} failed, {len(skipped)} without an e-mail address."))
