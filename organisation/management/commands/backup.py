"""Back up the database and the media files into a directory, with a manifest of SHA-256 digests."""

import time

from django.core.management.base import BaseCommand, CommandError

from incentives.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Write the database (a JSON dump of every application) and the media files into --output DIR, with "
            "manifest.json listing the SHA-256 of each file. Restore with `manage.py restore DIR`.")

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, help="a new (or empty) directory")

    def handle(self, *args, output, **options):
        started = time.perf_counter()
        try:
            manifest = backup(output=output)
        except BackupError as error:
            raise CommandError(error.message) from None
        rows = sum(manifest["rows"].values())
        size = manifest["database"]["size"] + sum(entry["size"] for entry in manifest["media"].values())
        self.stdout.write(self.style.SUCCESS(
            f"Backed up {rows:,} rows and {len(manifest['media']):,} media files ({size / 1e6:.1f} MB) into {output} "
            f"in {time.perf_counter() - started:.1f} s."))
        encryption = manifest.get("encryption")
        if encryption:
            self.stdout.write(f"Encrypted with {encryption['algorithm']}, key “{encryption['key_id']}” "
                              f"(BACKUP_ENCRYPTION_KEY): keep that key apart from the backups; without it the backup "
                              f"cannot be restored.")
        else:
            self.stdout.write("Not encrypted (BACKUP_ENCRYPTION_KEY is not set).")
