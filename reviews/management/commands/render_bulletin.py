"""Render a cycle's bulletin to a PDF file at once (no task, nothing stored unless --store)."""

import hashlib
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from nominations.models import Cycle
from reviews.bulletins import bulletin_context, bulletin_html, bulletin_pdf


class Command(BaseCommand):
    help = "Render the bulletin (通报) of the cycle of YEAR to a PDF file."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--output", required=True, help="the PDF file to write")
        parser.add_argument("--html", help="also write the HTML it was made from")

    def handle(self, *args, year, output, html=None, **options):
        cycle = Cycle.objects.select_related("document").filter(year=year).first()
        if cycle is None:
            raise CommandError(f"There is no cycle for {year}.")
        started = time.perf_counter()
        context = bulletin_context(cycle)
        markup = bulletin_html(context)
        pdf = bulletin_pdf(markup)
        elapsed = time.perf_counter() - started
        Path(output).write_bytes(pdf)
        if html:
            Path(html).write_text(markup, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(
            f"{output}: {context.number}, {len(context.sections)} measure(s), {context.awardee_count} awardee(s), "
            f"{len(pdf):,} bytes, sha256 {hashlib.sha256(pdf).hexdigest()}, rendered in {elapsed:.2f} s"))
