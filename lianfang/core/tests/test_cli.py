"""The ``lianfang`` command: manage.py under its own name, ``load_demo``, ``demo`` and ``serve``."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import translation

from lianfang.cli import main
from lianfang.demo import loader as demo
from lianfang.org.models import Unit
from lianfang.people.models import Person
from lianfang.testing import UserFactory

ROOT = Path(__file__).resolve().parents[3]

# Tests that start ``lianfang`` processes on their own SQLite file do not depend on the database the
# suite runs on, so they run once, in the SQLite pass of bin/test.
embedded_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs once, in the SQLite pass (it uses its own SQLite file)"
)


def lianfang_env(data_dir: Path, **extra: str) -> dict[str, str]:
    leave_out = {"DATABASE_URL", "REDIS_URL", "LIANFANG_PRODUCTION", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    env.update(LIANFANG_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), **extra)
    return env


def run_lianfang(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lianfang.cli", *args],
        cwd=ROOT,
        env=lianfang_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_console_script_is_declared_in_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["lianfang"] == "lianfang.cli:main"


def test_lianfang_runs_manage_py_commands_and_lists_its_own(capsys):
    main(["help", "--commands"])
    listed = capsys.readouterr().out.split()
    for command in ("migrate", "createsuperuser", "serve", "demo", "load_demo", "run_huey"):
        assert command in listed


def test_lianfang_explains_serve_and_its_options(capsys):
    main(["help", "serve"])
    out = capsys.readouterr().out
    assert "--bind" in out and "--workers" in out and "--no-jobs" in out


@pytest.mark.django_db
def test_load_demo_refuses_a_database_with_other_units_and_writes_nothing(tree):
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not Person.objects.exists()
    assert not Unit.objects.filter(code__startswith="E").exists()
    assert not get_user_model().objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_load_demo_refuses_when_a_persona_user_name_is_taken():
    UserFactory(username="admin")
    with pytest.raises(CommandError, match="admin"):
        call_command("load_demo")
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_load_demo_is_never_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_force_reset_refuses_a_database_it_must_not_wipe(tree):
    # The suite runs on an in-memory SQLite database or on PostgreSQL: neither may be wiped.
    with pytest.raises(CommandError, match="--force-reset"):
        call_command("load_demo", force_reset=True)
    assert Unit.objects.filter(code="A").exists()


@embedded_only
def test_demo_migrates_loads_and_prints_the_logins_then_force_reset_starts_again(tmp_path):
    first = run_lianfang(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    for persona in demo.PERSONAS:
        assert persona.username in first.stdout
    assert demo.DEMO_PASSWORD in first.stdout
    assert (tmp_path / "lianfang.sqlite3").exists()

    again = run_lianfang(tmp_path, "load_demo", "--skip-checks")
    assert again.returncode == 0, again.stderr

    reset = run_lianfang(tmp_path, "load_demo", "--skip-checks", "--force-reset")
    assert reset.returncode == 0, reset.stderr
    assert "2000" in reset.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name may hold spaces; the parent pid is the second field after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@embedded_only
@pytest.mark.skipif(not Path("/proc").exists(), reason="reads child processes from /proc")
def test_serve_runs_the_web_server_and_the_job_consumer_and_stops_both_on_sigterm(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lianfang.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=lianfang_env(tmp_path, LIANFANG_JOBS_IMMEDIATE="0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        listening = False
        while time.monotonic() < deadline and process.poll() is None and not listening:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                listening = True
            except OSError:
                time.sleep(0.3)
        assert listening, "the web server never listened"
        time.sleep(1)  # let the job consumer finish starting
        children = _children(process.pid)
        assert len(children) == 2, children  # gunicorn's master and the Huey consumer
        process.send_signal(signal.SIGTERM)
        output, _err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert not any(_alive(pid) for pid in children)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


@pytest.mark.django_db
def test_load_demo_says_what_it_loaded_including_cases_and_materials():
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_demo", stdout=out)
    printed = out.getvalue()
    assert "Demo group loaded" in printed
    assert "Prevention and control: 5 cases" in printed
    assert "stock movements" in printed and "transfers" in printed
