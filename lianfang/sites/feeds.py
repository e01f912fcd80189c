"""Counts of disinfection for the unit daily report, the dashboard and the bulletin (registered in
``lianfang.core.extensions.report_feeds`` when the app loads), over the unit's whole subtree for one
day, taken at the end of the day (now, while it lasts):

* ``sites.disinfection_due``: rounds due that day (the plans' rounds and terminal disinfections opened);
* ``sites.disinfection_done``: of them, finished (on time or late) by then;
* ``sites.disinfection_overdue``: of them, past their deadline and not finished by then;
* ``sites.terminal_open``: terminal disinfections (终末消毒) opened and not finished by then, whatever day
  they were opened.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit
from lianfang.sites.models import DisinfectionSlot
from lianfang.sites.selectors import DayCounts, as_of, count_day, terminal_open_q


def _in(unit: Unit):
    return DisinfectionSlot.objects.filter(site__path__startswith=unit.path)


def day_counts(unit: Unit, day: datetime.date) -> DayCounts:
    return count_day(_in(unit), day)


@register_feed("sites.disinfection_due", _("Disinfection rounds due"))
def due(unit: Unit, day: datetime.date) -> int:
    return day_counts(unit, day).due


@register_feed("sites.disinfection_done", _("Disinfection rounds done"))
def done(unit: Unit, day: datetime.date) -> int:
    return day_counts(unit, day).done


@register_feed("sites.disinfection_overdue", _("Disinfection rounds overdue"))
def overdue(unit: Unit, day: datetime.date) -> int:
    return day_counts(unit, day).overdue


@register_feed("sites.terminal_open", _("Terminal disinfections not done"))
def terminal_open(unit: Unit, day: datetime.date) -> int:
    return _in(unit).filter(terminal_open_q(as_of(day))).count()
