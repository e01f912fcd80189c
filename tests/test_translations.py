"""Every page is Chinese by default: every marked string must have a Chinese translation.

The test extracts the messages afresh from a copy of the source (so a string added without a
translation fails here, not in front of a user) and checks the copy's catalogue.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SOURCE = Path(__file__).resolve().parent.parent / "lianfang"

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")


def _extract(tmp_path: Path) -> polib.POFile:
    copy = tmp_path / "lianfang"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "tests", "migrations"))
    for domain in ("django", "djangojs"):
        args = [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "-d", domain, "--no-obsolete"]
        if domain == "djangojs":
            args += ["-e", "js", "-i", "static/vendor/*"]
        subprocess.run(args, cwd=copy, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin"})
    return polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))


def test_every_marked_string_has_a_chinese_translation(tmp_path):
    catalogue = _extract(tmp_path)
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"{len(missing)} strings lack a Chinese translation, e.g. {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} Chinese translations are marked fuzzy, e.g. {fuzzy[:10]}"


def test_the_compiled_catalogue_is_up_to_date():
    po = SOURCE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), "run bin/translations to compile the catalogue"
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in polib.mofile(str(mo))}
    for entry in polib.pofile(str(po)).translated_entries():
        if not entry.msgid_plural:
            key = (entry.msgctxt, entry.msgid)
            assert compiled.get(key) == entry.msgstr, f"stale .mo for {entry.msgid!r}: run bin/translations"
