"""Background work of the health app. Thin and idempotent: the work is in services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.health.services.checkins import unit_day_open


# Every hour, on the hour: the first run after midnight (group time zone) creates the day's rows
# with each unit's headcount, well before check-in opens (GroupSettings.checkin_opens); later runs
# refresh the headcounts of units whose roster changed without a call to unit_day_refresh_expected.
# Running it again changes nothing else, so a missed or doubled run does no harm.
@db_periodic_task(crontab(minute="0"))
def open_checkin_day() -> int:
    return unit_day_open()
