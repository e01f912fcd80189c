from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from lianfang.core.extensions import WorkVerdict, checkin_guards
from lianfang.duty.tests.factories import make_post
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def local(day: datetime.date | str, hour: int = 8, minute: int = 0) -> datetime.datetime:
    if isinstance(day, str):
        day = datetime.date.fromisoformat(day)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, username="office")


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def duty_leader(tree):
    return user_with_role(Role.DUTY_LEADER, tree.a, username="duty-leader-a")


@pytest.fixture
def post(tree):
    return make_post(tree.a, phone="0913-2100000")


@pytest.fixture
def staff(tree):
    """Four people of A (two in its departments) who can be put on duty."""
    return [
        PersonFactory(unit=tree.a),
        PersonFactory(unit=tree.a1),
        PersonFactory(unit=tree.a2),
        PersonFactory(unit=tree.a),
    ]


@pytest.fixture
def kept_from_work():
    """A check-in guard that keeps the given person ids from work (as the status engine does for red)."""
    blocked: set[int] = set()

    def guard(ids, day):
        return {pid: WorkVerdict(may_work=False, label="红码，不得到岗") for pid in ids if pid in blocked}

    checkin_guards.register("test.duty", guard)
    yield blocked
    checkin_guards.unregister("test.duty")
