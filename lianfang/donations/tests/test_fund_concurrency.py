"""Fifty office clerks approving at once never commit more than the fund's budget; fifty donations
recorded at once get fifty different numbers; passing on at once never exceeds what was collected.

Only meaningful on PostgreSQL: SQLite serialises writers, so the race cannot happen there.
Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_donations.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lianfang.donations import selectors
from lianfang.donations.choices import Direction, DonationKind, SpendingStatus
from lianfang.donations.models import Donation, Fund, Spending
from lianfang.donations.services import collections, donations, funds
from lianfang.org.choices import Role
from lianfang.testing import make_tree, user_with_role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

THREADS = 50
DAY = datetime.date(2026, 3, 2)


def run_at_once(jobs: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    barrier = threading.Barrier(len(jobs))
    results: list[object] = []
    errors: list[BaseException] = []

    def run(job):
        try:
            barrier.wait()
            results.append(job())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_fifty_concurrent_approvals_never_exceed_the_budget():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    fund = funds.fund_open(actor=office, unit=tree.a, name="应急专项资金", budget="10000", opened_on=DAY)
    # 50 requests of 300 yuan: 15,000 asked of 10,000; exactly 33 fit.
    requests = [
        funds.spending_request(actor=liaison, fund=fund, purpose=f"采购 {n}", amount="300") for n in range(THREADS)
    ]

    results, errors = run_at_once([lambda s=s: funds.spending_approve(actor=office, spending=s) for s in requests])

    # Each refusal is about the amount and says the balance (threads speak the default language, Chinese).
    assert all(isinstance(e, ValidationError) and "余额" in e.message_dict["amount"][0] for e in errors), errors[:3]
    fund.refresh_from_db()
    approved = Spending.objects.filter(fund=fund, status=SpendingStatus.APPROVED)
    assert approved.count() == len(results) == 33 and len(errors) == THREADS - 33
    assert fund.committed == sum(s.amount for s in approved) == Decimal("9900.00")
    assert fund.balance == Decimal("100.00") and fund.committed + fund.spent <= fund.budget


def test_fifty_concurrent_donations_get_fifty_different_numbers():
    tree = make_tree()
    keeper = user_with_role(Role.MATERIALS_KEEPER, tree.a)
    jobs = [
        lambda n=n: donations.donation_record(
            actor=keeper,
            direction=Direction.IN,
            kind=DonationKind.MONEY,
            unit=tree.a1,
            counterparty=f"捐赠人 {n}",
            date=DAY,
            amount="10",
        )
        for n in range(THREADS)
    ]
    _results, errors = run_at_once(jobs)
    assert errors == []
    numbers = sorted(Donation.objects.values_list("number", flat=True))
    assert numbers == [f"JZ-2026-{n:04d}" for n in range(1, THREADS + 1)]


def test_concurrent_pass_ons_never_exceed_what_was_collected():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    collection = collections.collection_open(
        actor=office, organiser=tree.group, name="募捐", recipient="红十字会", opened_on=DAY
    )
    collections.contribution_record(actor=office, collection=collection, unit=tree.a, amount="1000", date=DAY)
    jobs = [
        lambda: collections.collection_pass_on(actor=office, collection=collection, amount="70", date=DAY)
        for _ in range(20)
    ]
    results, errors = run_at_once(jobs)
    assert len(results) == 14 and len(errors) == 6
    assert all(isinstance(e, ValidationError) for e in errors)
    assert selectors.collection_totals(collection).left == Decimal("20.00")
    assert Fund.objects.count() == 0
