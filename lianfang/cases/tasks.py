"""Background work of the cases app. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.cases.services.isolation import followups_notify_missed
from lianfang.core import context


# Every hour at :20. The first run of a day (group time zone) notifies yesterday's missed readings
# to the responsible people and the case managers; it records the day (MissedFollowUpRun), so the
# later runs of the day, a doubled run or a restart send nothing again. Hourly rather than once at
# a fixed time so a worker that was down at that time still sends the notice when it comes back.
@db_periodic_task(crontab(minute="20"))
def notify_missed_followups() -> int | None:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return followups_notify_missed()
