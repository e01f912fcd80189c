"""The demo stock: two weeks of ledgers for the enterprises, daily counts, and a couple running low."""

import random

import pytest
from django.utils import timezone

from lianfang.materials.choices import MovementKind
from lianfang.materials.demo import stock as stock_demo
from lianfang.materials.models import Movement, StockTake
from lianfang.materials.supply import supply_table
from lianfang.org.choices import Role
from lianfang.testing import add_unit, make_tree, user_with_role

pytestmark = pytest.mark.django_db


def test_the_demo_fills_two_weeks_of_ledgers_with_a_couple_of_units_running_low():
    tree = make_tree()
    for n in range(3, 6):
        add_unit(tree.group, f"E{n}", f"企业{n}", "subsidiary")
    admin = user_with_role(Role.GROUP_ADMIN, tree.group, "admin")
    stock_demo.load_demo(rng=random.Random(3), today=timezone.localdate(), users={"admin": admin}, group=tree.group)

    assert Movement.objects.filter(kind=MovementKind.ISSUE).count() > 200
    assert StockTake.objects.count() == 3 * 7
    table = supply_table()
    low_units = {u for (u, _i), row in table.items() if row.level == "low"}
    assert len(low_units) == 2
    assert all(row.on_hand >= 0 for row in table.values())
