import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from measures.importing.cli import finish_catalogue_import, programme_from_options, programme_option
from measures.importing.plan import new_document_fields
from measures.importing.reading import ImportFileError, read_upload
from measures.importing.spreadsheet import plan_catalogue_file
from measures.models import PolicyDocument


class Command(BaseCommand):
    help = ("Import a catalogue spreadsheet (.xlsx or .csv, one row per incentive category, the columns of "
            "export_measures) into a policy document, all or nothing. Prints what it did, or would do with --dry-run; "
            "on any invalid row prints every error with its row and column, writes nothing and exits 1.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and show what would change; write nothing")
        parser.add_argument("--document", help="update the measures of this document (default: the one in force)")
        parser.add_argument("--new-document", metavar="NUMBER", help="create a new document with this number instead")
        parser.add_argument("--title", default="", help="title of the new document")
        parser.add_argument("--issuer", default="", help="issuer of the new document")
        parser.add_argument("--create-bureaus", action="store_true",
                            help="create the bureaus the file names but the database does not know (full name unconfirmed)")
        programme_option(parser)
        parser.add_argument("--max-bytes", type=int, help="size limit for this run (default settings.IMPORT_MAX_BYTES)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        programme = programme_from_options(options)
        document, new_document = target_document(options, programme=programme)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        self.stdout.write(f"Reading {path.name} …")
        try:
            with path.open("rb") as handle:
                data = read_upload(handle, limit=options["max_bytes"])
        except ImportFileError as error:
            raise CommandError(error.message) from None
        plan = plan_catalogue_file(data, filename=path.name, document=document, new_document=new_document,
                                   create_bureaus=options["create_bureaus"], byte_limit=options["max_bytes"],
                                   programme=programme)
        document = finish_catalogue_import(self, plan, dry_run=options["dry_run"], verbose=options["verbosity"] > 1)
        if document is None:
            return
        self.stdout.write(self.style.SUCCESS(
            f"Imported into {document.number} in {time.perf_counter() - started:.2f} s."))


def target_document(options, *, programme):
    if options.get("new_document"):
        fields = new_document_fields(number=options["new_document"], title=options.get("title", ""),
                                     issuer=options.get("issuer", ""))
        return None, fields
    if options.get("document"):
        document = PolicyDocument.objects.filter(programme=programme, number=options["document"]).first()
        if document is None:
            raise CommandError(f"No policy document numbered {options['document']!r}.")
        return document, None
    document = PolicyDocument.objects.filter(programme=programme, in_force=True).order_by("-issued_on").first()
    if document is None:
        raise CommandError("No policy document is in force: give --document or --new-document.")
    return document, None
