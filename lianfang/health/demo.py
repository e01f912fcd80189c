"""Demo data of risk areas and trips, for ``lianfang demo`` (the statuses are computed afterwards from
everything on record by the status app's demo, :mod:`lianfang.status.demo`).

* about 30 risk areas published over the last weeks, some of them lifted since, including where
  people who have not yet returned check in from (so the board has yellow people);
* trips entered by the liaison or the people themselves for about 2 % of the people, a few of them
  through a risk area.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction

from lianfang.core.audit import record_changes
from lianfang.core.models import ChangeAction
from lianfang.health import divisions
from lianfang.health.choices import RiskLevel, Transport, TripKind
from lianfang.health.models import RiskArea
from lianfang.health.services import trips
from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

# Places the demo's people check in from when away (lianfang.demo.daily.AWAY_DISTRICTS), some of
# which the authorities list: (code, level, days ago it came into force, days ago lifted or None).
LISTED_AWAY = (
    ("420106", RiskLevel.HIGH, 12, None),  # 武汉市武昌区
    ("310115", RiskLevel.MEDIUM, 9, None),  # 上海市浦东新区
    ("110105", RiskLevel.MEDIUM, 20, 6),  # 北京市朝阳区, lifted since
    ("440304", RiskLevel.LOW, 5, None),  # 深圳市福田区
)
SOURCES = ("国务院联防联控机制公布", "省疫情防控指挥部通告", "市疫情防控指挥部通告")
AREAS = 30
TRIP_SHARE = 0.02


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    admin = users["admin"]
    with transaction.atomic():
        areas = _risk_areas(rng, today)
        RiskArea.objects.bulk_create(areas)
        record_changes(actor=admin, items=[(a, ChangeAction.CREATE, None) for a in RiskArea.objects.all()])
        _trips(rng, today, users, group, [a for a in areas if a.lifted_on is None])


def _risk_areas(rng: random.Random, today: datetime.date) -> list[RiskArea]:
    def area(code: str, level: str, started: int, lifted: int | None) -> RiskArea:
        return RiskArea(
            division_code=code,
            name=divisions.full_name(code),
            level=level,
            effective_from=today - datetime.timedelta(days=started),
            lifted_on=today - datetime.timedelta(days=lifted) if lifted is not None else None,
            source=f"{rng.choice(SOURCES)}第{rng.randint(3, 60)}号",
        )

    out = [area(*spec) for spec in LISTED_AWAY]
    taken = {spec[0] for spec in LISTED_AWAY}
    districts = [
        d.code
        for p in divisions.children()
        if p.code not in ("61",)  # the demo's own province stays clear
        for c in divisions.children(p.code)
        for d in divisions.children(c.code)
        if d.code not in taken
    ]
    for code in rng.sample(districts, AREAS - len(out)):
        started = rng.randint(1, 35)
        lifted = rng.randint(0, started - 1) if started > 10 and rng.random() < 0.3 else None
        level = rng.choices([RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW], weights=[2, 5, 3])[0]
        out.append(area(code, level, started, lifted))
    return out


def _trips(
    rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit, in_force: list[RiskArea]
) -> None:
    people = list(
        Person.objects.filter(unit__path__startswith=group.path, employment_status=EmploymentStatus.ACTIVE)
        .select_related("unit", "user")
        .order_by("pk")
    )
    if not people:
        return
    chosen = rng.sample(people, max(1, int(len(people) * TRIP_SHARE)))
    ordinary = ["610103", "610113", "410105", "510107", "430102", "330302", "440106", "320106"]
    for index, person in enumerate(chosen):
        # A few trips through a risk area in force, the others to ordinary places.
        if index % 5 == 0 and in_force:
            place = rng.choice(in_force)
            code = place.division_code if len(place.division_code) == 6 else _a_district_of(place.division_code, rng)
            last = today - datetime.timedelta(days=rng.randint(0, 6))
        else:
            code = rng.choice(ordinary)
            last = today - datetime.timedelta(days=rng.randint(0, 20))
        first = last - datetime.timedelta(days=rng.randint(0, 4))
        transport = rng.choice([Transport.TRAIN, Transport.TRAIN, Transport.PLANE, Transport.CAR, Transport.COACH])
        number = {
            Transport.TRAIN: f"G{rng.randint(10, 2999)}",
            Transport.PLANE: f"{rng.choice(['MU', 'CZ', 'CA', 'HU'])}{rng.randint(1000, 9999)}",
        }.get(transport, "")
        actor = person.user if person.user is not None and rng.random() < 0.5 else users["admin"]
        trips.trip_create(
            actor=actor,
            person=person,
            kind=TripKind.TRIP,
            place_code=code,
            date_from=first,
            date_to=last,
            transport=transport,
            transport_no=number,
            note="",
        )


def _a_district_of(code: str, rng: random.Random) -> str:
    below = divisions.children(code)
    while below and len(below[0].code) < 6:
        below = divisions.children(rng.choice(below).code)
    return rng.choice(below).code if below else code
