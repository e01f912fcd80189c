"""Background work of the privacy app. Thin and idempotent: the work is in the services."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lianfang.core import context
from lianfang.privacy.services import purge_nightly_due


# Every hour at :40. The first run from 02:00 (group time zone) of a day purges what is past retention
# and the emergency periods whose grace period after the stand-down is over, and writes its receipts;
# later runs of the day find the nightly receipt and do nothing. Hourly rather than at one fixed time, so
# a worker that was down at two still purges when it comes back.
@db_periodic_task(crontab(minute="40"))
def purge_nightly() -> int | None:
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        receipts = purge_nightly_due()
    return None if receipts is None else sum(r.deleted for r in receipts)
