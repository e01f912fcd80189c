"""``lianfang verify_consents``: check the consent register's hash chain; exits 1 when it is broken."""

from django.core.management.base import BaseCommand, CommandError

from lianfang.privacy.services import consent_chain_verify


class Command(BaseCommand):
    help = "Verify the consent register's hash chain (exit status 1 at the first broken record)."

    def handle(self, *args, **options):
        result = consent_chain_verify()
        if not result.ok:
            broken = result.broken.pk if result.broken else "-"
            raise CommandError(f"consent chain broken at record {broken} after {result.checked} good: {result.reason}")
        self.stdout.write(f"consent chain intact: {result.checked} records")
