"""200 issues and transfers racing for one unit's stock never drive it negative, and the books add up.

Only meaningful on PostgreSQL (SQLite serialises writers, so the race cannot happen there):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_stock .venv/bin/python -m pytest \
        lianfang/materials/tests/test_ledger_concurrency.py -q -p no:cacheprovider

The 200 operations run on 40 threads released together by a barrier, each with its own database
connection: the server allows 100 connections in all and other test runs share it, so 200 threads
with 200 connections would measure the server's connection limit rather than the ledger.
"""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone

from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Movement, Stock
from lianfang.materials.services import stock
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.testing import UserFactory, make_tree

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

OPERATIONS = 200
THREADS = 40
START = 1500


def test_two_hundred_concurrent_issues_and_transfers_never_go_negative_and_add_up_exactly():
    tree = make_tree()
    masks = items()["surgical-mask"]
    office = UserFactory(username="office", is_superuser=True)
    today = timezone.localdate()
    put(tree.a1, masks, MovementKind.PURCHASE, START, date=today)
    receivers = [tree.a2, tree.b1, tree.a1s]

    rng = random.Random(5)
    # Half issues, half transfers (to three units, so the receiving rows race too); 1–20 masks each,
    # about 2,100 asked for in all against 1,500 on hand: some must be refused.
    plan = [("issue" if n % 2 else "transfer", rng.randint(1, 20), receivers[n % 3]) for n in range(OPERATIONS)]
    barrier = threading.Barrier(THREADS)
    accepted: list[tuple[str, int, int]] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(ops):
        try:
            barrier.wait()
            for kind, quantity, receiver in ops:
                try:
                    if kind == "issue":
                        stock.movement_record(
                            actor=office,
                            unit=tree.a1,
                            item=masks,
                            kind=MovementKind.ISSUE,
                            quantity=quantity,
                            date=today,
                        )
                    else:
                        ledger.post(
                            actor=office,
                            postings=[
                                ledger.Posting(
                                    unit=tree.a1,
                                    item=masks,
                                    kind=MovementKind.TRANSFER_OUT,
                                    quantity=Decimal(quantity),
                                    date=today,
                                ),
                                ledger.Posting(
                                    unit=receiver,
                                    item=masks,
                                    kind=MovementKind.TRANSFER_IN,
                                    quantity=Decimal(quantity),
                                    date=today,
                                ),
                            ],
                        )
                except ledger.InsufficientStock as exc:
                    with lock:
                        refused.append(exc.messages[0])
                else:
                    with lock:
                        accepted.append((kind, quantity, receiver.pk))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(plan[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []  # no deadlock, no constraint violation, no lost update
    assert len(accepted) + len(refused) == OPERATIONS
    assert refused, "the plan asks for more than is on hand, so some operations must be refused"
    # Each refusal names what is available (in the thread's language, Chinese by default).
    assert all("现有库存仅" in message or "has only" in message for message in refused), refused[:3]

    taken = sum(q for _k, q, _r in accepted)
    balance = Stock.objects.get(unit=tree.a1, item=masks).on_hand
    assert balance == START - taken >= 0
    for receiver in receivers:
        received = sum(q for k, q, r in accepted if k == "transfer" and r == receiver.pk)
        row = Stock.objects.filter(unit=receiver, item=masks).first()
        assert (row.on_hand if row else 0) == received

    # The ledger of A1 reads like a bank statement: each balance is the one before plus the movement.
    running = Decimal(0)
    movements = list(Movement.objects.filter(unit=tree.a1, item=masks).order_by("pk"))
    for m in movements:
        running += m.quantity
        assert m.balance_after == running >= 0
    assert running == balance
    issues = sum(1 for k, _q, _r in accepted if k == "issue")
    transfers = len(accepted) - issues
    assert Movement.objects.filter(kind=MovementKind.ISSUE).count() == issues
    assert Movement.objects.filter(kind=MovementKind.TRANSFER_OUT).count() == transfers
    assert Movement.objects.filter(kind=MovementKind.TRANSFER_IN).count() == transfers
