"""Encrypt every personal-data value again with the current key of PERSONAL_DATA_KEYS (deploy/README.md, Keys)."""

from django.core.management.base import BaseCommand, CommandError

from incentives import crypto
from organisation.services import personal_data_key_rotate


class Command(BaseCommand):
    help = ("Encrypt again, with the first key of PERSONAL_DATA_KEYS, every encrypted value written with an older "
            "key of the ring (an audit record per model); the older keys can then be removed from the ring.")

    def handle(self, *args, **options):
        try:
            outcome = personal_data_key_rotate()
        except crypto.PersonalDataKeyError as error:
            raise CommandError(f"Stopped: {error}. Rows done so far keep the current key; run it again once the "
                               f"ring holds the missing key.") from None
        current = crypto.current_key().id
        for label, result in outcome.items():
            moved = ", ".join(f"{n} value(s) from {key}" for key, n in sorted(result["from"].items())) or "none older"
            self.stdout.write(f"{label}: {result['rows']} row(s) encrypted again with {current} ({moved})")
        self.stdout.write(f"Done: every value is encrypted with the key {current}.")
