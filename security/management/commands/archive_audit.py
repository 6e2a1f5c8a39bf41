import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from security.archive import archive_audit


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--before {value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = ("Write the audit records older than --before (a Beijing date) to --output (JSON Lines) with its SHA-256 "
            "and SM3 digests (OUTPUT.digests), then delete them. Records younger than AUDIT_RETENTION_DAYS are kept.")

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, type=_date, help="YYYY-MM-DD: archive records before this day")
        parser.add_argument("--output", required=True, type=Path, help="the archive file to write (must not exist)")

    def handle(self, *args, before, output, **options):
        try:
            result = archive_audit(before=before, output=output)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"{result.count} audit records archived to {result.path}\n"
                          f"SHA256 {result.sha256}\nSM3 {result.sm3}\ndigests in {result.digest_path}")
