"""Render a cycle's bulletin to a PDF file (and, with --ofd, an OFD file) at once: no task, nothing stored."""

import hashlib
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from measures.importing.cli import programme_from_options, programme_option
from nominations.models import Cycle
from reviews.bulletins import bulletin_context, bulletin_files, bulletin_html


class Command(BaseCommand):
    help = "Render the bulletin (通报) of the cycle of YEAR to a PDF file, and to an OFD file with --ofd."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument("--ofd", help="also write the OFD file (GB/T 33190-2016) made from the same layout")
        parser.add_argument("--html", help="also write the HTML it was made from")
        programme_option(parser)

    def handle(self, *args, year, output, ofd=None, html=None, **options):
        programme = programme_from_options(options)
        cycle = Cycle.objects.select_related("document", "programme").filter(programme=programme, year=year).first()
        if cycle is None:
            raise CommandError(f"There is no cycle for {year}.")
        started = time.perf_counter()
        context = bulletin_context(cycle)
        files = bulletin_files(context)
        elapsed = time.perf_counter() - started
        Path(output).write_bytes(files.pdf)
        if ofd:
            Path(ofd).write_bytes(files.ofd)
        if html:
            Path(html).write_text(bulletin_html(context), encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"{output}: {context.number}, {len(context.sections)} measure(s), {context.awardee_count} awardee(s), "
            f"{len(files.pages)} page(s), {len(files.pdf):,} bytes, sha256 {hashlib.sha256(files.pdf).hexdigest()}, "
            f"rendered with its OFD in {elapsed:.2f} s"))
        if ofd:
            self.stdout.write(f"{ofd}: {len(files.ofd):,} bytes, sha256 {hashlib.sha256(files.ofd).hexdigest()}")
