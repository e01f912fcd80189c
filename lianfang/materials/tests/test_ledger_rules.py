"""The ledger's rules: how stock changes, what it refuses, and what the refusals say."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from lianfang.materials import ledger, quantities
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Movement, Stock
from lianfang.materials.tests.stock_helpers import DAY, items, put

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    return items()


def on_hand(unit, item) -> Decimal:
    return Stock.objects.get(unit=unit, item=item).on_hand


def test_a_purchase_then_an_issue_read_like_a_bank_statement(tree, catalogue):
    masks = catalogue["surgical-mask"]
    first = put(tree.a1, masks, MovementKind.PURCHASE, 1000)
    second = put(tree.a1, masks, MovementKind.ISSUE, 300)
    assert (first.quantity, first.balance_after) == (Decimal(1000), Decimal(1000))
    assert (second.quantity, second.balance_after) == (Decimal(-300), Decimal(700))
    assert on_hand(tree.a1, masks) == 700


def test_issuing_more_than_on_hand_is_refused_with_what_is_available(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    with translation.override("en"), pytest.raises(ledger.InsufficientStock) as exc:
        put(tree.a1, masks, MovementKind.ISSUE, 500)
    message = exc.value.messages[0]
    assert "甲公司综合部 has only 300 pieces (只) of Surgical mask on hand" in message
    assert "500 pieces (只) cannot be taken out" in message and "Enter at most 300" in message
    assert on_hand(tree.a1, masks) == 300
    assert Movement.objects.count() == 1


def test_the_refusal_is_in_chinese_by_default(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    with pytest.raises(ledger.InsufficientStock) as exc:
        put(tree.a1, masks, MovementKind.ISSUE, 301)
    assert "300" in exc.value.messages[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-5", "above zero"),
        ("0", "above zero"),
        ("2.5", "whole pieces (只)"),
        ("abc", "Enter a number"),
        ("1e20", "too large"),
    ],
)
def test_bad_quantities_for_counted_items_are_refused_with_a_message(tree, catalogue, value, expected):
    masks = catalogue["surgical-mask"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        put(tree.a1, masks, MovementKind.PURCHASE, value)
    assert expected in exc.value.messages[0]
    assert not Movement.objects.exists()


def test_litres_take_decimals_but_not_three_of_them(tree, catalogue):
    alcohol = catalogue["alcohol-75"]
    assert put(tree.a1, alcohol, MovementKind.PURCHASE, "2.5").balance_after == Decimal("2.5")
    with translation.override("en"), pytest.raises(ValidationError, match="at most two decimals"):
        put(tree.a1, alcohol, MovementKind.ISSUE, "0.125")


def test_a_transfer_posts_both_movements_or_neither(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 100)
    out = ledger.Posting(unit=tree.a1, item=masks, kind=MovementKind.TRANSFER_OUT, quantity=Decimal(150), date=DAY)
    into = ledger.Posting(unit=tree.b1, item=masks, kind=MovementKind.TRANSFER_IN, quantity=Decimal(150), date=DAY)
    with pytest.raises(ledger.InsufficientStock):
        ledger.post(actor=None, postings=[into, out])
    assert Movement.objects.count() == 1
    assert not Stock.objects.filter(unit=tree.b1, on_hand__gt=0).exists()

    out = ledger.Posting(unit=tree.a1, item=masks, kind=MovementKind.TRANSFER_OUT, quantity=Decimal(60), date=DAY)
    into = ledger.Posting(unit=tree.b1, item=masks, kind=MovementKind.TRANSFER_IN, quantity=Decimal(60), date=DAY)
    ledger.post(actor=None, postings=[out, into])
    assert (on_hand(tree.a1, masks), on_hand(tree.b1, masks)) == (40, 60)


def test_an_adjustment_carries_its_sign(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 100)
    assert put(tree.a1, masks, MovementKind.ADJUSTMENT, -7).balance_after == 93
    assert put(tree.a1, masks, MovementKind.ADJUSTMENT, 3).balance_after == 96
    with pytest.raises(ledger.InsufficientStock):
        put(tree.a1, masks, MovementKind.ADJUSTMENT, -97)


def test_the_database_refuses_a_negative_balance_even_without_the_ledger(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(unit=tree.a1, item=masks).update(on_hand=-1)


def test_the_first_movement_date_is_kept_for_the_burn_rate(tree, catalogue):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=DAY)
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=DAY.replace(day=1))
    put(tree.a1, masks, MovementKind.ISSUE, 1, date=DAY.replace(day=5))
    assert Stock.objects.get(unit=tree.a1, item=masks).first_movement_on == DAY.replace(day=1)


def test_an_unknown_kind_is_a_programming_error(tree, catalogue):
    with pytest.raises(ValueError, match="unknown movement kind"):
        put(tree.a1, catalogue["surgical-mask"], "stolen", 1)


def test_quantities_read_as_people_count_them(catalogue):
    with translation.override("en"):
        assert quantities.format_quantity(catalogue["surgical-mask"], Decimal(1200)) == "1,200 pieces (只)"
        assert quantities.format_quantity(catalogue["alcohol-75"], Decimal("2.50")) == "2.50 litres (L)"
