"""Backing up and restoring a whole Lianfang: the database and the uploaded files, in one archive.

The archive is a ``.tar.gz`` holding

* ``manifest.json``: the archive format, Lianfang's version, the database engine, the time, the rows
  of every table, the applied migrations, the field key's fingerprint and a SHA-256 of every other
  member;
* ``database.sqlite3`` (SQLite's online backup API: a consistent copy while Lianfang runs) or
  ``database.pgdump`` (``pg_dump -Fc``, taken in the same snapshot as the row counts);
* ``media/…``: the uploaded files (``MEDIA_ROOT``).

The field-encryption key (``LIANFANG_FIELD_KEY``) is never in the archive: a stolen archive must not
hold both the ID numbers and the key that opens them. :func:`export_key` writes it to a file of its
own, to be kept somewhere else.

A restore checks everything before it changes anything: the archive opens, every member's checksum
matches the manifest, the engine is the configured one, the migrations are known to this version,
the configured field key is the backup's, and the database is empty unless ``replace`` is given.
Only then is the database replaced (SQLite: the backup API into the live file, one step; PostgreSQL:
``pg_restore --clean --single-transaction``, all or nothing), then the uploaded files. The rows are
counted again and compared with the manifest.

Used by the ``lianfang backup`` and ``lianfang restore`` commands; messages are for the operator.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA_PREFIX = "media/"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class Manifest:
    engine: str
    created: str
    version: str
    tables: dict[str, int]
    migrations: list[list[str]]
    key_fingerprint: str
    files: dict[str, str] = field(default_factory=dict)  # member → sha256
    format: int = FORMAT

    def as_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError(
                    _("This archive's format (%(format)s) is not one this version of Lianfang reads.")
                    % {"format": raw.get("format")}
                )
            return cls(
                engine=str(raw["engine"]),
                created=str(raw["created"]),
                version=str(raw["version"]),
                tables={str(k): int(v) for k, v in raw["tables"].items()},
                migrations=[[str(a), str(n)] for a, n in raw["migrations"]],
                key_fingerprint=str(raw["key_fingerprint"]),
                files={str(k): str(v) for k, v in raw["files"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(_("The archive's manifest is damaged: it is not a Lianfang backup.")) from exc


@dataclass
class RestoreResult:
    manifest: Manifest
    counts: dict[str, int]
    media_files: int
    extra_tables: list[str]

    @property
    def differences(self) -> list[str]:
        return [t for t, n in self.manifest.tables.items() if self.counts.get(t) != n]


def version() -> str:
    try:
        return metadata.version("lianfang")
    except metadata.PackageNotFoundError:  # pragma: no cover  (running from a plain checkout)
        return "unknown"


def key_fingerprint(key: str | None = None) -> str:
    """A short digest that tells two field keys apart without revealing either."""
    key = settings.FIELD_ENCRYPTION_KEY if key is None else key
    return hashlib.sha256(b"lianfang field key fingerprint\0" + key.strip().encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _connection(using: str = DEFAULT_DB_ALIAS):
    connection = connections[using]
    if connection.vendor not in ENGINE_NAMES:
        raise BackupError(
            _("Backups are made of SQLite or PostgreSQL databases, not %(vendor)s.") % {"vendor": connection.vendor}
        )
    return connection


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _count_rows(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608  (names from the catalogue)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _sqlite_tables(cursor) -> list[str]:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return [row[0] for row in cursor.fetchall()]


_PG_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() AND NOT c.relispartition"
)


def _pg_tables(cursor) -> list[str]:
    cursor.execute(_PG_TABLES)
    return [row[0] for row in cursor.fetchall()]


def current_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows in every table of the configured database."""
    connection = _connection(using)
    with connection.cursor() as cursor:
        tables = _sqlite_tables(cursor) if connection.vendor == "sqlite" else _pg_tables(cursor)
        return _count_rows(cursor, tables)


def _applied_migrations(counts_cursor) -> list[list[str]]:
    counts_cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [[app, name] for app, name in counts_cursor.fetchall()]


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s is not on the PATH. Install the PostgreSQL client programs of the server's version "
                "(on Debian or Ubuntu: apt install postgresql-client) and try again."
            )
            % {"tool": name}
        )
    return path


def _pg_environment(connection) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment for pg_dump / pg_restore (the password never on the command line)."""
    s = connection.settings_dict
    args = []
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    options = s.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("sslcert", "PGSSLCERT")):
        if options.get(option):
            env[variable] = str(options[option])
    args += ["--no-password", "--dbname", str(s["NAME"])]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": (done.stderr or done.stdout).strip()[-2000:]}
        )


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files() -> Iterator[tuple[Path, str]]:
    root = _media_root()
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path, MEDIA_PREFIX + path.relative_to(root).as_posix()


# --- backup ----------------------------------------------------------------------------------------


def _dump_sqlite(connection, target: Path) -> tuple[dict[str, int], list[list[str]]]:
    connection.ensure_connection()
    destination = sqlite3.connect(str(target))
    try:
        # Pages are copied in one step, so the copy is one consistent state of the live database.
        connection.connection.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cursor = destination.cursor()
        counts = _count_rows(cursor, _sqlite_tables(cursor))
        migrations = _applied_migrations(cursor)
    finally:
        destination.close()
    return counts, migrations


def _dump_postgresql(connection, target: Path) -> tuple[dict[str, int], list[list[str]]]:
    pg_dump = _pg_tool("pg_dump")
    args, env = _pg_environment(connection)
    # The counts and the dump read the same snapshot, so the manifest describes exactly what was dumped.
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        cursor = raw.cursor()
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor, _pg_tables(cursor))
        migrations = _applied_migrations(cursor)
        _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
              "--file", str(target), *args], env)  # fmt: skip
        cursor.execute("ROLLBACK")
    finally:
        raw.close()
    return counts, migrations


def default_archive_name(now: datetime.datetime | None = None) -> str:
    now = timezone.localtime(now)
    return f"lianfang-backup-{now:%Y%m%d-%H%M%S}.tar.gz"


def backup(
    output: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Callable[[str], None] = lambda s: None
) -> tuple[Path, Manifest]:
    """Write the database and the uploaded files to a new archive at ``output`` (a file, or a folder to
    write a time-stamped file into); returns the archive's path and its manifest."""
    connection = _connection(using)
    if output.is_dir():
        output = output / default_archive_name()
    if output.exists():
        raise BackupError(_("%(path)s already exists: name a new file.") % {"path": output})
    if not output.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": output.parent})
    partial = output.with_name(output.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="lianfang-backup-", dir=output.parent) as scratch:
        created = timezone.now()
        if connection.vendor == "sqlite":
            member = SQLITE_MEMBER
            progress(_("Copying the SQLite database …"))
            counts, migrations = _dump_sqlite(connection, Path(scratch) / member)
        else:
            member = PG_MEMBER
            progress(_("Dumping the PostgreSQL database (pg_dump) …"))
            counts, migrations = _dump_postgresql(connection, Path(scratch) / member)
        database = Path(scratch) / member
        media = list(_media_files())
        manifest = Manifest(
            engine=connection.vendor,
            created=created.isoformat(),
            version=version(),
            tables=counts,
            migrations=migrations,
            key_fingerprint=key_fingerprint(),
            files={member: _sha256(database), **{name: _sha256(path) for path, name in media}},
        )
        progress(_("Writing the archive (%(files)d uploaded files) …") % {"files": len(media)})
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: owner only
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=3) as tar:
                data = manifest.as_json()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(data), int(created.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
                tar.add(database, arcname=member, recursive=False)
                for path, name in media:
                    tar.add(path, arcname=name, recursive=False)
            partial.rename(output)
        finally:
            partial.unlink(missing_ok=True)
    return output, manifest


def export_key(path: Path) -> str:
    """Write the field-encryption key to ``path`` (a new file, readable by its owner only); returns its fingerprint.

    The file holds the key alone, so that it can be given back as ``LIANFANG_FIELD_KEY`` or copied to
    ``data/field_key`` of an embedded installation.
    """
    if path.exists():
        raise BackupError(_("%(path)s already exists: name a new file.") % {"path": path})
    if not path.parent.is_dir():
        raise BackupError(_("The folder %(path)s does not exist.") % {"path": path.parent})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(settings.FIELD_ENCRYPTION_KEY.strip() + "\n")
    return key_fingerprint()


# --- restore ---------------------------------------------------------------------------------------


def _safe_member(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name == p.as_posix()


@contextmanager
def open_archive(archive: Path, scratch: Path) -> Iterator[Manifest]:
    """Unpack ``archive`` into ``scratch`` and check it against its manifest; yields the manifest.

    Refuses a missing file, a file that is not a gzip'd tar, a member outside the archive's folder or
    not a plain file, a member the manifest does not list, a listed member that is missing, and any
    member whose SHA-256 differs from the manifest's.
    """
    if not archive.is_file():
        raise BackupError(_("There is no file %(path)s.") % {"path": archive})
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                if member.isdir():
                    continue
                if not member.isfile() or not _safe_member(member.name):
                    raise BackupError(
                        _("The archive holds %(name)s, which is not part of a Lianfang backup.") % {"name": member.name}
                    )
            names = {m.name for m in members if m.isfile()}
            if MANIFEST not in names:
                raise BackupError(_("%(path)s is not a Lianfang backup: it has no manifest.") % {"path": archive})
            # Members were checked above; the "data" filter refuses anything unsafe once more.
            tar.extractall(scratch, members=[m for m in members if m.isfile()], filter="data")
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, zlib.error) as exc:
        raise BackupError(
            _("%(path)s cannot be read as a Lianfang backup (a .tar.gz archive): %(error)s")
            % {"path": archive, "error": exc}
        ) from exc
    manifest = Manifest.from_json((scratch / MANIFEST).read_bytes())
    listed = set(manifest.files)
    unlisted = sorted(names - listed - {MANIFEST})
    missing = sorted(listed - names)
    if unlisted or missing:
        raise BackupError(
            _("The archive does not match its manifest (missing: %(missing)s; not listed: %(unlisted)s).")
            % {"missing": ", ".join(missing) or "-", "unlisted": ", ".join(unlisted) or "-"}
        )
    damaged = sorted(name for name, digest in manifest.files.items() if _sha256(scratch / name) != digest)
    if damaged:
        raise BackupError(
            _("The archive is damaged: the checksum of %(names)s does not match the manifest.")
            % {"names": ", ".join(damaged)}
        )
    if manifest.engine not in ENGINE_NAMES or (
        (SQLITE_MEMBER if manifest.engine == "sqlite" else PG_MEMBER) not in manifest.files
    ):
        raise BackupError(_("The archive's manifest is damaged: it is not a Lianfang backup."))
    yield manifest


def _check_target(manifest: Manifest, connection, *, replace: bool) -> None:
    if manifest.engine != connection.vendor:
        raise BackupError(
            _(
                "This backup is of a %(archive)s database, but Lianfang is configured for %(configured)s. "
                "Restore it into a %(archive)s database (set DATABASE_URL accordingly); moving between "
                "engines is not done by a restore."
            )
            % {"archive": ENGINE_NAMES[manifest.engine], "configured": ENGINE_NAMES[connection.vendor]}
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest.migrations if (app, name) not in known]
    if unknown:
        raise BackupError(
            _(
                "This backup was made by a newer Lianfang (version %(version)s): this version does not know the "
                "migrations %(names)s. Install that version or a newer one, then restore."
            )
            % {"version": manifest.version, "names": ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")}
        )
    if manifest.key_fingerprint != key_fingerprint():
        raise BackupError(
            _(
                "The configured field key (LIANFANG_FIELD_KEY, fingerprint %(configured)s) is not the one this "
                "backup was made with (fingerprint %(archive)s): the restored ID numbers could not be read. Set "
                "LIANFANG_FIELD_KEY to the exported key (or, in the embedded set-up, put it in data/field_key), "
                "then restore."
            )
            % {"configured": key_fingerprint(), "archive": manifest.key_fingerprint}
        )
    if not replace:
        holding = _holding_data(connection.alias)
        if holding:
            raise BackupError(
                _(
                    "The database is not empty (%(tables)s hold data). Restore into an empty database, or give "
                    "--replace to replace everything in it with the backup."
                )
                % {"tables": ", ".join(holding)}
            )


def _holding_data(using: str) -> list[str]:
    """The tables that show a database is in use: accounts, the change log, audit events.

    ``migrate`` alone seeds some tables (questions, unit kinds, the catalogue) but never writes an account
    or a log row; any use of Lianfang does both.
    """
    from django.contrib.auth import get_user_model

    from lianfang.core.models import AuditEvent, ObjectChange

    models = (get_user_model(), ObjectChange, AuditEvent)
    return [m._meta.db_table for m in models if m._base_manager.using(using).exists()]


def _restore_sqlite(connection, source: Path) -> None:
    connection.ensure_connection()
    live = connection.connection
    if live.in_transaction:
        live.commit()
    origin = sqlite3.connect(str(source))
    try:
        # The backup API replaces every page of the live database in one step (WAL-safe).
        origin.backup(live)
    finally:
        origin.close()


def _restore_postgresql(connection, source: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    args, env = _pg_environment(connection)
    connection.close()  # our own session must not hold a lock on a table pg_restore drops
    _run([pg_restore, "--clean", "--if-exists", "--single-transaction", "--exit-on-error", "--no-owner",
          "--no-privileges", *args, str(source)], env)  # fmt: skip


def _restore_media(scratch: Path) -> int:
    """Replace MEDIA_ROOT by the archive's files: the new folder is built beside it, then swapped in."""
    source = scratch / MEDIA_PREFIX.rstrip("/")
    root = _media_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=root.parent))
    count = 0
    if source.is_dir():
        shutil.copytree(source, staged, dirs_exist_ok=True)
        count = sum(1 for p in staged.rglob("*") if p.is_file())
    old = root.with_name(root.name + ".before-restore")
    if root.exists():
        shutil.rmtree(old, ignore_errors=True)
        root.rename(old)
    staged.rename(root)
    shutil.rmtree(old, ignore_errors=True)
    return count


def restore(
    archive: Path,
    *,
    replace: bool = False,
    using: str = DEFAULT_DB_ALIAS,
    progress: Callable[[str], None] = lambda s: None,
) -> RestoreResult:
    """Restore the database and the uploaded files from ``archive``.

    Nothing is changed unless every check passes (see :func:`open_archive` and the module docstring).
    """
    connection = _connection(using)
    scratch_parent = _media_root().parent if _media_root().parent.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="lianfang-restore-", dir=scratch_parent) as tmp:
        scratch = Path(tmp)
        progress(_("Checking the archive …"))
        with open_archive(archive, scratch) as manifest:
            _check_target(manifest, connection, replace=replace)
            progress(_("Restoring the database …"))
            if manifest.engine == "sqlite":
                _restore_sqlite(connection, scratch / SQLITE_MEMBER)
            else:
                _restore_postgresql(connection, scratch / PG_MEMBER)
            progress(_("Restoring the uploaded files …"))
            media_files = _restore_media(scratch)
    counts = current_counts(using)
    extra = sorted(set(counts) - set(manifest.tables))
    return RestoreResult(manifest=manifest, counts=counts, media_files=media_files, extra_tables=extra)


def who_runs_this() -> str:
    """The operating-system account running a command, for the audit event (commands have no signed-in user)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover  (no passwd entry in some containers)
        return str(os.getuid())


def summary_rows(result: RestoreResult) -> list[tuple[str, Any, Any, bool]]:
    """(table, rows in the manifest, rows now, equal) for every table of either."""
    tables = sorted(set(result.manifest.tables) | set(result.counts))
    return [
        (t, result.manifest.tables.get(t), result.counts.get(t), result.manifest.tables.get(t) == result.counts.get(t))
        for t in tables
    ]
