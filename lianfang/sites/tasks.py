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


# Daily at 03:10: a new key signs passes when the signing one is 90 days old (docs/adr/0016). The old
# key stays accepted; gates pick up the new public key within 10 minutes.
@db_periodic_task(crontab(hour="3", minute="10"))
def rotate_pass_keys() -> str:
    from lianfang.sites.passes import keys_rotate_due

    with context.bind(context.RequestContext(source="job")):
        key = keys_rotate_due()
        return key.kid if key else ""
