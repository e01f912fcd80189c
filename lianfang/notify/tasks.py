"""Huey tasks of the notify app. Thin and idempotent: the work is in services and reminders."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lianfang.core import context
from lianfang.notify.reminders import reminders_send_due
from lianfang.notify.services import deliveries_resend_due, delivery_attempt


# No queue retries: the delivery row keeps its own attempts and back-off, visible to the office.
@db_task(retries=0)
def send_delivery(delivery_id: int) -> None:
    """Attempt one delivery now (does nothing if it was sent, failed for good, or is not yet due)."""
    with context.bind(context.RequestContext(source="job")):
        delivery_attempt(delivery_id=delivery_id)


@db_periodic_task(crontab(minute="*"))
def send_due_reminders() -> int:
    """Every minute: send the reminder rounds whose time has come, each at most once (see reminders.py)."""
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return len(reminders_send_due())


@db_periodic_task(crontab(minute="*"))
def resend_due_deliveries() -> int:
    """Every minute: attempt the deliveries whose back-off has passed (1, 5, 15 minutes)."""
    with context.bind(context.RequestContext(source="job")), translation.override(settings.LANGUAGE_CODE):
        return deliveries_resend_due()
