from __future__ import annotations

import datetime

import pytest
from django.utils import timezone, translation

from lianfang.core.extensions import facts_listeners
from lianfang.health.choices import RiskLevel, Transport
from lianfang.health.models import RiskArea
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment
from lianfang.outings import services
from lianfang.testing import FrozenClock, PersonFactory, user_with_role

T0 = datetime.datetime(2026, 12, 7, 1, 0, tzinfo=datetime.UTC)  # Monday 09:00 in Shanghai
TODAY = datetime.date(2026, 12, 7)
WUCHANG = "420106"  # 湖北省武汉市武昌区
CHAOYANG = "110105"  # 北京市朝阳区


def day(n: int) -> datetime.date:
    """``n`` days after the frozen today."""
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
def leader(tree):
    """The leader of subsidiary A, who approves the outings of A's people."""
    return user_with_role(Role.LEADER, tree.a, username="leader-a")


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


@pytest.fixture
def employee(tree):
    """张伟 of A1, with an account and no role."""
    user = user_with_role(None, None, username="zhangwei")
    return PersonFactory(unit=tree.a1, user=user, name="张伟")


@pytest.fixture
def recomputed():
    """The people whose facts the outings told the status engine about (a stand-in listener)."""
    told: list[tuple[list[int], str]] = []
    facts_listeners.register("test.outings", lambda ids, what: told.append((list(ids), what)))
    yield told
    facts_listeners.unregister("test.outings")


def risk_area(code: str, *, level: str = RiskLevel.HIGH, since: datetime.date = TODAY, lifted=None) -> RiskArea:
    return RiskArea.objects.create(
        division_code=code, name=f"区域{code}", level=level, effective_from=since, lifted_on=lifted
    )


def ask(actor, person, *, place=CHAOYANG, first=1, last=3, reason="探亲", transport=Transport.TRAIN, **extra):
    return services.outing_ask(
        actor=actor,
        person=person,
        place_code=place,
        date_from=day(first),
        date_to=day(last),
        reason=reason,
        transport=transport,
        **extra,
    )


def grant(user, role: str, unit) -> None:
    RoleAssignment.objects.create(user=user, unit=unit, role=role)
    for attr in ("_lianfang_grants", "_outing_grants"):
        if hasattr(user, attr):
            delattr(user, attr)
