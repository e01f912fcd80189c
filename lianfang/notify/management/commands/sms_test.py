"""``lianfang sms_test <phone>``: send one test SMS through the configured provider and show its answer."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lianfang.core.masking import mask_phone
from lianfang.notify.choices import MessageKind
from lianfang.notify.sms import send_sms


class Command(BaseCommand):
    help = "Send a test SMS through the configured provider (LIANFANG_SMS_*) and print its answer."

    def add_arguments(self, parser):
        parser.add_argument("phone", nargs="+", help="mainland mobile number(s)")
        parser.add_argument("--text", default="", help="the text of the template's variable (content)")

    def handle(self, *args, **options):
        text = options["text"] or f"Lianfang SMS test {timezone.localtime():%Y-%m-%d %H:%M}"
        try:
            result = send_sms(options["phone"], text, purpose=MessageKind.SMS_TEST)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"provider: {result.provider}")
        for phone in result.accepted:
            self.stdout.write(self.style.SUCCESS(f"{mask_phone(phone)}: accepted"))
        for phone, message in result.failed.items():
            self.stdout.write(self.style.ERROR(f"{mask_phone(phone)}: {message}"))
        if result.failed:
            raise CommandError("Not every number was accepted; see the Deliveries page.")
