"""Remove objectors' personal data past its retention period (the beat does it every night)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from reviews.services.retention import personal_data_purge


class Command(BaseCommand):
    help = ("Blank the names, contacts and e-mail addresses of the objections of every year published more than "
            "PERSONAL_DATA_RETENTION_DAYS ago (the objections, their grounds and outcomes are kept); one audit "
            "record per year.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed; change nothing")
        parser.add_argument("--at", help="as if now were this moment (ISO 8601, Beijing time if no offset)")

    def handle(self, *args, dry_run=False, at=None, **options):
        now = None
        if at:
            try:
                now = datetime.datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(f"--at {at!r} is not a date and time (e.g. 2027-03-24T09:00)") from None
            if now.tzinfo is None:
                from nominations.models import BEIJING

                now = now.replace(tzinfo=BEIJING)
        report = personal_data_purge(now=now, dry_run=dry_run)
        verb = "would be removed" if dry_run else "removed"
        self.stdout.write(f"Years published before {report.before.isoformat(timespec='minutes')} "
                          f"(retention {settings.PERSONAL_DATA_RETENTION_DAYS} days): personal data of "
                          f"{report.objections} objection(s) in {len(report.cycles)} year(s) {verb}, "
                          f"{report.letters} settlement letter(s) blanked."
                          + (" Dry run: nothing changed." if dry_run else ""))
