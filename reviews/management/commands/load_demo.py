from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import translation

from nominations.demo import DEMO_PASSWORD, demo_load
from nominations.models import Cycle

from ...demo import demo_years_load


class Command(BaseCommand):
    help = ("Load the notice's catalogue, demo units, demo accounts and the demo's years (embedded default only): "
            "an open cycle, the year before on public notice with an objection, the year before that published "
            "with its bulletin.")

    def handle(self, *args, **options):
        # What the demo's people write (audit messages, names of objects, notifications) is written in the site's
        # language, Chinese, as their requests would have: a command otherwise runs in English.
        with translation.override(settings.LANGUAGE_CODE):
            self._load()

    def _load(self):
        call_command("loaddata", "organisation", "catalogue_2022", verbosity=0)
        rows = demo_load()
        call_command("sync_permissions", verbosity=0)
        open_year = Cycle.objects.filter(state=Cycle.State.OPEN).order_by("-year").values_list("year", flat=True).first()
        made = demo_years_load(open_year=open_year) if open_year else []
        self.stdout.write("Demo accounts (password for all: %s):" % DEMO_PASSWORD)
        for username, role, bureaus in rows:
            self.stdout.write(f"  {username:<10} {role}{'  ' + bureaus if bureaus else ''}")
        for cycle in made:
            self.stdout.write(f"  {cycle.year}: {cycle.get_state_display()}")
