from django.core.management.base import BaseCommand, CommandError

from incentives.errors import DomainError
from organisation.models import Programme
from organisation.services import programme_create


class Command(BaseCommand):
    help = ("Create a government's 督查激励 programme beside the default one (Guangzhou's). Then import its notice "
            "with `import_notice FILE --programme CODE --create-bureaus`, its units with `import_organisation "
            "units FILE --programme CODE`, and give it reviewers in the admin (Programmes).")

    def add_arguments(self, parser):
        parser.add_argument("code", help="a slug for URLs and commands, e.g. jiangsu")
        parser.add_argument("--name", required=True, help="e.g. 江苏省督查激励")
        parser.add_argument("--government", required=True, help="e.g. 江苏省人民政府")
        parser.add_argument("--level", required=True, choices=Programme.Level.values)
        parser.add_argument("--general-office", required=True, help="e.g. 江苏省人民政府办公厅")
        parser.add_argument("--bureau-prefix", default="", help="市, 省 or 区; empty for ministries")
        parser.add_argument("--place-name", default="", help="e.g. 江苏省")
        parser.add_argument("--issuer-mark", default="", help="default: the general office followed by 文件")
        parser.add_argument("--number-prefix", required=True, help="the bulletin's document-number prefix, e.g. 苏政办")
        parser.add_argument("--addressees", default="", help="the bulletin's addressees (主送)")
        parser.add_argument("--copies-to", default="", help="the bulletin's 抄送")
        parser.add_argument("--printing-office", default="", help="default: the general office")

    def handle(self, *args, **options):
        office = options["general_office"]
        try:
            programme = programme_create(
                actor=None, code=options["code"], name=options["name"], government=options["government"],
                level=options["level"], general_office=office, bureau_prefix=options["bureau_prefix"],
                place_name=options["place_name"], issuer_mark=options["issuer_mark"] or f"{office}文件",
                number_prefix=options["number_prefix"], addressees=options["addressees"] or "各有关单位",
                copies_to=options["copies_to"], printing_office=options["printing_office"] or office)
        except DomainError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Created the programme {programme.code} ({programme.name})."))
