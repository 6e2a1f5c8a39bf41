"""First start and every upgrade in one step: migrate (as the tables' owner, DATABASE_OWNER_URL, when set; then
the application's role is granted its rights: grant_app_role), load the 2022 notice's organisation and catalogue when the
database has none yet, and rebuild the groups and object permissions. Safe to run again at any time."""

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = ("Migrate the database; on an empty database load the organisation and the 2022 catalogue "
            "(fixtures organisation, catalogue_2022); rebuild groups and permissions (sync_permissions).")

    def add_arguments(self, parser):
        parser.add_argument("--no-fixtures", action="store_true",
                            help="never load the fixtures (a database restored from a backup, an own catalogue)")

    def handle(self, *args, no_fixtures=False, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        self.stdout.write("Migrations applied.")
        if settings.CONNECTED_AS_OWNER:
            # Two roles (DATABASE_OWNER_URL set): the application's role has row rights on every table, new or old.
            call_command("grant_app_role", verbosity=verbosity, stdout=self.stdout)
        Bureau = apps.get_model("organisation", "Bureau")
        Measure = apps.get_model("measures", "Measure")
        if no_fixtures:
            self.stdout.write("Fixtures not loaded (--no-fixtures).")
        elif Bureau.objects.exists() or Measure.objects.exists():
            self.stdout.write("The database already has bureaus or measures: fixtures not loaded.")
        else:
            call_command("loaddata", "organisation", "catalogue_2022", verbosity=max(verbosity - 1, 0))
            self.stdout.write(f"Loaded the organisation ({Bureau.objects.count()} bureaus) and the 2022 catalogue "
                              f"({Measure.objects.count()} measures).")
        call_command("sync_permissions", verbosity=verbosity, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Ready."))
