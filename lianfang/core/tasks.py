"""Huey tasks of the core app. Thin: the work is in :mod:`lianfang.core.jobs` and the runners."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from lianfang.core.jobs import job_run


# No retries: a runner either finished its one transaction or rolled it back and told the person
# what went wrong; running an import again is their decision, not the queue's.
@db_task(retries=0)
def run_job(job_id: int) -> None:
    """Run the job with this id (any kind; the runner is found by ``Job.kind``)."""
    job_run(job_id=job_id)
