"""Background work of the sites app. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.core import context
from lianfang.sites.services.rounds import slots_generate_due


# Every 15 minutes: today's and tomorrow's rounds from the plans. A plan gives one round per deadline
# (a unique constraint), so a second worker or a rerun adds nothing, and a worker that was down at
# midnight makes the day's rounds when it comes back (those already past their deadline show overdue).
@db_periodic_task(crontab(minute="*/15"))
def make_disinfection_rounds() -> int:
    with context.bind(context.RequestContext(source="job")):
        return slots_generate_due()
