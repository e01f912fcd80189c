"""``lianfang serve``: run Lianfang the way production runs it, in one command.

Collects static files (only when they changed), applies migrations, then runs two children and
watches them: gunicorn serving ``lianfang.wsgi`` and the Huey job consumer (``run_huey``). Ctrl-C or
SIGTERM stops both cleanly; if either dies, the other is stopped too and the command fails, so a
process manager (systemd, a container runtime) sees one service that is up or down as a whole.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

DEFAULT_BIND = "127.0.0.1:8000"
STATIC_STAMP = ".lianfang-collected"
STOP_TIMEOUT = 30  # seconds a child gets to finish its requests or jobs before it is killed


def add_serve_arguments(parser) -> None:
    parser.add_argument(
        "--bind",
        default=os.environ.get("LIANFANG_BIND", DEFAULT_BIND),
        help=f"Address to listen on, host:port or unix:/path (default {DEFAULT_BIND}, or LIANFANG_BIND).",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY", "2")),
        help="Web worker processes (default 2, or WEB_CONCURRENCY).",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("LIANFANG_THREADS", "4")),
        help="Threads per web worker (default 4, or LIANFANG_THREADS).",
    )
    parser.add_argument("--no-jobs", action="store_true", help="Do not start the job consumer (run it elsewhere).")
    parser.add_argument("--access-log", action="store_true", help="Log every request to the console.")


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    stop_signal: int


class Supervisor:
    """Starts the children and stops all of them when one ends or when we are told to stop."""

    def __init__(self, write) -> None:
        self.write = write
        self.children: list[Child] = []
        self.stop_requested: int | None = None
        # Installed before any child starts, so a stop request during start-up is not lost.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self.stop_requested = signum

    def start(self, name: str, argv: list[str], stop_signal: int) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "lianfang.settings")}
        # The children must find the same data folder even if they resolve paths differently.
        env["LIANFANG_DATA_DIR"] = str(settings.DATA_DIR)
        self.children.append(Child(name, subprocess.Popen(argv, env=env), stop_signal))  # noqa: S603

    def all_running(self) -> bool:
        """No child has ended and nobody asked us to stop."""
        return self.stop_requested is None and all(c.process.poll() is None for c in self.children)

    def wait(self) -> int:
        ended: Child | None = None
        while self.stop_requested is None and ended is None:
            ended = next((c for c in self.children if c.process.poll() is not None), None)
            if ended is None:
                time.sleep(0.3)
        if ended is not None:
            self.write(
                _("%(name)s stopped unexpectedly (exit code %(code)s); stopping Lianfang.")
                % {"name": ended.name, "code": ended.process.returncode}
            )
        self.stop()
        if ended is None:
            self.write(_("Lianfang stopped."))
        return 0 if ended is None else 1

    def stop(self) -> None:
        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(child.stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()


def collectstatic_if_needed(write) -> None:
    """Run collectstatic when the static sources differ from what was collected last time.

    Hashing a few hundred files' sizes and times takes milliseconds; collecting with the manifest
    storage re-hashes and compresses every file and takes seconds, so it is skipped when nothing
    changed.
    """
    stamp = Path(settings.STATIC_ROOT) / STATIC_STAMP
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    write(_("Collecting static files…"))
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


def _static_fingerprint() -> str:
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(str(settings.STORAGES["staticfiles"]["BACKEND"]).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            st = os.stat(storage.path(path))
            entries.append(f"{path}\0{st.st_size}\0{st.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def _wait_until_listening(bind: str, supervisor: Supervisor, timeout: float = 60.0) -> None:
    """Return once the server accepts connections, a child has ended, or ``timeout`` has passed."""
    if bind.startswith(("unix:", "fd://")):
        return
    host, _sep, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104  (we connect to it, we do not bind it)
        host = "127.0.0.1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and supervisor.all_running():
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            time.sleep(0.2)


def _gunicorn_has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)


def migrate(write) -> None:
    write(_("Applying database migrations…"))
    # With the system checks: a misconfigured deployment stops here, before anything serves.
    call_command("migrate", interactive=False, verbosity=0, skip_checks=False)


def serve(options: dict, write, *, run_migrations: bool = True, quiet: bool = False, on_ready=None) -> int:
    """Prepare (static files, migrations) and run the web and job processes until stopped.

    ``quiet`` keeps the children's start-up chatter off the console (the demo wants its logins
    table to stay readable); ``on_ready`` is called once the web server accepts connections.
    """
    if settings.DEBUG:
        write(_("Warning: DEBUG is on; do not expose this server to other people."))
    collectstatic_if_needed(write)
    if run_migrations:
        migrate(write)

    supervisor = Supervisor(write)
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "lianfang.wsgi:application",
        "--bind",
        options["bind"],
        "--workers",
        str(options["workers"]),
        "--threads",
        str(options["threads"]),
        "--graceful-timeout",
        str(STOP_TIMEOUT - 5),
    ]
    if options.get("access_log"):
        gunicorn += ["--access-logfile", "-"]
    if quiet:
        gunicorn += ["--log-level", "warning"]
    if _gunicorn_has_control_socket():
        # We supervise gunicorn ourselves; its control socket sits at one path per user, so two
        # servers on a machine (the demo and the tests, say) would fight over it.
        gunicorn.append("--no-control-socket")
    # gunicorn stops gracefully on SIGTERM (finishes requests); Huey on SIGINT (finishes jobs).
    supervisor.start("gunicorn", gunicorn, signal.SIGTERM)
    if options.get("no_jobs") or settings.HUEY.get("immediate"):
        write(_("Job consumer not started: jobs run elsewhere or immediately."))
    else:
        # The checks ran with migrate (or with this command); the consumer need not run them again.
        huey = [sys.executable, "-m", "lianfang.cli", "run_huey", "--skip-checks"]
        supervisor.start("huey", [*huey, "--quiet"] if quiet else huey, signal.SIGINT)

    _wait_until_listening(options["bind"], supervisor)
    if supervisor.all_running():
        if on_ready is not None:
            on_ready()
        url = options["bind"] if options["bind"].startswith("unix:") else f"http://{options['bind']}/"
        write(_("Lianfang is serving on %(url)s — press Ctrl-C to stop.") % {"url": url})
    return supervisor.wait()


class Command(BaseCommand):
    help = "Serve Lianfang: collect static files, migrate, then run gunicorn and the job consumer."
    # Messages follow the group's default language (settings.LANGUAGE_CODE), like the web pages.
    leave_locale_alone = True
    requires_system_checks = []  # migrate() runs them, so they run once

    def add_arguments(self, parser) -> None:
        add_serve_arguments(parser)

    def handle(self, *args, **options) -> None:
        code = serve(options, self.stdout.write)
        if code:
            raise CommandError(_("Lianfang stopped because one of its processes failed."), returncode=code)
