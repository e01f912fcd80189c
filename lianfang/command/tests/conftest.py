from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.utils import timezone, translation

from lianfang.command import selectors
from lianfang.command.models import SeverityLevel
from lianfang.command.services.levels import ensure_default_levels
from lianfang.org.choices import Role
from lianfang.testing import FrozenClock, PersonFactory, user_with_role

T0 = datetime.datetime(2026, 12, 7, 3, 0, tzinfo=datetime.UTC)  # 11:00 in Shanghai


@dataclass
class FakeOnDuty:
    unit_id: int
    shift_id: int = 1
    leader: object | None = None
    officers: tuple = ()
    phone: str = "0913-1234567"
    ends_at: datetime.datetime | None = None


@dataclass
class FakeRoster:
    """Stands in for the duty app: which units keep duty and who is on duty there."""

    duty_ids: set[int] = field(default_factory=set)
    leaders: dict[int, object] = field(default_factory=dict)
    ends_at: datetime.datetime | None = None

    def on_duty(self, unit_ids, at):
        return {
            pk: FakeOnDuty(unit_id=pk, leader=self.leaders.get(pk), ends_at=self.ends_at)
            for pk in unit_ids
            if pk in self.duty_ids
        }


Clock = FrozenClock


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    c = Clock(T0)
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def roster(tree, monkeypatch):
    """Duty is kept at the heat station A1S, subsidiary A and the group; A1 has no duty room."""
    r = FakeRoster(duty_ids={tree.a1s.pk, tree.a.pk, tree.group.pk, tree.b.pk})
    monkeypatch.setattr(selectors, "duty_unit_ids", lambda: set(r.duty_ids))
    monkeypatch.setattr(selectors, "on_duty", r.on_duty)
    return r


@pytest.fixture
def levels(db):
    ensure_default_levels()
    return {lv.code: lv for lv in SeverityLevel.objects.all()}


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def station(tree):
    """The heat station's duty officer."""
    return user_with_role(Role.DUTY_OFFICER, tree.a1s, username="station")


@pytest.fixture
def sub_duty(tree):
    """Subsidiary A's duty officer."""
    return user_with_role(Role.DUTY_OFFICER, tree.a, username="sub-duty")


@pytest.fixture
def leaders(tree, roster):
    """A leader on duty with an account and a mobile at each duty level."""
    out = {}
    for unit in (tree.a1s, tree.a, tree.group):
        user = user_with_role(None, None, username=f"leader-{unit.code}")
        out[unit.pk] = PersonFactory(unit=unit, user=user, name=f"带班{unit.code}", phone=f"1390000{unit.pk:04d}")
        roster.leaders[unit.pk] = out[unit.pk]
    return out


@pytest.fixture
def sms(monkeypatch):
    """The SMS sent (phones, text), captured at the wrapper; sent on commit, so run with captured callbacks."""
    sent: list[tuple[list[str], str]] = []
    from lianfang.command.services import base

    def fake(phones, text, unit=None):
        numbers = sorted({p for p in phones if p})
        if numbers:
            sent.append((numbers, text))
        return bool(numbers)

    monkeypatch.setattr(base, "send_sms", fake)
    return sent
