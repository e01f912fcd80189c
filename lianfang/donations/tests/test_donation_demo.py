"""The demo's donations, collection and fund load through the services and tell the seeds' story."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.utils import timezone

from lianfang.donations import demo as donation_demo
from lianfang.donations import selectors
from lianfang.donations.choices import Direction, SpendingStatus
from lianfang.donations.models import Collection, Donation, Fund
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.testing import add_unit, make_tree, user_with_role

pytestmark = pytest.mark.django_db


def test_the_gifts_add_up_to_the_seed_figure():
    assert sum(Decimal(amount) for _code, amount, _n in donation_demo.GIFTS) == donation_demo.COLLECTED == 47993


def test_load_demo_tells_the_story():
    tree = make_tree()
    group = tree.group
    for n in range(1, 13):
        add_unit(group, f"E{n:02d}", f"企业{n}", "subsidiary")
        group.refresh_from_db()
    e01 = Unit.objects.get(code="E01")
    users = {
        "admin": user_with_role(Role.GROUP_ADMIN, group, "admin"),
        "keeper": user_with_role(Role.MATERIALS_KEEPER, e01, "keeper"),
        "liaison": user_with_role(Role.UNIT_ADMIN, e01, "liaison"),
    }
    donation_demo.load_demo(rng=random.Random(7), today=timezone.localdate(), users=users, group=group)

    collection = Collection.objects.get()
    totals = selectors.collection_totals(collection)
    assert (totals.collected, totals.passed_on, totals.units) == (Decimal("47993.00"), Decimal("47993.00"), 13)
    assert Donation.objects.filter(direction=Direction.IN).count() == 3
    assert Donation.objects.filter(counterparty="渭城市方舱医院", lines__item__code="books").exists()
    fund = Fund.objects.get()
    statuses = sorted(fund.spendings.values_list("status", flat=True))
    assert statuses == [SpendingStatus.PAID, SpendingStatus.PAID, SpendingStatus.REQUESTED]
    assert fund.spent == Decimal("23100.00") and fund.balance == Decimal("176900.00")
