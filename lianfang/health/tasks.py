"""Background work of the health app. Thin and idempotent: the work is in services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lianfang.core import context
from lianfang.health.services import unit_day_open


# Every hour, on the hour: the first run after midnight (group time zone) creates the day's rows
# with each unit's headcount, well before check-in opens (GroupSettings.checkin_opens); later runs
# refresh the headcounts of units whose roster changed without a call to unit_day_refresh_expected.
# Running it again changes nothing else, so a missed or doubled run does no harm.
@db_periodic_task(crontab(minute="0"))
def open_checkin_day() -> int:
    return unit_day_open()


# --- the personal health status (issue 4) --------------------------------------------------------


@db_task(retries=0)
def recompute_people(person_ids: list[int], cause: str = "event") -> int:
    """Recompute the statuses of many people (a risk area covering a city) outside the request."""
    from lianfang.health.status import recompute

    with context.bind(context.RequestContext(source="job")):
        return recompute(person_ids, cause=cause)


@db_task(retries=0)
def recompute_everyone(cause: str = "rules") -> int:
    """Recompute everyone after the rules changed (or by hand); the same work as the nightly run."""
    from lianfang.health.status import recompute_all

    with context.bind(context.RequestContext(source="job")):
        return recompute_all(cause=cause)


# Every night at 00:20 in the group's time zone (Huey's crontab is in UTC here, so the hour is
# converted): statuses whose end date has passed turn back, and any missed event is caught.
# Running it twice changes nothing the second time: only differences are written.
@db_periodic_task(crontab(minute="20"))
def recompute_statuses_nightly() -> int:
    from django.utils import timezone

    from lianfang.health.choices import StatusCause
    from lianfang.health.status import recompute_all

    if timezone.localtime().hour != 0:
        return 0
    with context.bind(context.RequestContext(source="job")):
        return recompute_all(cause=StatusCause.NIGHTLY)
