"""Background jobs a person starts and watches (imports today; exports and recomputes later).

The life of a job:

1. a service creates the :class:`~lianfang.core.models.Job` row (``job_create``) and enqueues it
   with ``job_enqueue``, which hands the id to Huey only when the transaction commits (so the
   worker never looks for a row that is not there yet);
2. the worker calls ``job_run``: it claims the job (pending → running, once, so a task delivered
   twice does nothing the second time), runs the runner registered for the job's kind in the
   language of the person who started it, and records success or failure;
3. the page polls ``job_progress``.

A worker can die under a job (the process is killed, the machine restarts): the row then stays
pending or running and its page would poll for ever. ``job_fail_stale``, run every few minutes by
a periodic task (``core/tasks.py``), fails the jobs that have shown no sign of life for a while: no
write of the row (``Job.updated``) and no progress report (each carries its time) for 30 minutes,
where a healthy import reports progress every few seconds.

Progress is not written to the job row while the job runs. An import writes in one transaction;
on SQLite that transaction holds the database's only write lock, so a progress ``UPDATE`` from a
second connection would wait until the import is over (and on PostgreSQL it would cost a commit
per update). Progress goes to a side channel instead, and to the row when the job finishes:

* the Django cache when it is shared between processes (Redis, in production);
* otherwise a small JSON file per job under the data folder. The embedded set-up runs the web
  server and the job consumer as separate processes on one machine, and its local-memory cache is
  per process, so only the file system is shared; the file is replaced atomically on each update.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules, import_string
from django.utils.translation import gettext as _

from lianfang.core import context
from lianfang.core.models import Job, JobStatus

logger = logging.getLogger(__name__)

JobRunner = Callable[[Job], dict[str, Any]]
_RUNNERS: dict[str, JobRunner] = {}
PROGRESS_TTL = 24 * 3600


class JobFailed(Exception):
    """Raised by a runner for a failure the person can act on; ``errors`` are shown as they are.

    Each error is a dict with ``row``, ``column``, ``value`` and ``message`` (row and column may be
    empty for problems with the whole file).
    """

    def __init__(self, errors: list[dict[str, Any]], *, result: dict[str, Any] | None = None):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors
        self.result = result or {}


def error(message: str, *, row: int | None = None, column: str = "", value: Any = "") -> dict[str, Any]:
    """One error of a job, in the shape the status page and the error report show."""
    text = "" if value is None else str(value)
    return {"row": row, "column": column, "value": text[:200], "message": str(message)}


def register_runner(kind: str) -> Callable[[JobRunner], JobRunner]:
    """Declare the function that runs jobs of ``kind`` (in the app's ``tasks.py``)."""

    def decorator(fn: JobRunner) -> JobRunner:
        _RUNNERS[kind] = fn
        return fn

    return decorator


def _runner_for(kind: str) -> JobRunner:
    if kind not in _RUNNERS:
        # The Huey consumer imports every app's tasks.py; a web process running a job in-process
        # (immediate mode) may not have imported them yet.
        autodiscover_modules("tasks")
    return _RUNNERS[kind]


def job_create(
    *, actor, kind: str, unit=None, file_name: str = "", payload: bytes | None = None, total: int = 0
) -> Job:
    """A pending job started by ``actor``.

    The job row is bookkeeping, not a change to the organisation's data, so it is not written to
    the change log; the runner records the audit event of what the job did (an import, an export).
    Messages are produced in the starter's current language, kept in ``Job.language``.
    """
    return Job.objects.create(
        kind=kind,
        created_by=actor,
        unit=unit,
        file_name=file_name[:255],
        payload=payload,
        total=total,
        language=(translation.get_language() or settings.LANGUAGE_CODE)[:10],
    )


def defer(task: str, *args: Any, **kwargs: Any) -> None:
    """Queue the Huey task at the dotted path ``task`` once the surrounding transaction commits (and
    never if it rolls back).

    By name, because a task calls services: a service importing its app's ``tasks`` module would close
    an import cycle (services → tasks → services), which the import contracts forbid. The task module
    is imported when the transaction commits; the consumer imports every ``tasks.py`` at start.
    """
    transaction.on_commit(lambda: import_string(task)(*args, **kwargs))


def job_enqueue(*, job: Job) -> None:
    """Hand the job to the queue once the surrounding transaction has committed."""
    defer("lianfang.core.tasks.run_job", job.pk)


def job_run(*, job_id: int) -> None:
    """Run a pending job to the end; never raises (the outcome is written to the job)."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING,
        updated=timezone.now(),  # update() skips auto_now; the claim is a sign of life
    )
    if not claimed:
        return  # already run, running elsewhere, failed as stale, or deleted
    job = Job.objects.select_related("created_by", "unit").get(pk=job_id)
    language = job.language or settings.LANGUAGE_CODE
    ctx = context.RequestContext(source="job")
    with context.bind(ctx), translation.override(language):
        try:
            result = _runner_for(job.kind)(job)
        except JobFailed as exc:
            _finish(job, JobStatus.FAILED, result=exc.result, errors=exc.errors)
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            message = _(
                "The job stopped because of an unexpected error (reference: job %(id)s, request %(request)s). "
                "Please try again; if it happens again, tell the group office."
            ) % {"id": job.pk, "request": ctx.request_id}
            _finish(job, JobStatus.FAILED, result={}, errors=[error(message)])
        else:
            _finish(job, JobStatus.SUCCEEDED, result=result or {}, errors=[])


def _finish(job: Job, status: str, *, result: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    progress = job_progress(job=job)
    job.status = status
    job.finished = timezone.now()
    job.result = result
    job.errors = errors
    job.total = progress.total or job.total
    job.progress = job.total if status == JobStatus.SUCCEEDED else progress.done
    # The uploaded file held personal data; it is not kept once the job has used it.
    job.payload = None
    job.save(update_fields=["status", "finished", "result", "errors", "total", "progress", "payload", "updated"])
    _store_progress(job, None)


def job_fail_stale(*, older_than: datetime.timedelta) -> int:
    """Fail the pending and running jobs that have shown no sign of life for ``older_than``.

    A sign of life is a write of the job row (created, claimed by a worker) or a progress report.
    Their worker is taken to have died, so the person who started the job is told to start it again
    and the page stops polling. The uploaded file is dropped like at any other end of a job, and so
    is the job's progress; progress files older than the limit are swept from the data folder too
    (left by jobs whose worker died before it could remove them). Returns how many jobs were failed.

    A job failed here whose worker was only very slow still records its real outcome if it finishes.
    """
    now = timezone.now()
    cutoff = now - older_than
    failed = 0
    stale = Job.objects.filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING), updated__lt=cutoff)
    for job in list(stale.order_by("pk")):  # a handful at most; no cursor held open across the updates
        heartbeat = _load_progress(job)
        if heartbeat and heartbeat.get("at", 0) >= cutoff.timestamp():
            continue  # slow, not dead: it reported progress within the limit
        with translation.override(job.language or settings.LANGUAGE_CODE):
            message = _("The job stopped without finishing; start it again.")
        done = heartbeat.get("done", job.progress) if heartbeat else job.progress
        total = (heartbeat.get("total") if heartbeat else None) or job.total
        # Only if it is still where we saw it: a worker that claims or finishes it meanwhile wins.
        changed = Job.objects.filter(pk=job.pk, status=job.status).update(
            status=JobStatus.FAILED,
            finished=now,
            updated=now,
            errors=[error(message)],
            progress=done,
            total=total,
            payload=None,
        )
        if changed:
            failed += 1
            _store_progress(job, None)
            logger.warning(
                "Job %s (%s) was %s with no sign of life since %s; failed", job.pk, job.kind, job.status, job.updated
            )
    _sweep_progress_files(before=cutoff)
    return failed


def _sweep_progress_files(*, before: datetime.datetime) -> None:
    folder = Path(settings.DATA_DIR) / "jobs"
    if not folder.is_dir():
        return
    limit = before.timestamp()
    # The folder holds nothing but progress files and their temporary files.
    for path in folder.iterdir():
        if path.suffix not in (".json", ".tmp"):
            continue
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:  # removed meanwhile by the job itself or another sweep
            continue


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None
    phase: str = ""

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, int(self.done * 100 / self.total))


def _progress_key(job: Job) -> str:
    # The creation time makes the key unique across databases sharing a data folder (test workers).
    return f"lianfang-job-{job.pk}-{int(job.created.timestamp() * 1_000_000) if job.created else 0}"


def _cache_is_shared() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def _progress_file(job: Job) -> Path:
    return Path(settings.DATA_DIR) / "jobs" / f"{_progress_key(job)}.json"


def _store_progress(job: Job, data: dict[str, Any] | None) -> None:
    if _cache_is_shared():
        if data is None:
            cache.delete(_progress_key(job))
        else:
            cache.set(_progress_key(job), data, PROGRESS_TTL)
        return
    path = _progress_file(job)
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
        json.dump(data, tmp)
    os.replace(tmp.name, path)  # atomic: a reader sees the old or the new progress, never half


def _load_progress(job: Job) -> dict[str, Any] | None:
    if _cache_is_shared():
        return cache.get(_progress_key(job))
    try:
        return json.loads(_progress_file(job).read_text())
    except (OSError, ValueError):
        return None


def job_report_progress(*, job: Job, done: int, total: int | None, phase: str = "") -> None:
    """Tell watchers how far the job has come (``phase`` is a short user-facing label).

    Each report carries its time: it is also the job's heartbeat (see :func:`job_fail_stale`).
    """
    _store_progress(job, {"done": done, "total": total, "phase": str(phase), "at": time.time()})


def job_progress(*, job: Job) -> Progress:
    if not job.is_finished:
        data = _load_progress(job)
        if data:
            return Progress(done=data["done"], total=data["total"], phase=data.get("phase", ""))
    return Progress(done=job.progress, total=job.total or None)


def job_for_viewer(*, viewer, job_id: int, kind: str) -> Job:
    """The job if the viewer started it (or is a superuser); 404 otherwise, so jobs cannot be probed."""
    job = Job.objects.filter(pk=job_id, kind=kind).select_related("created_by").first()
    if job is None or not getattr(viewer, "is_authenticated", False):
        raise Http404
    if not (viewer.is_superuser or job.created_by_id == viewer.pk):
        raise Http404
    return job
