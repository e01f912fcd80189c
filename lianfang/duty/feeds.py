"""Counts of the duty app for the unit daily report and the bulletin (registered when the app loads),
each over the unit's whole subtree for one day:

* ``duty.log_entries``: entries in the duty logs of the day;
* ``duty.handovers_unaccepted``: shifts that ended that day and whose handover was not accepted
  (never handed over, or waiting for the incoming officer).
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.duty.choices import HandoverStatus
from lianfang.duty.models import LogEntry, Shift
from lianfang.duty.selectors import day_bounds
from lianfang.org.models import Unit


@register_feed("duty.log_entries", _("Duty log entries"))
def log_entries(unit: Unit, day: datetime.date) -> int:
    start, end = day_bounds(day)
    return LogEntry.objects.filter(post__unit__path__startswith=unit.path, at__gte=start, at__lt=end).count()


@register_feed("duty.handovers_unaccepted", _("Shifts not handed over or not accepted"))
def handovers_unaccepted(unit: Unit, day: datetime.date) -> int:
    start, end = day_bounds(day)
    end = min(end, timezone.now())  # a shift still running has nothing to hand over yet
    return (
        Shift.objects.filter(post__unit__path__startswith=unit.path, ends_at__gt=start, ends_at__lte=end)
        .filter(Q(handover__isnull=True) | Q(handover__status=HandoverStatus.PENDING))
        .count()
    )
