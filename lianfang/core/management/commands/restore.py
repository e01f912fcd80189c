"""``lianfang restore ARCHIVE``: put back a ``lianfang backup`` archive (database and uploaded files).

Checks the archive and the target before changing anything; see lianfang/core/backup.py.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core import backup
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind


def _local_time(iso: str) -> str:
    try:
        return timezone.localtime(datetime.datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


class Command(BaseCommand):
    help = (
        "Restore the database and the uploaded files from a lianfang backup archive. Refuses a database that "
        "holds data unless --replace is given. Stop Lianfang (web and jobs) first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="A .tar.gz archive written by lianfang backup.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace everything in a database that already holds data (and the uploaded files).",
        )

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        archive = Path(options["archive"])
        try:
            result = backup.restore(archive, replace=options["replace"], progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.print_counts(result)
        if result.extra_tables:
            self.stdout.write(
                _("Tables in the database that the backup does not have (left as they were): %(tables)s")
                % {"tables": ", ".join(result.extra_tables)}
            )
        if result.differences:
            raise CommandError(
                _("The restored database differs from the manifest in %(tables)s: do not use it; restore again.")
                % {"tables": ", ".join(result.differences)}
            )
        record_event(
            kind=AuditKind.IMPORT,
            user_name=f"system:{backup.who_runs_this()}",
            object_repr=archive.name,
            what="restore",
            backup_time=result.manifest.created,
            rows=sum(result.counts.values()),
            files=result.media_files,
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored in %(seconds).1f s from the backup of %(time)s: %(tables)d tables and %(rows)d rows "
                    "as in the manifest, %(files)d uploaded files. Run lianfang migrate if this version is newer than "
                    "the backup's (%(version)s), then start Lianfang."
                )
                % {
                    "seconds": seconds,
                    "time": _local_time(result.manifest.created),
                    "tables": len(result.manifest.tables),
                    "rows": sum(result.manifest.tables.values()),
                    "files": result.media_files,
                    "version": result.manifest.version,
                }
            )
        )

    def print_counts(self, result: backup.RestoreResult) -> None:
        rows = backup.summary_rows(result)
        width = max((len(t) for t, *_rest in rows), default=10)
        head = (pgettext("restore counts", "table"), pgettext("restore counts", "backup"), _("restored"))
        self.stdout.write(f"{head[0]:<{width}}  {head[1]:>10}  {head[2]:>10}")
        for table, expected, got, same in rows:
            line = f"{table:<{width}}  {'-' if expected is None else expected:>10}  {'-' if got is None else got:>10}"
            self.stdout.write(line if same else self.style.ERROR(line + "  ≠"))
