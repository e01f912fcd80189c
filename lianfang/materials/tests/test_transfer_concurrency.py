"""Transfers created, shipped and received at the same moment on PostgreSQL: numbers never clash, a
transfer is shipped once, and stock never goes below zero.

Only meaningful on PostgreSQL (SQLite serialises writers). Run with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_transfers.
"""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lianfang.materials.choices import MovementKind, TransferStatus
from lianfang.materials.models import Movement, Transfer
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, on_hand, people, stock
from lianfang.testing import make_tree

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]


def run_together(n: int, fn) -> list[BaseException]:
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            barrier.wait()
            fn(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_twenty_transfers_created_at_once_get_twenty_different_numbers():
    tree = make_tree()
    mask = items()["surgical-mask"]
    who = people(tree)

    def create(i: int) -> None:
        services._create_transfer(
            actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[services.LineInput(mask, i + 1)], approved=True
        )

    assert run_together(20, create) == []
    numbers = sorted(Transfer.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 20
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, 21))


def test_many_shipments_against_one_store_never_take_it_below_zero():
    tree = make_tree()
    mask = items()["surgical-mask"]
    who = people(tree)
    stock(tree.b1, mask, 1000)
    transfers = [
        services._create_transfer(
            actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[services.LineInput(mask, 70)], approved=True
        )
        for _ in range(20)
    ]
    refused: list[int] = []

    def ship(i: int) -> None:
        try:
            services.transfer_ship(actor=who.keeper_b1, transfer=transfers[i])
        except ValidationError:
            refused.append(i)

    assert run_together(20, ship) == []
    shipped = Transfer.objects.filter(status=TransferStatus.SHIPPED).count()
    assert shipped == 14 and len(refused) == 6  # 14 × 70 = 980 ≤ 1,000 < 15 × 70
    assert on_hand(tree.b1, mask) == Decimal(1000 - 14 * 70)
    outs = Movement.objects.filter(kind=MovementKind.TRANSFER_OUT).count()
    assert outs == shipped


def test_the_same_transfer_shipped_twice_at_once_ships_once():
    tree = make_tree()
    mask = items()["surgical-mask"]
    who = people(tree)
    stock(tree.b1, mask, 1000)
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[services.LineInput(mask, 100)], approved=True
    )
    refused: list[int] = []

    def ship(i: int) -> None:
        try:
            services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
        except ValidationError:
            refused.append(i)

    assert run_together(8, ship) == []
    assert len(refused) == 7
    assert on_hand(tree.b1, mask) == 900
