"""The report-deadline chase, run by notify's scheduler once at the group's deadline: the liaisons
of each unit whose daily report is late or missing are told (inbox and e-mail), and the group office
gets one summary (escalation)."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from lianfang.notify import selectors
from lianfang.notify.choices import MessageKind, ReminderKind
from lianfang.notify.reminders import RoundResult, round_claim
from lianfang.notify.services import delivery_email_enqueue, message_send
from lianfang.org.models import Unit
from lianfang.reporting.services import reminders

logger = logging.getLogger(__name__)


def deadline_round_send(*, day: datetime.date, at: datetime.time) -> RoundResult | None:
    """At the report deadline: each late or missing unit's liaisons are told (inbox and e-mail), and
    the group office gets one summary (escalation). None if it already ran."""
    with transaction.atomic():
        run = round_claim(ReminderKind.DEADLINE, day, at)
        if run is None:
            return None
        result = RoundResult(kind=ReminderKind.DEADLINE, date=day, time=at)
        units = reminders.late_or_missing_units(date=day)
        by_unit = selectors.liaisons_of_units([u.pk for u in units])
        user_ids = {uid for ids in by_unit.values() for uid in ids}
        users = selectors.active_users(user_ids)
        report_url = reminders.report_url()
        for unit in units:
            title = _("Daily report for %(date)s not received: %(unit)s") % {"date": day.isoformat(), "unit": unit.name}
            body = _(
                "The deadline was %(time)s. Submit the unit's daily report, or a zero report if nothing is new."
            ) % {"time": at.strftime("%H:%M")}
            recipients = [uid for uid in by_unit.get(unit.pk, []) if uid in users]
            result.liaison_messages += message_send(
                recipients=recipients, kind=MessageKind.REPORT_LATE, title=title, body=body, url=report_url
            )
            for uid in recipients:
                if users[uid].email:
                    delivery_email_enqueue(
                        email=users[uid].email, unit=unit, kind=MessageKind.REPORT_LATE, subject=title, body=body
                    )
                    result.emails += 1
            result.units.append(unit.code)
        if units:
            office = selectors.group_office_user_ids()
            office_users = selectors.active_users(office)
            title = _("%(count)d units have no daily report for %(date)s") % {
                "count": len(units),
                "date": day.isoformat(),
            }
            body = "\n".join(
                f"{u.name} · " + (_("no liaison") if not by_unit.get(u.pk) else _("liaisons told")) for u in units
            )
            result.office_messages = message_send(
                recipients=list(office_users),
                kind=MessageKind.REPORT_ESCALATION,
                title=title,
                body=body,
                url=report_url,
            )
            root = Unit.objects.filter(depth=1).order_by("path").first()
            for user in office_users.values():
                if user.email:
                    delivery_email_enqueue(
                        email=user.email, unit=root, kind=MessageKind.REPORT_ESCALATION, subject=title, body=body
                    )
                    result.emails += 1
        run.summary = result.as_dict()
        run.save(update_fields=["summary"])
    logger.info("Deadline chase %s %s: %s", day, at, result.as_dict())
    return result


def late_or_missing_units(*, date: datetime.date) -> list[Unit]:
    """Units whose daily report for ``date`` is late or missing (the reporting app decides)."""
    from lianfang.reporting.selectors.reports import late_or_missing_units as reporting_late_or_missing

    return list(reporting_late_or_missing(date=date))


def report_url() -> str:
    """Where a liaison fills in today's report (or the zero report)."""
    return reverse("reporting:report")
