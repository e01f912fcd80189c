"""``lianfang backup`` and ``lianfang restore`` (issue 11), and the restore drill.

The drill runs on the database the suite runs on: SQLite (the online backup API), and PostgreSQL
(pg_dump / pg_restore) when DATABASE_URL points to it. It backs up a small group, destroys the
database, restores it and compares every table's rows. bin/test also drills the demo on SQLite
(bin/restore-drill).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.utils import translation

from lianfang.core import backup
from lianfang.core.audit import record_event
from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.people.services import person_create
from lianfang.testing import make_id_number, make_tree, user_with_role

needs_pg_tools = pytest.mark.skipif(
    connection.vendor == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="pg_dump and pg_restore are not on the PATH",
)
pytestmark = [pytest.mark.django_db(transaction=True), needs_pg_tools]


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.MEDIA_ROOT / "consent").mkdir(parents=True)
    (settings.MEDIA_ROOT / "consent" / "paper-1.pdf").write_bytes(b"%PDF-1.4 signed on paper")
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def group(db):
    """A small group in use: units, a liaison, people (one with an ID number), an audit event."""
    tree = make_tree()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison")
    for i in range(5):
        person_create(
            actor=liaison,
            unit=tree.a1,
            name=f"王{i}",
            employee_no=f"E{i}",
            id_number=make_id_number(i + 1) if i == 0 else "",
        )
    record_event(kind=AuditKind.EXPORT, actor=liaison, unit=tree.a, object_repr="roster.xlsx")
    return tree


@pytest.fixture
def archive(group, tmp_path) -> Path:
    path, _manifest = backup.backup(tmp_path / "lianfang.tar.gz")
    return path


def destroy() -> None:
    """What a lost database leaves: the schema (migrate) and nothing in it."""
    call_command("flush", interactive=False, verbosity=0)


def test_the_restore_drill_brings_back_every_row_and_file(group, tmp_path, media):
    from lianfang.people.models import Person

    before = backup.current_counts()
    path, manifest = backup.backup(tmp_path / "drill.tar.gz")
    assert manifest.tables == before
    assert manifest.engine == connection.vendor
    destroy()
    shutil.rmtree(media)
    assert backup.current_counts() != before

    result = backup.restore(path)

    assert result.differences == []
    assert backup.current_counts() == before
    assert (media / "consent" / "paper-1.pdf").read_bytes() == b"%PDF-1.4 signed on paper"
    assert result.media_files == 1
    # Encrypted ID numbers come back readable with the same key.
    assert Person.objects.get(employee_no="E0").id_number == make_id_number(1)


def test_the_archive_holds_a_manifest_with_counts_and_checksums_but_never_the_key(archive, settings):
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
        payload = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    database = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    assert set(names) == {"manifest.json", database, "media/consent/paper-1.pdf"}
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["core_auditevent"] == 1
    assert set(manifest["files"]) == {database, "media/consent/paper-1.pdf"}
    assert manifest["version"] and manifest["created"]
    assert settings.FIELD_ENCRYPTION_KEY.encode() not in payload
    assert manifest["key_fingerprint"] == backup.key_fingerprint()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_the_commands_back_up_and_restore_with_counts_printed(group, tmp_path):
    out = io.StringIO()
    call_command("backup", str(tmp_path), stdout=out)
    assert "Backup written to" in out.getvalue()
    (path,) = tmp_path.glob("lianfang-backup-*.tar.gz")
    # The backup itself is audited (after the snapshot, so the archive does not hold its own event).
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, detail__what="backup").exists()
    expected = backup.current_counts()
    destroy()

    out = io.StringIO()
    call_command("restore", str(path), stdout=out)

    text = out.getvalue()
    assert "people_person" in text
    assert "Restored in" in text
    counts = backup.current_counts()
    assert counts["people_person"] == expected["people_person"] == 5
    # The restored database says it was restored.
    assert AuditEvent.objects.filter(kind=AuditKind.IMPORT, detail__what="restore").count() == 1


def test_a_restore_onto_a_database_in_use_is_refused_unless_told_to_replace(archive, media):
    from lianfang.people.models import Person

    Person.objects.filter(employee_no="E1").update(name="改过的名字")
    (media / "consent" / "new.pdf").write_bytes(b"new")
    with pytest.raises(CommandError, match=r"not empty.*--replace"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert Person.objects.get(employee_no="E1").name == "改过的名字"
    assert (media / "consent" / "new.pdf").exists()

    call_command("restore", str(archive), "--replace", stdout=io.StringIO())

    assert Person.objects.get(employee_no="E1").name == "王1"
    assert not (media / "consent" / "new.pdf").exists()


def _rewrite(archive: Path, target: Path, change) -> Path:
    """A copy of ``archive`` with members changed by ``change(name, data) -> data | None`` (None leaves it out)."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = change(member.name, src.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return target


def _other_engine(archive: Path, target: Path) -> Path:
    """The same archive as if made on the other engine (its database member renamed to match)."""
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    names = {"sqlite": backup.SQLITE_MEMBER, "postgresql": backup.PG_MEMBER}
    mine, theirs = names[connection.vendor], names[other]
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["engine"] = other
                manifest["files"][theirs] = manifest["files"].pop(mine)
                data = json.dumps(manifest).encode()
            elif member.name == mine:
                member.name = theirs
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    return target


def _manifest(edit):
    def change(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda a, t: t / "missing.tar.gz", "There is no file"),
        (lambda a, t: (t / "x.tar.gz").write_bytes(b"not an archive") and t / "x.tar.gz", "cannot be read"),
        (lambda a, t: (t / "cut.tar.gz").write_bytes(a.read_bytes()[:2000]) and t / "cut.tar.gz", "cannot be read"),
        (
            lambda a, t: _rewrite(a, t / "b.tar.gz", lambda n, d: b"%PDF forged" if n.startswith("media/") else d),
            "checksum of media/consent/paper-1.pdf",
        ),
        (
            lambda a, t: _rewrite(
                a, t / "b.tar.gz", lambda n, d: d[:-10] + b"0" * 10 if n.startswith("database") else d
            ),
            "checksum of database",
        ),
        (lambda a, t: _rewrite(a, t / "b.tar.gz", lambda n, d: None if n == "manifest.json" else d), "no manifest"),
        (lambda a, t: _rewrite(a, t / "b.tar.gz", lambda n, d: b"{]" if n == "manifest.json" else d), "manifest"),
        (
            lambda a, t: _rewrite(a, t / "b.tar.gz", lambda n, d: None if n.startswith("media/") else d),
            "does not match its manifest",
        ),
        (
            lambda a, t: _other_engine(a, t / "b.tar.gz"),
            "This backup is of a",
        ),
        (
            lambda a, t: _rewrite(
                a, t / "b.tar.gz", _manifest(lambda m: m["migrations"].append(["core", "9999_from_the_future"]))
            ),
            "newer Lianfang",
        ),
    ],
    ids=[
        "missing",
        "not-gzip",
        "truncated",
        "forged-file",
        "damaged-db",
        "no-manifest",
        "bad-manifest",
        "unlisted",
        "wrong-engine",
        "newer-version",
    ],
)
def test_a_bad_archive_is_refused_and_nothing_changes(archive, tmp_path, media, make, message):
    bad = make(archive, tmp_path)
    before = backup.current_counts()
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(bad), "--replace", stdout=io.StringIO())
    assert backup.current_counts() == before
    assert (media / "consent" / "paper-1.pdf").exists()


def test_a_restore_with_another_field_key_is_refused(archive):
    from cryptography.fernet import Fernet

    destroy()
    with (
        override_settings(FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode()),
        pytest.raises(CommandError, match="LIANFANG_FIELD_KEY"),
    ):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert backup.current_counts()["people_person"] == 0


def test_the_backup_never_overwrites_a_file(archive):
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(archive), stdout=io.StringIO())


def test_the_key_is_exported_to_a_file_of_its_own_with_a_warning(db, tmp_path, settings):
    out, err = io.StringIO(), io.StringIO()
    key_file = tmp_path / "lianfang-field-key.txt"
    call_command("backup", "--export-key", str(key_file), stdout=out, stderr=err)
    assert key_file.read_text().strip() == settings.FIELD_ENCRYPTION_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "Keep this file apart from the backups" in err.getvalue()
    assert backup.key_fingerprint() in out.getvalue()
    assert not list(tmp_path.glob("*.tar.gz"))  # the key alone, no archive beside it
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", "--export-key", str(key_file), stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump is only used on PostgreSQL")
def test_a_missing_pg_dump_is_a_clear_error(group, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump is not on the PATH"):
        call_command("backup", str(tmp_path), stdout=io.StringIO())
    assert not list(tmp_path.glob("*.tar.gz*"))


def test_only_files_are_unpacked_from_an_archive(archive, tmp_path):
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(evil, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
        link = tarfile.TarInfo("media/escape")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        dst.addfile(link)
    destroy()
    with pytest.raises(CommandError, match="not part of a Lianfang backup"):
        call_command("restore", str(evil), stdout=io.StringIO())
    assert not os.path.lexists(tmp_path / "media" / "escape")
