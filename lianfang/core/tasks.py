"""Huey tasks of the core app. Thin: the work is in :mod:`lianfang.core.jobs` and the runners."""

from __future__ import annotations

import datetime

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lianfang.core.jobs import job_fail_stale, job_run

# A healthy import reports progress every few seconds (every 1,000 rows read, every batch written);
# half an hour of silence means its worker is gone.
STALE_AFTER = datetime.timedelta(minutes=30)


# No retries: a runner either finished its one transaction or rolled it back and told the person
# what went wrong; running an import again is their decision, not the queue's.
@db_task(retries=0)
def run_job(job_id: int) -> None:
    """Run the job with this id (any kind; the runner is found by ``Job.kind``)."""
    job_run(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def fail_stale_jobs() -> int:
    """Every 5 minutes: fail the jobs whose worker died, so their pages stop waiting (see ``job_fail_stale``)."""
    return job_fail_stale(older_than=STALE_AFTER)
