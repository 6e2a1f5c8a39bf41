from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.dossier import dossier_verify


class Command(BaseCommand):
    help = ("Check a dossier file (一事一档, the zip downloaded from the review pages) against the database: name every "
            "entry whose data no longer match the database, whose audit record no longer matches its chain value or "
            "is gone, and a PDF that does not match its digest (exit status 1). Entries added since the dossier was "
            "made are listed, and do not fail the check.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the dossier's .zip")

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from None
        try:
            header, mismatches, checked = dossier_verify(data)
        except ValueError as error:
            raise CommandError(f"{file}: {error}") from None
        added = [m for m in mismatches if m.what == "added"]
        failed = [m for m in mismatches if m.what != "added"]
        for mismatch in added:
            self.stdout.write(f"added since: {mismatch.key} {mismatch.detail}")
        subject = f"{header['programme']} {header['year']} {header['category_code']} {header['category_name']}"
        if failed:
            for mismatch in failed:
                self.stderr.write(f"MISMATCH [{mismatch.what}] {mismatch.section} {mismatch.key}: {mismatch.detail}")
            raise CommandError(f"{file}: the dossier of {subject} no longer matches the database: "
                               f"{len(failed)} of {checked} entries or records differ.")
        self.stdout.write(f"OK: {file}: the dossier of {subject} matches the database ({checked} entries).")
