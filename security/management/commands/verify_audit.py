import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from security.archive import archived_start, verify_archive_file, verify_database


class Command(BaseCommand):
    help = ("Walk the audit trail's chain (HMAC-SM3, AUDIT_CHAIN_KEY and AUDIT_CHAIN_PREVIOUS_KEYS) and name the first "
            "record that was changed, removed or reordered (exit status 1); print OK with the count otherwise. "
            "--archive FILE verifies an archive file on its own; --from-archive FILE starts the database's chain "
            "from that archive's last record.")

    def add_arguments(self, parser):
        parser.add_argument("--archive", type=Path, help="verify this archive file (and its .digests) only")
        parser.add_argument("--from-archive", type=Path,
                            help="the last archive file: the database's first record chains on from its last one "
                                 "(default: the chain value the newest audit.archived record holds)")

    def handle(self, *args, archive=None, from_archive=None, **options):
        started = time.monotonic()
        try:
            if archive:
                checked = verify_archive_file(archive)
                self.stdout.write(f"OK: {archive}: {checked.walk.count} audit records, chain positions "
                                  f"{checked.previous[0] + 1}–{checked.last[0]}, last chain value "
                                  f"{checked.last[1] or '-'}")
                return
            start = verify_archive_file(from_archive).last if from_archive else archived_start()
            if start and not start[0]:
                start = None
            checked = verify_database(start)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        seconds = time.monotonic() - started
        rate = f"{checked.count / seconds:,.0f} records/s" if seconds > 0 else ""
        if checked.broken:
            fault = checked.broken
            raise CommandError(f"the audit chain is broken: record {fault.record_id} (chain position {fault.seq}) "
                               f"{fault.detail} [{fault.kind}]; the {checked.count} records before it verify "
                               f"(last good record {checked.last_id}, position {checked.last_seq}).")
        self.stdout.write(f"OK: {checked.count} audit records verified"
                          + (f", chain positions {checked.first_seq}–{checked.last_seq}" if checked.count else "")
                          + (f" (starting after position {start[0]})" if start else "")
                          + f", last chain value {checked.last_chain or '-'}; {seconds:.1f} s, {rate}")
