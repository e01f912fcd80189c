"""Huey jobs of the status engine: recompute some people, everyone, and everyone nightly."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lianfang.core import context


@db_task(retries=0)
def recompute_people(person_ids: list[int], cause: str = "event") -> int:
    """Recompute the statuses of many people (a risk area covering a city) outside the request."""
    from lianfang.status.engine import recompute

    with context.bind(context.RequestContext(source="job")):
        return recompute(person_ids, cause=cause)


@db_task(retries=0)
def recompute_everyone(cause: str = "rules") -> int:
    """Recompute everyone after the rules changed (or by hand); the same work as the nightly run."""
    from lianfang.status.engine import recompute_all

    with context.bind(context.RequestContext(source="job")):
        return recompute_all(cause=cause)


# Every night at 00:20 in the group's time zone (Huey's crontab is in UTC here, so the hour is
# converted): statuses whose end date has passed turn back, and any missed event is caught.
# Running it twice changes nothing the second time: only differences are written.
@db_periodic_task(crontab(minute="20"))
def recompute_statuses_nightly() -> int:
    from django.utils import timezone

    from lianfang.status.choices import StatusCause
    from lianfang.status.engine import recompute_all

    if timezone.localtime().hour != 0:
        return 0
    with context.bind(context.RequestContext(source="job")):
        return recompute_all(cause=StatusCause.NIGHTLY)
