from django.core.management.base import BaseCommand

from incentives import __version__


class Command(BaseCommand):
    help = "Print the application's version (pyproject.toml; what CHANGELOG.md lists). (`manage.py version` is Django's.)"

    def handle(self, *args, **options):
        self.stdout.write(__version__)
