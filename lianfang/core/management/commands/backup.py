"""``lianfang backup``: the database and the uploaded files in one archive; ``--export-key`` for the key.

See lianfang/core/backup.py for what the archive holds and docs/operations.md for where to keep it.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from lianfang.core import backup
from lianfang.core.audit import record_event
from lianfang.core.models import AuditKind


class Command(BaseCommand):
    help = (
        "Back up the database and the uploaded files into one .tar.gz archive, or (--export-key) write the "
        "field-encryption key to a file of its own."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "output",
            nargs="?",
            default=".",
            help="The archive to write, or a folder to write lianfang-backup-<time>.tar.gz into (default: here).",
        )
        parser.add_argument(
            "--export-key",
            metavar="PATH",
            help="Write only the field-encryption key (LIANFANG_FIELD_KEY) to PATH, a new file; no archive is made.",
        )

    def handle(self, *args, **options) -> None:
        if options["export_key"]:
            self.export_key(Path(options["export_key"]))
            return
        started = time.monotonic()
        try:
            archive, manifest = backup.backup(Path(options["output"]), progress=self.stdout.write)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(manifest.tables.values())
        media = sum(1 for name in manifest.files if name.startswith(backup.MEDIA_PREFIX))
        record_event(
            kind=AuditKind.EXPORT,
            user_name=f"system:{backup.who_runs_this()}",
            object_repr=archive.name,
            what="backup",
            engine=manifest.engine,
            rows=rows,
            files=media,
        )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Backup written to %(path)s in %(seconds).1f s: %(tables)d tables, %(rows)d rows, "
                    "%(files)d uploaded files."
                )
                % {
                    "path": archive,
                    "seconds": time.monotonic() - started,
                    "tables": len(manifest.tables),
                    "rows": rows,
                    "files": media,
                }
            )
        )
        self.stdout.write(
            _(
                "The archive holds personal data but not the field key (fingerprint %(fingerprint)s): keep a copy "
                "of the key apart from it (lianfang backup --export-key PATH)."
            )
            % {"fingerprint": manifest.key_fingerprint}
        )

    def export_key(self, path: Path) -> None:
        try:
            fingerprint = backup.export_key(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        record_event(
            kind=AuditKind.EXPORT,
            user_name=f"system:{backup.who_runs_this()}",
            object_repr=path.name,
            what="field key",
            fingerprint=fingerprint,
        )
        self.stdout.write(self.style.SUCCESS(_("Field key written to %(path)s (fingerprint %(fingerprint)s).")
                                             % {"path": path, "fingerprint": fingerprint}))  # fmt: skip
        self.stderr.write(
            self.style.WARNING(
                _(
                    "Keep this file apart from the backups: in a password manager or a safe, never on the same disk, "
                    "server or storage as the archives. Whoever holds both can read every ID number; whoever loses "
                    "it cannot read the ID numbers of any backup. Delete this copy once it is stored."
                )
            )
        )
