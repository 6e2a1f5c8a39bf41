from django.core.management import call_command
from django.core.management.base import BaseCommand

from nominations.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the notice's catalogue, demo units, an open cycle and demo accounts (embedded default only)."

    def handle(self, *args, **options):
        call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
        rows = demo_load()
        call_command("sync_permissions", verbosity=0)
        self.stdout.write("Demo accounts (password for all: %s):" % DEMO_PASSWORD)
        for username, role, bureaus in rows:
            self.stdout.write(f"  {username:<10} {role}{'  ' + bureaus if bureaus else ''}")
