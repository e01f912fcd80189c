"""Donations: goods move the stock line by line, money has an amount, every refusal says what to
do and leaves nothing behind, numbers are unique, and a cancellation reverses the stock."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lianfang.core.models import ObjectChange
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.models import Donation, DonationLine
from lianfang.donations.services import base as services
from lianfang.donations.services import donations
from lianfang.donations.tests.helpers import DAY, NOW, items, on_hand, stock_in
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Movement
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def catalogue():
    return items()


@pytest.fixture
def keeper(tree):
    return user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper")


def state():
    return (
        list(Donation.objects.order_by("pk").values()),
        list(DonationLine.objects.order_by("pk").values()),
        list(Movement.objects.order_by("pk").values("pk", "quantity")),
        ObjectChange.objects.count(),
    )


def goods(keeper, unit, lines, direction=Direction.IN, **extra):
    return donations.donation_record(
        actor=keeper,
        direction=direction,
        kind=DonationKind.GOODS,
        unit=unit,
        counterparty=extra.pop("counterparty", "中信证券"),
        date=extra.pop("date", DAY),
        lines=lines,
        **extra,
    )


def money(keeper, unit, amount, direction=Direction.IN, **extra):
    return donations.donation_record(
        actor=keeper,
        direction=direction,
        kind=DonationKind.MONEY,
        unit=unit,
        counterparty=extra.pop("counterparty", "渭南市红十字会"),
        date=extra.pop("date", DAY),
        amount=amount,
        **extra,
    )


def refusal(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def test_goods_received_post_one_donation_movement_per_line_and_raise_the_stock(tree, keeper, catalogue):
    mask, goggles = catalogue["surgical-mask"], catalogue["goggles"]
    donation = goods(keeper, tree.a1, [(mask, "20000"), (goggles, 1000)], receipt_no="R-001")

    assert donation.number == "JZ-2026-0001"
    assert on_hand(tree.a1, mask) == 20000 and on_hand(tree.a1, goggles) == 1000
    movements = Movement.objects.filter(reference=donation.number).order_by("item__sort")
    assert [(m.kind, m.quantity, m.counterparty) for m in movements] == [
        (MovementKind.DONATION_IN, Decimal(20000), "中信证券"),
        (MovementKind.DONATION_IN, Decimal(1000), "中信证券"),
    ]
    assert {line.movement_id for line in donation.lines.all()} == {m.pk for m in movements}
    change = ObjectChange.objects.get(object_id=donation.pk, content_type__model="donation")
    assert change.action == "create" and change.user == keeper
    assert change.postchange_data["lines"] == [
        {"item": "surgical-mask", "quantity": "20000"},
        {"item": "goggles", "quantity": "1000"},
    ]


def test_goods_given_leave_the_stock_with_donation_out_movements(tree, keeper, catalogue):
    alcohol = catalogue["alcohol-75"]
    stock_in(tree.a1, alcohol, "200")
    donation = goods(keeper, tree.a1, [(alcohol, "145.5")], direction=Direction.OUT, counterparty="方舱医院")

    assert on_hand(tree.a1, alcohol) == Decimal("54.5")
    (movement,) = Movement.objects.filter(reference=donation.number)
    assert movement.kind == MovementKind.DONATION_OUT and movement.quantity == Decimal("-145.5")


def test_giving_more_goods_than_on_hand_is_refused_with_what_is_available_and_nothing_written(tree, keeper, catalogue):
    mask, suit = catalogue["surgical-mask"], catalogue["protective-suit"]
    stock_in(tree.a1, mask, 500)
    stock_in(tree.a1, suit, 10)
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        goods(keeper, tree.a1, [(mask, 400), (suit, 12)], direction=Direction.OUT, counterparty="方舱医院")
    assert "has only 10 Set" in refusal(exc) or "has only 10 set" in refusal(exc)
    assert "12" in refusal(exc)
    assert state() == before
    assert on_hand(tree.a1, mask) == 500  # the first line was not taken either


def test_fractional_counted_goods_are_refused(tree, keeper, catalogue):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        goods(keeper, tree.a1, [(catalogue["surgical-mask"], "10.5")])
    assert "enter a whole number" in refusal(exc)
    assert exc.value.message_dict.keys() == {"lines"}
    assert state() == before


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("0", "above zero"), ("-5", "above zero"), ("abc", "Enter a number"), ("1.234", "at most two decimals")],
)
def test_bad_goods_quantities_are_refused_with_a_message(tree, keeper, catalogue, quantity, message):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        goods(keeper, tree.a1, [(catalogue["alcohol-75"], quantity)])
    assert message in refusal(exc)
    assert state() == before


def test_an_item_listed_twice_and_no_items_at_all_are_refused(tree, keeper, catalogue):
    mask = catalogue["surgical-mask"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as twice:
            goods(keeper, tree.a1, [(mask, 10), (mask, 20)])
        with pytest.raises(ValidationError) as empty:
            goods(keeper, tree.a1, [])
    assert "listed twice" in refusal(twice)
    assert "at least one item" in refusal(empty)
    assert not Donation.objects.exists()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Enter an amount above zero."),
        ("-100", "Enter an amount above zero."),
        ("12.345", "Enter the amount with at most two decimals (fen)."),
        ("lots", "Enter the amount in yuan as a number, e.g. 1200.50."),
        ("1e20", "The amount is too large; check the number."),
        (None, "Enter the amount in yuan."),
    ],
)
def test_bad_money_amounts_are_refused_on_the_amount_field(tree, keeper, amount, message):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        money(keeper, tree.a1, amount)
    assert exc.value.message_dict == {"amount": [message]}
    assert state() == before


def test_money_is_kept_to_the_fen_and_posts_no_movement(tree, keeper):
    donation = money(keeper, tree.a1, "47993", direction=Direction.OUT)
    assert donation.amount == Decimal("47993.00")
    assert not Movement.objects.exists()


def test_money_with_items_and_goods_with_an_amount_are_refused(tree, keeper, catalogue):
    with translation.override("en"):
        with pytest.raises(ValidationError) as with_items:
            donations.donation_record(
                actor=keeper,
                direction=Direction.IN,
                kind=DonationKind.MONEY,
                unit=tree.a1,
                counterparty="某公司",
                date=DAY,
                amount="100",
                lines=[(catalogue["goggles"], 1)],
            )
        with pytest.raises(ValidationError) as with_amount:
            goods(keeper, tree.a1, [(catalogue["goggles"], 1)], amount="100")
    assert "not items" in refusal(with_items)
    assert "leave the amount empty" in refusal(with_amount)


def test_the_donor_or_recipient_is_required_and_the_date_cannot_be_in_the_future(tree, keeper):
    with translation.override("en"):
        with pytest.raises(ValidationError) as donor:
            money(keeper, tree.a1, "100", counterparty="  ")
        with pytest.raises(ValidationError) as recipient:
            money(keeper, tree.a1, "100", counterparty="", direction=Direction.OUT)
        with pytest.raises(ValidationError) as future:
            money(keeper, tree.a1, "100", date=DAY + datetime.timedelta(days=1))
    assert donor.value.message_dict == {"counterparty": ["Name the donor."]}
    assert recipient.value.message_dict == {"counterparty": ["Name the recipient."]}
    assert future.value.message_dict == {"date": ["Choose today or an earlier day."]}


def test_numbers_run_per_year_and_past_9999(tree, keeper):
    first = money(keeper, tree.a1, "1")
    second = money(keeper, tree.a1, "2")
    last_year = money(keeper, tree.a1, "3", date=datetime.date(2025, 12, 30))
    assert (first.number, second.number, last_year.number) == ("JZ-2026-0001", "JZ-2026-0002", "JZ-2025-0001")
    Donation.objects.filter(pk=second.pk).update(number="JZ-2026-9999")
    assert money(keeper, tree.a1, "4").number == "JZ-2026-10000"
    assert money(keeper, tree.a1, "5").number == "JZ-2026-10001"


def test_a_number_taken_meanwhile_is_skipped(tree, keeper, monkeypatch):
    """Two writers reading the same last number: the loser's insert fails and it takes the next one."""
    money(keeper, tree.a1, "1")
    real = services._next_number
    calls = []

    def stale(year):  # the first read misses the row written "meanwhile"
        calls.append(year)
        return "JZ-2026-0001" if len(calls) == 1 else real(year)

    monkeypatch.setattr(services, "_next_number", stale)
    assert money(keeper, tree.a1, "2").number == "JZ-2026-0002"
    assert len(calls) == 2


def test_someone_who_may_not_record_donations_of_the_unit_is_refused_with_who_can(tree, catalogue):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    keeper_b = user_with_role(Role.MATERIALS_KEEPER, tree.b)
    with translation.override("en"):
        for user in (liaison, keeper_b):
            with pytest.raises(PermissionDenied) as exc:
                goods(user, tree.a1, [(catalogue["goggles"], 1)])
            assert "its materials keeper or the group prevention office can" in str(exc.value)
    assert not Donation.objects.exists()


def test_cancelling_goods_received_takes_them_back_out_and_is_audited(tree, keeper, catalogue):
    mask = catalogue["surgical-mask"]
    donation = goods(keeper, tree.a1, [(mask, 2000)])
    donations.donation_cancel(actor=keeper, donation=donation, reason="录错单位")

    donation.refresh_from_db()
    assert donation.cancelled == NOW and donation.cancelled_by == keeper and donation.cancel_reason == "录错单位"
    assert on_hand(tree.a1, mask) == 0
    reverse = Movement.objects.filter(reference=donation.number).order_by("pk").last()
    assert reverse.kind == MovementKind.DONATION_OUT and reverse.quantity == -2000
    assert "录错单位" in reverse.note
    change = ObjectChange.objects.filter(object_id=donation.pk, action="update").get()
    assert change.prechange_data["cancelled"] is None and change.postchange_data["cancel_reason"] == "录错单位"


def test_cancelling_goods_given_puts_them_back(tree, keeper, catalogue):
    suit = catalogue["protective-suit"]
    stock_in(tree.a1, suit, 108)
    donation = goods(keeper, tree.a1, [(suit, 108)], direction=Direction.OUT, counterparty="方舱医院")
    donations.donation_cancel(actor=keeper, donation=donation, reason="对方未接收")
    assert on_hand(tree.a1, suit) == 108


def test_cancelling_goods_already_used_is_refused_with_what_is_on_hand(tree, keeper, catalogue):
    mask = catalogue["surgical-mask"]
    donation = goods(keeper, tree.a1, [(mask, 1000)])
    goods(keeper, tree.a1, [(mask, 700)], direction=Direction.OUT, counterparty="社区")
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        donations.donation_cancel(actor=keeper, donation=donation, reason="重复登记")
    assert f"Donation {donation.number} cannot be cancelled" in refusal(exc)
    assert "has only 300" in refusal(exc)
    assert state() == before


def test_a_cancelled_donation_cannot_be_cancelled_again_and_a_reason_is_required(tree, keeper):
    donation = money(keeper, tree.a1, "500")
    with translation.override("en"):
        with pytest.raises(ValidationError) as no_reason:
            donations.donation_cancel(actor=keeper, donation=donation, reason=" ")
        donations.donation_cancel(actor=keeper, donation=donation, reason="重复")
        with pytest.raises(ValidationError) as again:
            donations.donation_cancel(actor=keeper, donation=donation, reason="重复")
    assert no_reason.value.message_dict == {
        "reason": ["Say why the donation is cancelled; the reason is kept with it."]
    }
    assert "was already cancelled" in refusal(again)


def test_cancelling_needs_the_change_right_on_the_unit(tree, keeper):
    donation = money(keeper, tree.a1, "500")
    leader = user_with_role(Role.LEADER, tree.group)
    with translation.override("en"), pytest.raises(PermissionDenied) as exc:
        donations.donation_cancel(actor=leader, donation=donation, reason="x")
    assert "You may not cancel donations of" in str(exc.value)
    donation.refresh_from_db()
    assert donation.cancelled is None
