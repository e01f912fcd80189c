"""Burn rate and days of supply against figures worked out by hand.

The window is the 7 days ending on ``T`` (T−6 … T). Each test says how its figures come about.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind, TransferStatus
from lianfang.materials.models import Transfer, TransferLine
from lianfang.materials.services import stock
from lianfang.materials.supply import supply_table
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Tag
from lianfang.testing import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

T = timezone.localdate()


def day(n: int) -> datetime.date:
    """T − n days."""
    return T - datetime.timedelta(days=n)


@pytest.fixture
def catalogue():
    return items()


@pytest.fixture
def office(db):
    return UserFactory(username="office", is_superuser=True)


def front_line(unit, n: int, *, status=EmploymentStatus.ACTIVE):
    tag = Tag.objects.get(code="front-line")
    for person in PersonFactory.create_batch(n, unit=unit, employment_status=status):
        person.tags.add(tag)


def test_daily_use_is_the_issues_of_the_window_over_its_days(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 1000, date=day(20))  # history well beyond the window
    put(tree.a1, masks, MovementKind.ISSUE, 100, date=day(7))  # the day before the window: not counted
    put(tree.a1, masks, MovementKind.ISSUE, 70, date=day(6))
    put(tree.a1, masks, MovementKind.ISSUE, 50, date=day(4))
    put(tree.a1, masks, MovementKind.ISSUE, 20, date=day(0))
    # Received stock is not use, nor is stock sent to another unit.
    put(tree.a1, masks, MovementKind.PURCHASE, 40, date=day(2))
    ledger.post(
        actor=None,
        postings=[
            ledger.Posting(unit=tree.a1, item=masks, kind=MovementKind.TRANSFER_OUT, quantity=Decimal(30), date=day(1)),
            ledger.Posting(unit=tree.b1, item=masks, kind=MovementKind.TRANSFER_IN, quantity=Decimal(30), date=day(1)),
        ],
    )

    row = supply_table(unit_ids=[tree.a1.pk], item_ids=[masks.pk], as_of=T)[(tree.a1.pk, masks.pk)]

    # Use: 70 + 50 + 20 = 140 in 7 days = 20 a day; on hand 1000 − 100 − 140 + 40 − 30 = 770 → 38.5 days.
    assert row.on_hand == 770
    assert row.daily_use == Decimal("20.00")
    assert row.days_of_supply == Decimal("38.5")
    assert not row.forecast_used
    assert (row.threshold, row.target_days, row.level) == (Decimal(500), 14, "ok")


def test_with_daily_counts_use_is_yesterdays_count_plus_received_minus_todays_count(tree, catalogue, office):
    masks = catalogue["surgical-mask"]
    put(tree.a2, masks, MovementKind.PURCHASE, 500, date=day(20))
    # T−2: first count 490 (books 500): corrects the books, but is not use (no count the day before).
    stock.stocktake_record(actor=office, unit=tree.a2, date=day(2), counts={masks: 490})
    # T−1: 30 issued, counted 450 (books 460): use = 490 + 0 − 450 = 40.
    put(tree.a2, masks, MovementKind.ISSUE, 30, date=day(1))
    stock.stocktake_record(actor=office, unit=tree.a2, date=day(1), counts={masks: 450})
    # T: 40 issued and 20 sent to B1, counted 395 (books 390): use = 450 − 20 − 395 = 35.
    put(tree.a2, masks, MovementKind.ISSUE, 40, date=day(0))
    ledger.post(
        actor=None,
        postings=[
            ledger.Posting(unit=tree.a2, item=masks, kind=MovementKind.TRANSFER_OUT, quantity=Decimal(20), date=T),
            ledger.Posting(unit=tree.b1, item=masks, kind=MovementKind.TRANSFER_IN, quantity=Decimal(20), date=T),
        ],
    )
    stock.stocktake_record(actor=office, unit=tree.a2, date=T, counts={masks: 395})

    row = supply_table(unit_ids=[tree.a2.pk], as_of=T)[(tree.a2.pk, masks.pk)]

    # (40 + 35) / 7 = 10.714… → 10.71 a day; 395 / 10.71 = 36.88… → 36.9 days.
    assert row.on_hand == 395
    assert row.daily_use == Decimal("10.71")
    assert row.days_of_supply == Decimal("36.9")


def test_short_history_uses_the_front_line_forecast(tree, catalogue):
    masks, thermometer = catalogue["surgical-mask"], catalogue["thermometer"]
    front_line(tree.b, 2)
    front_line(tree.b1, 3)
    front_line(tree.b1, 4, status=EmploymentStatus.LEFT)  # not counted
    PersonFactory.create_batch(2, unit=tree.b1)  # not front line
    put(tree.b, masks, MovementKind.PURCHASE, 200, date=day(2))  # 3 days of history < 7
    put(tree.b, masks, MovementKind.ISSUE, 30, date=day(1))
    put(tree.b, thermometer, MovementKind.PURCHASE, 4, date=day(2))

    table = supply_table(unit_ids=[tree.b.pk, tree.b1.pk], as_of=T)

    # B: 5 front-line people in its subtree × 2 masks = 10 a day; 170 / 10 = 17 days.
    b = table[(tree.b.pk, masks.pk)]
    assert (b.front_line_headcount, b.forecast_used, b.daily_use, b.days_of_supply) == (
        5,
        True,
        Decimal("10.00"),
        Decimal("17.0"),
    )
    # B1 holds nothing, but B's store supplies it (its 3 people are in B's forecast): no row of its own.
    assert (tree.b1.pk, masks.pk) not in table
    # Thermometers have no per-person use: B's has no forecast and no use, B1 gets no row for them.
    assert table[(tree.b.pk, thermometer.pk)].days_of_supply is None
    assert (tree.b1.pk, thermometer.pk) not in table


def test_front_line_people_that_no_store_supplies_show_as_short(tree, catalogue):
    masks = catalogue["surgical-mask"]
    front_line(tree.a1, 3)
    put(tree.b, masks, MovementKind.PURCHASE, 200, date=day(2))  # a store, but not above A1

    for unit_ids in (None, [tree.a1.pk]):
        table = supply_table(unit_ids=unit_ids, as_of=T)
        a1 = table[(tree.a1.pk, masks.pk)]
        assert (a1.on_hand, a1.daily_use, a1.days_of_supply, a1.level) == (
            0,
            Decimal("6.00"),
            Decimal("0.0"),
            "low",
        )

    put(tree.a, masks, MovementKind.PURCHASE, 100, date=day(1))  # now A keeps masks for its units
    for unit_ids in (None, [tree.a1.pk]):
        assert (tree.a1.pk, masks.pk) not in supply_table(unit_ids=unit_ids, as_of=T)


def test_short_history_without_a_forecast_averages_the_days_there_are(tree, catalogue):
    thermometer = catalogue["thermometer"]
    put(tree.a1s, thermometer, MovementKind.PURCHASE, 10, date=day(3))  # 4 days of history
    put(tree.a1s, thermometer, MovementKind.ISSUE, 2, date=day(1))

    row = supply_table(unit_ids=[tree.a1s.pk], as_of=T)[(tree.a1s.pk, thermometer.pk)]

    # 2 issued over 4 days = 0.5 a day; 8 / 0.5 = 16 days.
    assert (row.daily_use, row.days_of_supply, row.forecast_used) == (Decimal("0.50"), Decimal("16.0"), False)


def test_a_units_own_threshold_and_target_override_the_items(tree, catalogue, office):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 760, date=day(20))
    put(tree.a1, masks, MovementKind.ISSUE, 70, date=day(1))  # 10 a day → 69 days
    assert supply_table(unit_ids=[tree.a1.pk])[(tree.a1.pk, masks.pk)].level == "ok"

    stock.stock_set_levels(actor=office, unit=tree.a1, item=masks, reorder_threshold=Decimal(800), target_days=None)
    row = supply_table(unit_ids=[tree.a1.pk])[(tree.a1.pk, masks.pk)]
    assert (row.threshold, row.target_days, row.below_threshold, row.level) == (Decimal(800), 14, True, "low")

    stock.stock_set_levels(actor=office, unit=tree.a1, item=masks, reorder_threshold=Decimal(0), target_days=90)
    row = supply_table(unit_ids=[tree.a1.pk])[(tree.a1.pk, masks.pk)]
    assert (row.days_of_supply, row.below_target, row.level) == (Decimal("69.0"), True, "short")


def test_what_is_shipped_and_not_yet_received_is_in_transit(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=day(20))
    for number, status, shipped, received in [
        ("T1", TransferStatus.SHIPPED, 100, 0),
        ("T2", TransferStatus.PARTLY_RECEIVED, 100, 40),
        ("T3", TransferStatus.APPROVED, 0, 0),  # not shipped yet
        ("T4", TransferStatus.RECEIVED, 50, 50),
    ]:
        transfer = Transfer.objects.create(number=number, from_unit=tree.b1, to_unit=tree.a1, status=status)
        TransferLine.objects.create(transfer=transfer, item=masks, quantity=100, shipped=shipped, received=received)

    row = supply_table(unit_ids=[tree.a1.pk])[(tree.a1.pk, masks.pk)]

    assert row.in_transit_in == 160  # 100 + 60
    assert row.on_hand == 10  # not counted in on hand or days of supply


def test_nothing_used_means_no_days_of_supply(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=day(30))
    row = supply_table()[(tree.a1.pk, masks.pk)]
    assert (row.daily_use, row.days_of_supply) == (0, None)
