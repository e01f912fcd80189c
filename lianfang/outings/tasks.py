"""Background work of the outings app. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.core import context
from lianfang.outings.services import destinations_check, outings_scan


# Every 10 minutes: approvers of steps waiting past the reminder time are reminded, and requests not
# decided in time expire (the person is told). Each is claimed by a conditional UPDATE, so a doubled
# run or two consumers send it once, and a consumer that was down catches up when it is back.
@db_periodic_task(crontab(minute="*/10"))
def scan_outings() -> dict[str, int]:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return outings_scan().as_dict()


# The daily check of the destinations, run every hour at :15 so that a worker that was down still runs
# it: an outing whose destination turned into a risk area tells its person and approvers once (the day
# it is found is stored on the outing), and an outing past its date of return reminds the person once.
@db_periodic_task(crontab(minute="15"))
def check_outing_destinations() -> dict[str, int]:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return destinations_check().as_dict()
