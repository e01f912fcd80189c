"""Counts of urgent matters for the unit daily report and the group bulletin (registered in
``lianfang.core.extensions.report_feeds`` when the app loads), over the unit's whole subtree:

* ``command.reported``: urgent matters reported that day (group time zone);
* ``command.reported_major``: of them, especially major and major (the levels that must reach the group);
* ``command.overdue``: open matters with a missed clock at the end of that day (now, for today).
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.command.models import UrgentMatter
from lianfang.command.selectors import overdue_q
from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def _reported(unit: Unit, day: datetime.date):
    start, end = _day_bounds(day)
    return UrgentMatter.objects.filter(unit__path__startswith=unit.path, reported_at__gte=start, reported_at__lt=end)


@register_feed("command.reported", _("Urgent matters reported"))
def reported(unit: Unit, day: datetime.date) -> int:
    return _reported(unit, day).count()


@register_feed("command.reported_major", _("Urgent matters reported, major and above"))
def reported_major(unit: Unit, day: datetime.date) -> int:
    return _reported(unit, day).filter(severity__must_reach_top=True).count()


@register_feed("command.overdue", _("Urgent matters with an overdue clock"))
def overdue(unit: Unit, day: datetime.date) -> int:
    now = timezone.now()
    at = min(now, _day_bounds(day)[1])
    return UrgentMatter.objects.filter(unit__path__startswith=unit.path).filter(overdue_q(at)).count()
