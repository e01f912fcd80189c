"""Counts of the teams app for the unit daily report, the dashboard and the bulletin (registered
when the app loads), over the unit's whole subtree for one day, counting people by their home unit:

* ``teams.deployed_now``: people of the subtree deployed that day (accepted a live deployment that
  covers the day), whichever unit owns the team.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit
from lianfang.teams.selectors import deployed_on


@register_feed("teams.deployed_now", _("People deployed with a team"))
def deployed_now(unit: Unit, day: datetime.date) -> int:
    return (
        deployed_on(day).filter(home_unit__path__startswith=unit.path).order_by().values("person_id").distinct().count()
    )
