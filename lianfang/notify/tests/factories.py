"""Test helpers of the notify app: people who have (not) checked in, robots, reports."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import F

from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.notify.models import RobotChannel
from lianfang.people.models import Person
from lianfang.testing import PersonFactory, UserFactory


def person(unit, name: str, *, account: bool = True, email: str = "") -> Person:
    user = UserFactory(username=f"u-{name}-{unit.code}", email=email) if account else None
    return PersonFactory(unit=unit, name=name, user=user)


def check_in(p: Person, day: datetime.date) -> CheckIn:
    """A check-in written directly, with the unit's day count bumped as the health service does."""
    checkin = CheckIn.objects.create(person=p, unit=p.unit, date=day, temperature=Decimal("36.5"))
    UnitDayStat.objects.get_or_create(unit=p.unit, date=day)
    UnitDayStat.objects.filter(unit=p.unit, date=day).update(reported=F("reported") + 1)
    return checkin


def robot(unit, receiver=None, *, kind: str = "wecom", name: str = "群", secret: str = "") -> RobotChannel:
    """A robot row written directly (set-up; the services validate on save)."""
    url = receiver.webhook_url if receiver else "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    return RobotChannel.objects.create(unit=unit, kind=kind, name=name, webhook_url=url, secret=secret)
