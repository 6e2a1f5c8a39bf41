import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from measures.importing.cli import finish_catalogue_import, programme_from_options, programme_option
from measures.importing.notice_plan import plan_notice_text
from measures.importing.plan import new_document_fields
from measures.importing.reading import ImportFileError, read_upload
from measures.importing.text import notice_source_from_bytes
from measures.models import PolicyDocument


class Command(BaseCommand):
    help = ("Import a whole notice from its text (.txt or .docx): split it into its numbered measures, read each "
            "responsibility clause, and save it as a NEW policy document (or update --document). All or nothing; "
            "--dry-run shows what would be created. Unknown bureaus are listed by name; --create-bureaus creates them.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--number", help="the new document's number, e.g. 穗府办〔2022〕30号")
        parser.add_argument("--title", default="")
        parser.add_argument("--issuer", default="", help="read from the closing block when omitted")
        parser.add_argument("--issued-on", default="", help="YYYY-MM-DD; read from the closing block when omitted")
        parser.add_argument("--supersedes", help="number of the document this one replaces")
        parser.add_argument("--document", help="update the measures of this existing document instead")
        parser.add_argument("--create-bureaus", action="store_true", help="create unknown bureaus in the programme")
        programme_option(parser)
        parser.add_argument("--categories-from", metavar="NUMBER",
                            help="split the measures into categories as this document does (by measure number)")

    def handle(self, *args, **options):
        started = time.perf_counter()
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                text = notice_source_from_bytes(read_upload(handle), filename=path.name)
        except ImportFileError as error:
            raise CommandError(error.message) from None
        programme = programme_from_options(options)
        documents = PolicyDocument.objects.filter(programme=programme)
        document, new_document = None, None
        if options["document"]:
            document = documents.filter(number=options["document"]).first()
            if document is None:
                raise CommandError(f"No policy document numbered {options['document']!r}.")
        else:
            if not options["number"]:
                raise CommandError("Give the new document's --number (or --document to update an existing one).")
            supersedes = None
            if options["supersedes"]:
                supersedes = documents.filter(number=options["supersedes"]).first()
                if supersedes is None:
                    raise CommandError(f"No policy document numbered {options['supersedes']!r}.")
            new_document = new_document_fields(number=options["number"], title=options["title"], issuer=options["issuer"],
                                               issued_on=options["issued_on"], supersedes=supersedes)
        categories_from = None
        if options["categories_from"]:
            # The split is a specification only: the programme's own document first, else any programme's.
            categories_from = (documents.filter(number=options["categories_from"]).first()
                               or PolicyDocument.objects.filter(number=options["categories_from"]).first())
            if categories_from is None:
                raise CommandError(f"No policy document numbered {options['categories_from']!r}.")
        plan = plan_notice_text(text, document=document, new_document=new_document, create_bureaus=options["create_bureaus"],
                                categories_from=categories_from, programme=programme)
        document = finish_catalogue_import(self, plan, dry_run=options["dry_run"], verbose=options["verbosity"] > 1)
        if document is None:
            return
        self.stdout.write(self.style.SUCCESS(f"Created {document.number} with {len(plan.measures)} measures in "
                                             f"{time.perf_counter() - started:.2f} s."))
