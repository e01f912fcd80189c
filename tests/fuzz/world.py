"""The small group the API fuzz run works in: the test tree, people in every unit, a day of check-ins,
and two API clients — the group office (on the group) and a liaison (on subsidiary A)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from rest_framework.authtoken.models import Token

from lianfang.org.choices import Role
from lianfang.people.choices import Category
from lianfang.testing import PersonFactory, make_tree, user_with_role

FUZZ_PERSONAS = ["office", "liaison"]


@dataclass
class FuzzWorld:
    tokens: dict[str, str]


def build_fuzz_world() -> FuzzWorld:
    from lianfang.health.choices import CheckInSource
    from lianfang.health.services.checkins import CheckInData, checkin_submit, unit_day_refresh_expected

    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="fuzz-office")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="fuzz-liaison")
    today = timezone.localdate()
    for unit in (tree.a1, tree.a1s, tree.a2, tree.b1):
        for k in range(3):
            person = PersonFactory(unit=unit, category=Category.EMPLOYEE if k else Category.TEMPORARY)
            if k < 2:
                checkin_submit(
                    actor=office,
                    person=person,
                    data=CheckInData(temperature="36.5" if k else "37.8"),
                    date=today,
                    source=CheckInSource.PROXY,
                )
    # People were made directly, not through the roster's services: count the day's headcounts again.
    unit_day_refresh_expected(unit_ids=[u.pk for u in (tree.a1, tree.a1s, tree.a2, tree.b1)], date=today)
    tokens = {"office": Token.objects.create(user=office).key, "liaison": Token.objects.create(user=liaison).key}
    return FuzzWorld(tokens=tokens)
