import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from incentives.errors import DomainError
from measures.importing import organisation
from measures.importing.cli import programme_from_options, programme_option
from measures.importing.reading import ImportFileError, read_upload

# The same importers as the admin's import pages (measures.importing.organisation.IMPORTERS).
PLANNERS = {kind: (plan, apply) for kind, (plan, apply, _columns) in organisation.IMPORTERS.items()}


class Command(BaseCommand):
    help = ("Import bureaus, nominee units or user accounts (with their bureau memberships) from .xlsx or .csv, "
            "all or nothing. Columns — bureaus: short_name, full_name[, full_name_confirmed, order, is_active]; "
            "units: name, kind[, parent, full_name, division_order, is_active]; users: username[, first_name, "
            "last_name, email, is_active, role, bureaus].")

    def add_arguments(self, parser):
        parser.add_argument("what", choices=sorted(PLANNERS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        programme_option(parser)
        parser.add_argument("--max-bytes", type=int, help="size limit for this run (default settings.IMPORT_MAX_BYTES)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        plan_file, apply_plan = PLANNERS[options["what"]]
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                data = read_upload(handle, limit=options["max_bytes"])
        except ImportFileError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Reading {path.name} …")
        plan = plan_file(data, filename=path.name, byte_limit=options["max_bytes"],
                         programme=programme_from_options(options))
        counts = plan.counts()
        self.stdout.write("Rows: {new} new, {changed} changed, {unchanged} unchanged, {invalid} invalid".format(**counts))
        for error in plan.all_errors:
            self.stdout.write(f"ERROR {error}")
        if not plan.is_valid:
            raise CommandError(f"{len(plan.all_errors)} error(s): nothing was imported.")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        kwargs = {}
        if options["what"] == "units":
            kwargs["progress"] = lambda done, total: self.stdout.write(f"  {done:,} / {total:,} units written")
        try:
            result = apply_plan(actor=None, plan=plan, **kwargs)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Created {result['created']}, updated {result['updated']} {options['what']} in {time.perf_counter() - started:.2f} s."))
        if "invited" in result:
            self.stdout.write(f"Invitations to choose a password sent to {result['invited']} new account(s) "
                              f"(accounts without an e-mail address get none).")
