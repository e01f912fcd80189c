"""Background work of the duty app. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.core import context
from lianfang.duty.services.coverage import duty_check


# Every 5 minutes: gaps of the next 7 days starting within 24 hours are alerted, rostered people who
# may no longer work are reported to their unit, and the robots post the duty list of shifts that
# just started. Each alert is a row, so a second worker or a rerun after a restart sends nothing twice.
@db_periodic_task(crontab(minute="*/5"))
def duty_check_due() -> int:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        result = duty_check()
    return result.gaps_alerted + result.conflicts + result.lists_posted
