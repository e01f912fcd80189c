"""The demo's outings (外出审批报备), told through the services at the times they happened, so the
routes, decisions, inbox messages, trips, monitoring and change log say the same as for real ones:

* a heat-company engineer away on a business trip to a district the authorities listed as a risk area
  yesterday (the daily check told him and the leader who approved it this morning);
* a colleague back three days ago from Wuchang, a high-risk area, approved by the leader and the
  office: under enhanced monitoring, two second readings recorded, today's still missing (the
  liaison's to-do);
* a property-company request to Pudong refused by the leader, a security-company visit to Xi'an
  approved for next week, the employee persona's own request waiting for the leader, and the
  leader's own outing filed and acknowledged by the office.

The clock is set for each step by patching ``timezone.now`` inside this module's function only:
seeding may do what the services never do, and says why.
"""

from __future__ import annotations

import datetime
import decimal
import random
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.utils import timezone

from lianfang.health import divisions
from lianfang.health.choices import RiskLevel, Transport
from lianfang.health.models import RiskArea
from lianfang.health.services.risk_areas import risk_area_create
from lianfang.org.models import Unit
from lianfang.outings import services
from lianfang.outings.choices import OutingState
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

# Districts far from the demo's province, none of which the health demo may have listed: the first
# one no risk area covers becomes the destination that turns risky during the trip.
TURNS_RISKY = ("510107", "510104", "500103", "430102", "350102", "450103")
WUCHANG = "420106"  # a high-risk area in the health demo since 12 days ago
PUDONG = "310115"  # a medium-risk area since 9 days ago
CHAOYANG = "110105"  # lifted 6 days ago
YANTA = "610113"  # Xi'an, in the demo's own province, which stays clear


@contextmanager
def _at(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _people(code: str, count: int) -> list[Person]:
    return list(
        Person.objects.filter(
            unit__code__startswith=code, employment_status=EmploymentStatus.ACTIVE, user__isnull=True
        ).order_by("pk")[:count]
    )


def _clear(code: str) -> bool:
    prefixes = [code[:n] for n in (2, 4, 6)]
    return not RiskArea.objects.filter(division_code__in=prefixes).exists()


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    admin, leader, liaison = users.get("admin"), users.get("leader"), users.get("liaison")
    heat, prop, security = _people("E01-", 2), _people("E02-", 1), _people("E03-", 1)
    if not (admin and leader and liaison) or len(heat) < 2 or not prop or not security:
        return
    tz = timezone.get_current_timezone()

    def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour, minute), tzinfo=tz)

    def day(days: int) -> datetime.date:
        return today + datetime.timedelta(days=days)

    # 1. Away on a business trip; the destination is listed as a risk area yesterday.
    place = next((code for code in TURNS_RISKY if divisions.is_valid(code) and _clear(code)), None)
    if place is not None:
        with _at(at(-6, 9, 10)):
            away = services.outing_ask(
                actor=liaison,
                person=heat[0],
                place_code=place,
                date_from=day(-4),
                date_to=day(2),
                reason="出差（换热机组设备采购）",
                transport=Transport.PLANE,
                transport_no="3U8896",
            )
        with _at(at(-6, 10, 5)):
            services.outing_approve(actor=leader, outing=away, note="同意，注意个人防护")
        with _at(at(-1, 18, 30)):
            risk_area_create(
                actor=admin,
                division_code=place,
                name=divisions.full_name(place),
                level=RiskLevel.MEDIUM,
                effective_from=day(-1),
                source="省疫情防控指挥部通告",
            )

    # 2. Back from a high-risk area: approved by the leader and the office, under enhanced monitoring.
    with _at(at(-9, 8, 40)):
        back = services.outing_ask(
            actor=liaison,
            person=heat[1],
            place_code=WUCHANG,
            date_from=day(-7),
            date_to=day(-3),
            reason="探望住院的父亲",
            transport=Transport.TRAIN,
            transport_no="G652",
        )
    for moment, actor, note in ((at(-9, 9, 30), leader, "同意"), (at(-9, 11, 0), admin, "同意，返回后加强健康监测")):
        back.refresh_from_db()
        if back.state == OutingState.PENDING:  # the office's step is there while Wuchang is listed
            with _at(moment):
                services.outing_approve(actor=actor, outing=back, note=note)
    with _at(at(-3, 19, 20)):
        services.outing_return(actor=liaison, outing=back, actual_from=day(-7), actual_to=day(-3))
    for n, reading in ((-2, "36.4"), (-1, "36.6")):
        with _at(at(n, 16, 10)):
            services.reading_record(actor=liaison, outing=back, temperature=decimal.Decimal(reading))

    # 3. To a medium-risk area, refused by the leader.
    with _at(at(-2, 14, 0)):
        refused = services.outing_ask(
            actor=admin,
            person=prop[0],
            place_code=PUDONG,
            date_from=day(1),
            date_to=day(3),
            reason="参加亲友婚礼",
            transport=Transport.PLANE,
        )
    with _at(at(-2, 16, 45)):
        services.outing_reject(actor=leader, outing=refused, reason="疫情期间非必要不前往中高风险地区，建议推迟")

    # 4. Approved for next week.
    with _at(at(-1, 9, 0)):
        upcoming = services.outing_ask(
            actor=admin,
            person=security[0],
            place_code=YANTA,
            date_from=day(3),
            date_to=day(5),
            reason="探亲",
            transport=Transport.COACH,
        )
    with _at(at(-1, 11, 20)):
        services.outing_approve(actor=leader, outing=upcoming)

    # 5. The employee persona's own request, waiting for the leader.
    employee = Person.objects.filter(user=users.get("employee")).first()
    if employee is not None:
        with _at(min(at(0, 8, 30), timezone.now())):
            services.outing_ask(
                actor=employee.user,
                person=employee,
                place_code=CHAOYANG,
                date_from=day(5),
                date_to=day(7),
                reason="探望父母",
                transport=Transport.TRAIN,
                transport_no="G26",
            )

    # 6. The leader's own outing, filed (报备) and acknowledged by the office.
    chief = Person.objects.filter(user=leader).first()
    if chief is not None:
        with _at(at(-2, 17, 30)):
            filed = services.outing_ask(
                actor=leader,
                person=chief,
                place_code=YANTA,
                date_from=day(-1),
                date_to=day(1),
                reason="参加省国资系统疫情防控工作会议",
                transport=Transport.CAR,
            )
        with _at(at(-2, 18, 5)):
            services.outing_acknowledge(actor=admin, outing=filed, note="已备案")

    # This morning's daily check finds the first trip's destination listed yesterday.
    now = timezone.now()
    with _at(min(at(0, 7, 15), now)):
        services.destinations_check()
