"""Check the signature of any copy of a bulletin (PDF or OFD) against the deployment's certificates."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews import seal


class Command(BaseCommand):
    help = ("Check the electronic seal of a copy of a bulletin: a PDF's PAdES signature (pyHanko's validator, "
            "against BULLETIN_TRUST_ROOTS or the signing certificate) or an OFD's SM2 signature (against "
            "BULLETIN_SM2_CERT). Exits with 1 when the copy is unsigned, changed or signed by someone else.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            verdict = seal.verify_copy(data)
        except seal.SealError as error:
            raise CommandError(str(error)) from None
        kind = verdict.kind.upper()
        if verdict.valid:
            note = " (a self-signed TEST certificate)" if verdict.self_signed else ""
            self.stdout.write(f"{file}: {kind} signature valid; signed by {verdict.signer}{note}"
                              + (f" at {verdict.signed_at}" if verdict.signed_at else ""))
            return
        raise CommandError(f"{file}: {kind} signature NOT valid: {'; '.join(verdict.problems)}")
