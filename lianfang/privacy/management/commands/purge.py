"""``lianfang purge [--dry-run] [--category X]``: delete personal data past its retention now.

The nightly job does the same (and the purges of stand-downs whose grace period is over); the
command is for the office's operator: to see what the night would delete (``--dry-run``, which
changes nothing), or to purge one category at once after its retention was shortened.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from lianfang.core import context
from lianfang.privacy import purge
from lianfang.privacy.models import PurgeTrigger


class Command(BaseCommand):
    help = "Delete personal data past its retention and redact the change log that holds it (--dry-run: count only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; change nothing.")
        parser.add_argument(
            "--category", choices=purge.categories_with_providers(), help="Purge this category of personal data only."
        )
        parser.add_argument("--batch", type=int, default=purge.BATCH, help="Rows deleted per transaction.")

    def handle(self, *args, dry_run: bool = False, category: str | None = None, batch: int = purge.BATCH, **options):
        with context.bind(context.RequestContext(source="command")):
            try:
                receipt = purge.run_retention(
                    dry_run=dry_run, category=category, trigger=PurgeTrigger.COMMAND, batch=max(batch, 1)
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        title = "purge (dry run: nothing changed)" if receipt.dry_run else "purge"
        self.stdout.write(f"{title} {receipt.run_id}")
        self.stdout.write(
            f"{'category':<14}{'kept (days)':>12}  {'before':<11}{'rows':>10}{'changes':>10}{'events':>8}  oldest kept"
        )
        for key, row in receipt.categories.items():
            self.stdout.write(
                f"{key:<14}{row['retention_days'] or '-':>12}  {row['before']:<11}{row['deleted']:>10}"
                f"{row['changes_redacted']:>10}{row['events_redacted']:>8}  {row['oldest_kept'] or '-'}"
            )
            for label, n in sorted(row["rows"].items()):
                self.stdout.write(f"    {label:<30}{n:>10}")
        seconds = (receipt.finished - receipt.started).total_seconds()
        self.stdout.write(f"{seconds:.1f} s, longest transaction {receipt.longest_transaction_ms} ms")
