"""Background work of urgent matters. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.command.services.escalation import escalation_scan
from lianfang.core import context


# Every minute: missed clocks, skips after the grace period, 续报 and outside-report reminders. Each
# notice is claimed by a conditional UPDATE, so a doubled run or two consumers send it once, and a
# consumer that was down sends the backlog when it comes back (the clocks are rows, not timers).
@db_periodic_task(crontab(minute="*"))
def scan_urgent_matters() -> dict[str, int]:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return escalation_scan().as_dict()
