"""Restore a backup written by `manage.py backup` into a new, migrated database and an empty MEDIA_ROOT."""

import time

from django.core.management.base import BaseCommand, CommandError

from incentives.backup import BackupError, restore, verify


class Command(BaseCommand):
    help = ("Verify a backup directory against its manifest, then load its rows into this (migrated, empty) "
            "database and copy its media files into MEDIA_ROOT. Nothing is changed when a check fails.")

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--verify-only", action="store_true", help="check the digests and stop")

    def handle(self, *args, directory, verify_only=False, **options):
        started = time.perf_counter()
        try:
            if verify_only:
                manifest = verify(directory)
                self.stdout.write(self.style.SUCCESS(
                    f"{directory}: the database dump and {len(manifest['media']):,} media files match the manifest."))
                return
            manifest = restore(source=directory)
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored {sum(manifest['rows'].values()):,} rows and {len(manifest['media']):,} media files from "
            f"{directory} (taken {manifest['created_at']}) in {time.perf_counter() - started:.1f} s."))
