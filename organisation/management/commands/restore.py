"""Restore a backup written by `manage.py backup` into a migrated database holding only what a new deployment's
`migrate` and `init` create (or, with --replace, over one holding data) and MEDIA_ROOT."""

import time

from django.core.management.base import BaseCommand, CommandError

from incentives import crypto
from incentives.backup import BackupError, encryption_key_for, restore, verify, verify_decryption


class Command(BaseCommand):
    help = ("Verify a backup directory against its manifest, then replace the rows of this migrated database by "
            "the backup's and copy its media files into MEDIA_ROOT. A database holding more than what a new "
            "deployment's migrate and init create is refused (the tables and their rows are named) unless "
            "--replace is given. Nothing is changed when a check fails. Every session ends.")

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--verify-only", action="store_true", help="check the digests and stop")
        parser.add_argument("--replace", action="store_true",
                            help="delete the data this database holds (take a backup of it first) and media files "
                                 "of the same name with other contents")

    def handle(self, *args, directory, verify_only=False, replace=False, **options):
        started = time.perf_counter()
        try:
            if verify_only:
                manifest = verify(directory)
                self.stdout.write(self.style.SUCCESS(
                    f"{directory}: the database dump and {len(manifest['media']):,} media files match the manifest."))
                encryption = manifest.get("encryption")
                if encryption and crypto.backup_key() is None:
                    self.stdout.write(f"Encrypted ({encryption['algorithm']}, key “{encryption['key_id']}”): not "
                                      f"decrypted, BACKUP_ENCRYPTION_KEY is not set.")
                elif encryption:
                    verify_decryption(directory, manifest, encryption_key_for(manifest))
                    self.stdout.write(f"Encrypted ({encryption['algorithm']}, key “{encryption['key_id']}”): every "
                                      f"file decrypts and matches its plaintext digest.")
                return
            manifest = restore(source=directory, replace=replace)
        except BackupError as error:
            raise CommandError(error.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"Restored {sum(manifest['rows'].values()):,} rows and {len(manifest['media']):,} media files from "
            f"{directory} (taken {manifest['created_at']}) in {time.perf_counter() - started:.1f} s."))
        if manifest["replaced"]:
            self.stdout.write("Replaced (deleted) the rows this database held: " + ", ".join(
                f"{label}: {n}" for label, n in sorted(manifest["replaced"].items())) + ".")
        if manifest["media_not_in_backup"]:
            self.stdout.write(f"{manifest['media_not_in_backup']:,} file(s) in MEDIA_ROOT are not in the backup: "
                              f"left in place.")
        self.stdout.write("Sessions are not in backups: everyone signs in again.")
