"""Counts of disinfection for the unit daily report, the dashboard and the bulletin (registered in
``lianfang.core.extensions.report_feeds`` when the app loads), over the unit's whole subtree for one
day, taken at the end of the day (now, while it lasts):

* ``sites.disinfection_due``: rounds due that day (the plans' rounds and terminal disinfections opened);
* ``sites.disinfection_done``: of them, finished (on time or late) by then;
* ``sites.disinfection_overdue``: of them, past their deadline and not finished by then;
* ``sites.terminal_open``: terminal disinfections (终末消毒) opened and not finished by then, whatever day
  they were opened;

and of the checkpoints' passages that day (below).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit
from lianfang.sites.choices import HEALTH_REASONS, Decision, Direction
from lianfang.sites.models import DisinfectionSlot, Entry
from lianfang.sites.selectors import DayCounts, as_of, count_day, day_bounds, terminal_open_q


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


# --- checkpoints ------------------------------------------------------------------------------------
# Passages at the gates of the unit's subtree that day (the gate's decision, offline ones included):
# ``sites.gate_in`` people let in, ``sites.gate_denied`` people turned away, and of them
# ``sites.gate_denied_health`` for their colour or a fever (their liaisons were told).


def _entries(unit: Unit, day: datetime.date):
    start, end = day_bounds(day)
    return Entry.objects.filter(site__path__startswith=unit.path, at__gte=start, at__lt=end)


@register_feed("sites.gate_in", _("People let in at checkpoints"))
def gate_in(unit: Unit, day: datetime.date) -> int:
    return _entries(unit, day).filter(decision=Decision.ALLOW, direction=Direction.IN).count()


@register_feed("sites.gate_denied", _("People turned away at checkpoints"))
def gate_denied(unit: Unit, day: datetime.date) -> int:
    return _entries(unit, day).filter(decision=Decision.DENY).count()


@register_feed("sites.gate_denied_health", _("Turned away for their health status or a fever"))
def gate_denied_health(unit: Unit, day: datetime.date) -> int:
    return _entries(unit, day).filter(decision=Decision.DENY, reason__in=list(HEALTH_REASONS)).count()
