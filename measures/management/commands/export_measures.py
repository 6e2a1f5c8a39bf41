import csv

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from openpyxl import Workbook

from measures.exports import catalogue_rows, safe_cell
from measures.models import PolicyDocument


class Command(BaseCommand):
    help = "Export the catalogue, one row per incentive category, as CSV (standard output by default) or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="file to write; standard output when omitted (CSV only)")
        parser.add_argument("--document", help="document number, e.g. 穗府办〔2022〕30号; the one in force by default")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE,
                            help="language of the labels (the forms of support, the kinds): zh-hans by default, or en")

    def handle(self, *args, **options):
        with translation.override(options["language"]):
            self._export(options)

    def _export(self, options):
        if options["document"]:
            document = PolicyDocument.objects.filter(number=options["document"]).first()
            if document is None:
                raise CommandError(f"No policy document numbered {options['document']!r}.")
        else:
            document = PolicyDocument.objects.filter(in_force=True).order_by("-issued_on").first()
            if document is None:
                raise CommandError("No policy document is in force: load the catalogue first (manage.py loaddata catalogue_2022).")
        rows = catalogue_rows(document)
        if options["format"] == "xlsx":
            if not options["output"]:
                raise CommandError("--format xlsx needs --output FILE")
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet("measures")
            for row in rows:
                sheet.append([safe_cell(v) for v in row])
            workbook.save(options["output"])
            return
        if options["output"]:
            with open(options["output"], "w", newline="", encoding="utf-8-sig") as handle:
                csv.writer(handle).writerows([safe_cell(v) for v in row] for row in rows)
        else:
            csv.writer(self.stdout, lineterminator="\n").writerows([safe_cell(v) for v in row] for row in rows)
