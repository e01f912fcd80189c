from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from lianfang.core.extensions import WorkVerdict, checkin_guards
from lianfang.org.choices import Role
from lianfang.teams import services
from lianfang.teams.choices import Skill, TeamKind
from lianfang.testing import FrozenClock, PersonFactory, user_with_role

T0 = datetime.datetime(2026, 11, 18, 1, 0, tzinfo=datetime.UTC)  # Wednesday 09:00 in Shanghai
TODAY = datetime.date(2026, 11, 18)
NINE, FIVE = datetime.time(9, 0), datetime.time(17, 0)


def day(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


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
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def liaison_b(tree):
    """The liaison of subsidiary B: the home unit of some members."""
    return user_with_role(Role.UNIT_ADMIN, tree.b, username="liaison-b")


@pytest.fixture
def team(tree, office, clock):
    return services.team_create(actor=office, unit=tree.group, name="青年突击队", kind=TeamKind.COMMANDO)


def volunteer(team, office, unit, *, skills=(Skill.TEMPERATURE,), name=None):
    """A person of ``unit`` with an account, added to the team; returns the member."""
    user = user_with_role(None, None)
    person = PersonFactory(unit=unit, user=user, **({"name": name} if name else {}))
    return services.member_add(actor=office, team=team, person_id=person.pk, skills=skills)


def deploy(office, team, *, first=1, last=3, needed=2, start=NINE, end=FIVE, **extra):
    fields = {"place_name": "幸福里社区", "contact_name": "王主任", "contact_phone": "13800138000", **extra}
    return services.deployment_create(
        actor=office,
        team=team,
        starts_on=day(first),
        ends_on=day(last),
        shift_start=start,
        shift_end=end,
        people_needed=needed,
        **fields,
    )


@pytest.fixture
def kept_from_work():
    blocked: set[int] = set()

    def guard(ids, on):
        return {pid: WorkVerdict(may_work=False, label="居家隔离中，不得到岗") for pid in ids if pid in blocked}

    checkin_guards.register("test.teams", guard)
    yield blocked
    checkin_guards.unregister("test.teams")
