"""Test set-up for disinfection (plans through the service: it makes today's rounds as the pages do)."""

from __future__ import annotations

from lianfang.sites import services
from lianfang.sites.choices import Frequency, RoundKind


def twice_a_day(actor, site, agent, *, area="office", times=("10:00", "16:00"), **kw):
    return services.plan_create(actor=actor, site=site, area=area, agent=agent, times=list(times), **kw)


def weekly(actor, site, agent, weekdays, *, area="vehicle", times=("18:00",), **kw):
    return services.plan_create(
        actor=actor,
        site=site,
        area=area,
        agent=agent,
        times=list(times),
        frequency=Frequency.WEEKLY,
        weekdays=list(weekdays),
        **kw,
    )


def ventilation(actor, site, *, times=("09:30", "14:30"), **kw):
    return services.plan_create(
        actor=actor, site=site, area="office", kind=RoundKind.VENTILATION, times=list(times), **kw
    )
