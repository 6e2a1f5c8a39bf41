import sys

from django.core.management.base import BaseCommand, CommandError

from measures.exports import write_csv, write_xlsx
from measures.importing.cli import programme_from_options, programme_option
from nominations.exports import nomination_rows
from nominations.models import Cycle


class Command(BaseCommand):
    help = "Export the nomination lists of a cycle (one row per nominee) as CSV (standard output by default) or XLSX."
    rows_for = staticmethod(nomination_rows)

    def add_arguments(self, parser):
        parser.add_argument("--cycle", type=int, required=True, help="the performance year, e.g. 2025")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="file to write; standard output when omitted (CSV only)")
        programme_option(parser)

    def handle(self, *args, **options):
        cycle = Cycle.objects.filter(programme=programme_from_options(options), year=options["cycle"]).first()
        if cycle is None:
            raise CommandError(f"No cycle for the year {options['cycle']}.")
        rows = self.rows_for(cycle)
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError("--format xlsx needs --output FILE")
            with open(options["output"], "wb") as handle:
                write_xlsx(rows, handle, title=str(cycle.year))
        elif options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8-sig") as handle:
                write_csv(rows, handle)
        else:
            write_csv(rows, self.stdout if self.stdout else sys.stdout)
