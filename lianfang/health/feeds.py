"""What the check-ins feed to the unit daily report and the bulletin: the day's counts of a unit's whole
subtree, read from the per-unit day counts (``UnitDayStat``) by unit path, never the raw check-ins,
so a report for a subsidiary of 50,000 people is one small aggregate. A subtree without any day
counts for the date answers ``None``: no check-in was recorded there, and a 0 would claim that
nobody came to work. Registered in ``lianfang.core.extensions.report_feeds`` when the app loads."""

from __future__ import annotations

import datetime

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.health.models import UnitDayStat
from lianfang.org.models import Unit

# --- today's check-ins, through the per-unit day counts -----------------------------------------


def _day_stat_sum(unit: Unit, date: datetime.date, column: str) -> int | None:
    totals = UnitDayStat.objects.filter(unit__path__startswith=unit.path, date=date).aggregate(
        rows=Count("pk"), total=Sum(column)
    )
    if not totals["rows"]:
        return None
    return int(totals["total"] or 0)


def _stat_source(key: str, column: str, label, *, blocks_zero_report: bool = False) -> None:
    register_feed(key, label, blocks_zero_report=blocks_zero_report)(
        lambda unit, date: _day_stat_sum(unit, date, column)
    )


_stat_source("checkin.reported", "reported", _("People who checked in"))
_stat_source("checkin.expected", "expected", _("People expected to check in"))
_stat_source("checkin.on_site", "on_site", _("Checked in as on site"))
_stat_source("checkin.remote", "remote", _("Checked in as working remotely"))
_stat_source("checkin.on_leave", "on_leave", _("Checked in as on leave"))
_stat_source("checkin.isolated", "isolated", _("Checked in as in isolation or in hospital"))
_stat_source("checkin.fever", "fever", _("Checked in with a fever"), blocks_zero_report=True)
_stat_source("checkin.flagged", "flagged", _("Flagged at check-in (fever or a risk answer)"), blocks_zero_report=True)
