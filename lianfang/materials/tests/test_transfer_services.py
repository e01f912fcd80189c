"""Transfers between units: proposed → approved → shipped → (partly) received, and every refusal.

Stock leaves on shipping and arrives on receipt, through the ledger; a refused step writes nothing.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lianfang.core.models import ObjectChange
from lianfang.materials.choices import MovementKind, OfferStatus, RequestStatus, TransferStatus
from lianfang.materials.models import Movement, Transfer
from lianfang.materials.selectors import transfers as selectors
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, on_hand, people, state, stock
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db
L = services.LineInput


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def world(tree):
    catalogue = items()
    who = people(tree)
    stock(tree.b1, catalogue["surgical-mask"], 1000)
    stock(tree.b1, catalogue["alcohol-75"], "50.5")
    return tree, catalogue, who


def refused(exc_type, fn, **kwargs) -> str:
    before = state()
    with translation.override("en"), pytest.raises(exc_type) as info:
        fn(**kwargs)
    assert state() == before, "a refused step changed something"
    return " ".join(info.value.messages) if hasattr(info.value, "messages") else str(info.value)


def approved(tree, catalogue, who, quantity=300) -> Transfer:
    return services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[L(catalogue["surgical-mask"], quantity)],
        approved=True,
    )


# --- the whole way ------------------------------------------------------------------------------


def test_a_request_matched_by_the_office_is_shipped_and_received_and_covers_the_request(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    request = services.request_create(
        actor=who.liaison_a1, unit=tree.a1, item=mask, quantity="600", reason="一线值守", front_line=True
    )
    transfer = services.request_match(actor=who.office, request=request, from_unit=tree.b1, quantity=600)
    assert transfer.status == TransferStatus.APPROVED
    assert transfer.number == "DB-20260302-0001"
    request.refresh_from_db()
    assert request.status == RequestStatus.COVERED  # an approved transfer covers it

    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    assert on_hand(tree.b1, mask) == 400
    assert [r.in_transit for r in selectors.in_transit_lines(viewer=who.keeper_a1)] == [Decimal(600)]
    out = Movement.objects.get(kind=MovementKind.TRANSFER_OUT)
    assert (out.unit, out.quantity, out.reference, out.front_line) == (tree.b1, -600, transfer.number, True)

    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={transfer.lines.get().pk: 600})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert on_hand(tree.a1, mask) == 600
    assert selectors.in_transit_lines(viewer=who.keeper_a1) == []


def test_numbers_count_up_within_a_day(world):
    tree, catalogue, who = world
    first = approved(tree, catalogue, who, 1)
    second = approved(tree, catalogue, who, 2)
    assert (first.number, second.number) == ("DB-20260302-0001", "DB-20260302-0002")


def test_each_step_tells_the_other_side(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    Message.objects.all().delete()
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    assert set(Message.objects.values_list("recipient__username", flat=True)) == {"keeper-a1", "liaison-a1"}
    Message.objects.all().delete()
    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={transfer.lines.get().pk: 300})
    assert "keeper-b1" in set(Message.objects.values_list("recipient__username", flat=True))
    assert set(Message.objects.values_list("kind", flat=True)) == {"transfer"}


def test_a_pledge_is_a_proposed_transfer_that_the_office_approves(tree):
    catalogue = items()
    who = people(tree)
    mask = catalogue["surgical-mask"]
    stock(tree.a2, mask, 100)
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    request = services.request_create(actor=who.keeper_a1, unit=tree.a1, item=mask, quantity=80, reason="缺口罩")
    transfer = services.request_pledge(actor=keeper_a, request=request, from_unit=tree.a2, quantity=50)
    assert (transfer.status, transfer.from_unit, transfer.to_unit) == (TransferStatus.PROPOSED, tree.a2, tree.a1)
    request.refresh_from_db()
    assert request.status == RequestStatus.OPEN  # proposed is not agreed yet
    with translation.override("en"):
        message = refused(PermissionDenied, services.transfer_approve, actor=keeper_a, transfer=transfer)
    assert "Only the group prevention office" in message
    services.transfer_approve(actor=who.office, transfer=transfer)
    request.refresh_from_db()
    assert request.status == RequestStatus.PARTLY
    assert services.request_outstanding(request) == 30


def test_matching_an_offer_takes_it_and_a_cancelled_transfer_frees_it_again(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    offer = services.offer_create(actor=who.keeper_b1, unit=tree.b1, item=mask, quantity=200)
    request = services.request_create(actor=who.keeper_a1, unit=tree.a1, item=mask, quantity=500, reason="r")
    transfer = services.request_match(actor=who.office, request=request, offer=offer)
    assert transfer.lines.get().quantity == 200  # what the offer has
    offer.refresh_from_db()
    assert offer.status == OfferStatus.TAKEN
    services.transfer_cancel(actor=who.office, transfer=transfer, reason="换一家")
    offer.refresh_from_db()
    request.refresh_from_db()
    assert (offer.status, request.status) == (OfferStatus.OPEN, RequestStatus.OPEN)


# --- partial receipts and discrepancies ---------------------------------------------------------


def test_a_partial_receipt_leaves_the_rest_in_transit_and_a_second_completes_it(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    line = transfer.lines.get()
    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={line.pk: 100})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTLY_RECEIVED
    (_row,) = selectors.in_transit_by_unit(viewer=who.office)[:1]
    assert [(r.unit, r.incoming, r.outgoing) for r in selectors.in_transit_by_unit(viewer=who.office)] == [
        (tree.a1, Decimal(200), Decimal(0)),
        (tree.b1, Decimal(0), Decimal(200)),
    ]
    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={line.pk: 200})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert transfer.receipts.count() == 2
    assert on_hand(tree.a1, catalogue["surgical-mask"]) == 300


def test_finishing_short_needs_a_discrepancy_note_per_short_line(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    line = transfer.lines.get()
    message = refused(
        ValidationError,
        services.transfer_receive,
        actor=who.keeper_a1,
        transfer=transfer,
        quantities={line.pk: 290},
        finish=True,
    )
    assert "discrepancy note" in message and "Surgical mask" in message
    services.transfer_receive(
        actor=who.keeper_a1,
        transfer=transfer,
        quantities={line.pk: 290},
        finish=True,
        discrepancies={line.pk: "破损 10 只"},
    )
    transfer.refresh_from_db()
    line.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert (line.received, line.discrepancy_note) == (290, "破损 10 只")
    assert on_hand(tree.a1, catalogue["surgical-mask"]) == 290


def test_receiving_more_than_shipped_is_refused_with_what_can_still_arrive(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    line = transfer.lines.get()
    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={line.pk: 250})
    message = refused(
        ValidationError, services.transfer_receive, actor=who.keeper_a1, transfer=transfer, quantities={line.pk: 51}
    )
    assert "at most 50" in message


# --- refusals -----------------------------------------------------------------------------------


def test_shipping_more_than_on_hand_is_refused_naming_what_is_available(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who, 1200)
    message = refused(ValidationError, services.transfer_ship, actor=who.keeper_b1, transfer=transfer)
    assert "1,000" in message and "Surgical mask" in message


def test_a_step_out_of_order_is_refused(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    line = transfer.lines.get()
    assert "only a shipped transfer" in refused(
        ValidationError, services.transfer_receive, actor=who.keeper_a1, transfer=transfer, quantities={line.pk: 1}
    )
    assert "only a proposed transfer" in refused(
        ValidationError, services.transfer_approve, actor=who.office, transfer=transfer
    )
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    assert "not yet shipped" in refused(
        ValidationError, services.transfer_cancel, actor=who.office, transfer=transfer, reason="x"
    )
    assert "only an approved transfer" in refused(
        ValidationError, services.transfer_ship, actor=who.keeper_b1, transfer=transfer
    )


def test_only_the_sending_side_ships_and_only_the_receiving_side_receives(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    assert "sending unit" in refused(PermissionDenied, services.transfer_ship, actor=who.keeper_a1, transfer=transfer)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    line = transfer.lines.get()
    assert "receiving unit" in refused(
        PermissionDenied, services.transfer_receive, actor=who.keeper_b1, transfer=transfer, quantities={line.pk: 1}
    )


def test_fractional_and_negative_quantities_of_counted_items_are_refused(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    assert "whole number" in refused(
        ValidationError,
        services.request_create,
        actor=who.keeper_a1,
        unit=tree.a1,
        item=mask,
        quantity="1.5",
        reason="r",
    )
    assert "above zero" in refused(
        ValidationError,
        services.request_create,
        actor=who.keeper_a1,
        unit=tree.a1,
        item=mask,
        quantity="-3",
        reason="r",
    )
    # Litres may have decimals.
    request = services.request_create(
        actor=who.keeper_a1, unit=tree.a1, item=catalogue["alcohol-75"], quantity="2.5", reason="消毒"
    )
    assert request.quantity == Decimal("2.5")


def test_an_offer_above_what_is_on_hand_is_refused_with_what_is_on_hand(world):
    tree, catalogue, who = world
    message = refused(
        ValidationError,
        services.offer_create,
        actor=who.keeper_b1,
        unit=tree.b1,
        item=catalogue["surgical-mask"],
        quantity=1001,
    )
    assert "only 1,000" in message


def test_matching_more_than_the_request_still_needs_is_refused(world):
    tree, catalogue, who = world
    request = services.request_create(
        actor=who.keeper_a1, unit=tree.a1, item=catalogue["surgical-mask"], quantity=100, reason="r"
    )
    assert "still needs 100" in refused(
        ValidationError, services.request_match, actor=who.office, request=request, from_unit=tree.b1, quantity=101
    )


def test_a_keeper_cannot_match_requests_only_the_office_above_both_units_can(world):
    tree, catalogue, who = world
    request = services.request_create(
        actor=who.keeper_a1, unit=tree.a1, item=catalogue["surgical-mask"], quantity=100, reason="r"
    )
    office_a = user_with_role(Role.GROUP_ADMIN, tree.a, "office-a")
    message = refused(PermissionDenied, services.request_match, actor=office_a, request=request, from_unit=tree.b1)
    assert "above" in message


def test_reject_and_cancel_need_a_reason_and_only_before_shipping(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    assert "Say why" in refused(
        ValidationError, services.transfer_reject, actor=who.keeper_b1, transfer=transfer, reason=" "
    )
    assert "sending unit" in refused(
        PermissionDenied, services.transfer_reject, actor=who.keeper_a1, transfer=transfer, reason="不要"
    )
    services.transfer_reject(actor=who.keeper_b1, transfer=transfer, reason="库存不足")
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.REJECTED and "库存不足" in transfer.note


def test_a_request_with_transfers_under_way_cannot_be_cancelled(world):
    tree, catalogue, who = world
    request = services.request_create(
        actor=who.keeper_a1, unit=tree.a1, item=catalogue["surgical-mask"], quantity=100, reason="r"
    )
    services.request_match(actor=who.office, request=request, from_unit=tree.b1, quantity=40)
    assert "under way" in refused(ValidationError, services.request_cancel, actor=who.keeper_a1, request=request)


def test_every_step_is_in_the_change_log(world):
    tree, catalogue, who = world
    transfer = approved(tree, catalogue, who)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    change = ObjectChange.objects.filter(object_id=transfer.pk, action="update").latest("pk")
    assert change.prechange_data["status"] == "approved" and change.postchange_data["status"] == "shipped"
    assert change.postchange_data["lines"][0]["shipped"] == "300.00"
