"""Test helpers of the cases app: a movable clock, check-ins written directly, the people of a case."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

from django.utils import timezone

from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.date(2026, 3, 10)


class Clock:
    """``timezone.now`` replaced by a time the test moves (the group's local time, Shanghai)."""

    def __init__(self, monkeypatch, day: datetime.date = TODAY, hour: int = 10, minute: int = 0):
        self.moment = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, day: datetime.date, hour: int = 10, minute: int = 0) -> None:
        self.moment = datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)

    @property
    def today(self) -> datetime.date:
        return self.moment.date()


def days_before(n: int, today: datetime.date = TODAY) -> datetime.date:
    return today - datetime.timedelta(days=n)


def checkin(person, day: datetime.date, mode: str = WorkMode.ON_SITE, unit=None) -> CheckIn:
    """A check-in written directly (history: the check-in service refuses days far back)."""
    return CheckIn.objects.create(
        person=person, unit=unit or person.unit, date=day, temperature=Decimal("36.5"), work_mode=mode
    )


def person_with_account(unit, **fields):
    person = PersonFactory(unit=unit, **fields)
    person.user = user_with_role(Role.EMPLOYEE, unit, username=f"acct-{person.employee_no}")
    person.save(update_fields=["user"])
    return person


def status_engine():
    """The health status engine once it is implemented (it exposes FACTS); None before."""
    module = importlib.import_module("lianfang.status.engine")
    return module if getattr(module, "FACTS", None) else None


def colour_of(person) -> str:
    from lianfang.status.models import PersonStatus

    row = PersonStatus.objects.filter(person=person).first()
    return row.colour if row else "green"  # never computed: nothing is known against them
