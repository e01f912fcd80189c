"""Factories and a small standard org tree shared by every app's tests."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model

from lianfang.org.choices import Role
from lianfang.org.defaults import ensure_default_kinds
from lianfang.org.models import RoleAssignment, Unit, UnitKind
from lianfang.people.choices import Category
from lianfang.people.defaults import ensure_default_tags
from lianfang.people.models import Person
from lianfang.people.validators import id_check_digit

_seq = itertools.count(1)


def make_id_number(n: int | None = None, *, born: str = "19850312", region: str = "610502") -> str:
    """A valid 18-character ID number, different for each ``n``."""
    n = next(_seq) if n is None else n
    first17 = f"{region}{born}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def kind(code: str) -> UnitKind:
    return UnitKind.objects.get(code=code)


def add_unit(parent: Unit | None, code: str, name: str, kind_code: str = "department", **fields) -> Unit:
    """Create a unit directly (test set-up, not through services)."""
    unit = Unit(code=code, name=name, kind=kind(kind_code), **fields)
    return Unit.objects.add_root(instance=unit) if parent is None else Unit.objects.add_child(parent, instance=unit)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-Lianfang-2026")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"测试{n}")
    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    id_number = factory.Sequence(lambda n: make_id_number(n))
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    category = Category.EMPLOYEE


@dataclass
class Tree:
    """group ── A ── A1 ── A1s (site)
    │    └ A2
    └ B ── B1
    """

    group: Unit
    a: Unit
    a1: Unit
    a1s: Unit
    a2: Unit
    b: Unit
    b1: Unit


def make_tree() -> Tree:
    # Reference data comes from migrations, but a transactional test before this one may have
    # flushed it (browser tests run on a live server, so they cannot roll back instead).
    ensure_default_kinds()
    ensure_default_tags()
    group = add_unit(None, "G", "联防集团", "group")
    a = add_unit(group, "A", "甲公司", "subsidiary")
    a1 = add_unit(a, "A1", "甲公司综合部")
    a1s = add_unit(a1, "A1S", "甲公司一号热力站", "heat-station")
    a2 = add_unit(a, "A2", "甲公司运营部")
    b = add_unit(group, "B", "乙公司", "subsidiary")
    b1 = add_unit(b, "B1", "乙公司综合部")
    return Tree(group=group, a=a, a1=a1, a1s=a1s, a2=a2, b=b, b1=b1)


def user_with_role(role: str | None, unit: Unit | None, username: str | None = None):
    user = UserFactory(username=username) if username else UserFactory()
    if role and unit:
        RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


ALL_ROLES = [r.value for r in Role]


# The permission matrix: a role is held on A1 ("own"); objects sit in A1, in its child A1S, in
# its sibling A2 and in its parent A. Only own and child are in scope.
SCOPE_RELATIONS = {"own": "a1", "child": "a1s", "sibling": "a2", "parent": "a"}
IN_SCOPE = {"own", "child"}


class FrozenClock:
    """Frozen time for tests: ``clock.now`` is what ``timezone.now()`` answers once it is patched in
    (``monkeypatch.setattr(timezone, "now", clock)``); ``clock.advance(minutes=16)``, and
    ``clock.at("16:05")`` for that local time on the current day (or on ``day``)."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, **kwargs) -> datetime.datetime:
        self.now = self.now + datetime.timedelta(**kwargs)
        return self.now

    def at(self, hhmm: str, day: datetime.date | None = None) -> datetime.datetime:
        from django.utils import timezone

        day = day or timezone.localdate(self.now)
        self.now = timezone.make_aware(datetime.datetime.combine(day, datetime.time.fromisoformat(hhmm)))
        return self.now
