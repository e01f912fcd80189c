"""Counts of the outings app for the unit daily report, the bulletin and the dashboard (registered
when the app loads), each over the unit's whole subtree for one day, counting people:

* ``outings.approved``: people whose outing was approved that day (the last step decided);
* ``outings.filed``: leaders who filed an outing that day (报备);
* ``outings.away``: people away on an outing that day (approved or filed and gone, not yet back, or
  back from a trip that covered the day);
* ``outings.away_in_risk``: of those, people whose destination was in a risk area by then.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from lianfang.core.extensions import register_feed
from lianfang.org.models import Unit
from lianfang.outings.choices import OutingState, Route
from lianfang.outings.models import Outing
from lianfang.outings.selectors import away_q, in_risk_q


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    from django.utils import timezone

    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())
    return start, start + datetime.timedelta(days=1)


def _people(qs) -> int:
    return qs.order_by().values("person_id").distinct().count()


@register_feed("outings.approved", _("People whose outing was approved"))
def approved(unit: Unit, day: datetime.date) -> int:
    start, end = _day_bounds(day)
    return _people(
        Outing.objects.filter(
            unit__path__startswith=unit.path,
            route=Route.APPROVAL,
            state__in=[OutingState.APPROVED, OutingState.RETURNED],
            decided_at__gte=start,
            decided_at__lt=end,
        )
    )


@register_feed("outings.filed", _("Leaders who filed an outing"))
def filed(unit: Unit, day: datetime.date) -> int:
    start, end = _day_bounds(day)
    return _people(
        Outing.objects.filter(
            unit__path__startswith=unit.path,
            route=Route.FILING,
            submitted_at__gte=start,
            submitted_at__lt=end,
        ).exclude(state=OutingState.CANCELLED)
    )


@register_feed("outings.away", _("People away on an outing"))
def away(unit: Unit, day: datetime.date) -> int:
    return _people(Outing.objects.filter(away_q(day), unit__path__startswith=unit.path))


@register_feed("outings.away_in_risk", _("People away on an outing in a risk area"))
def away_in_risk(unit: Unit, day: datetime.date) -> int:
    return _people(Outing.objects.filter(away_q(day), in_risk_q(day), unit__path__startswith=unit.path))
