"""The emergency fund (应急专项资金): a budget; approval commits, payment spends, the balance never
goes below zero; who may decide and pay; the requester and the office are told."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from lianfang.core.models import ObjectChange
from lianfang.donations import selectors
from lianfang.donations.choices import SpendingStatus
from lianfang.donations.models import Fund, Spending
from lianfang.donations.services import funds
from lianfang.donations.tests.helpers import DAY, NOW
from lianfang.notify.choices import MessageKind
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, "liaison")


@pytest.fixture
def fund(tree, office):
    return funds.fund_open(actor=office, unit=tree.a, name="疫情防控应急专项资金", budget="10000", opened_on=DAY)


def fund_state(fund):
    fund.refresh_from_db()
    return (fund.budget, fund.committed, fund.spent, fund.balance)


def state():
    return (
        list(Fund.objects.order_by("pk").values()),
        list(Spending.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
    )


def ask(liaison, fund, amount, unit=None, purpose="采购额温枪"):
    return funds.spending_request(actor=liaison, fund=fund, unit=unit, purpose=purpose, amount=amount)


def test_request_approve_pay_moves_the_amount_from_balance_to_committed_to_spent(tree, office, liaison, fund):
    spending = ask(liaison, fund, "3000.50", unit=tree.a1)
    assert spending.status == SpendingStatus.REQUESTED
    assert fund_state(fund) == (10000, 0, 0, 10000)

    funds.spending_approve(actor=office, spending=spending, note="同意")
    assert fund_state(fund) == (10000, Decimal("3000.50"), 0, Decimal("6999.50"))

    funds.spending_pay(actor=office, spending=spending, voucher_no="记-0315", paid_on=DAY)
    spending.refresh_from_db()
    assert (spending.status, spending.voucher_no, spending.paid_on) == (SpendingStatus.PAID, "记-0315", DAY)
    assert fund_state(fund) == (10000, 0, Decimal("3000.50"), Decimal("6999.50"))
    actions = list(
        ObjectChange.objects.filter(content_type__model="spending", object_id=spending.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "update"]


def test_approving_beyond_the_balance_is_refused_with_the_balance(tree, office, liaison, fund):
    first = ask(liaison, fund, "7000")
    second = ask(liaison, fund, "3000.01")
    funds.spending_approve(actor=office, spending=first)
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        funds.spending_approve(actor=office, spending=second)
    assert exc.value.message_dict == {
        "amount": [
            "Approving 3,000.01 yuan would overspend 疫情防控应急专项资金: its balance is 3,000.00 yuan. "
            "Reject the request, or raise the budget first."
        ]
    }
    assert state() == before

    funds.fund_raise_budget(actor=office, fund=fund, increase="0.01", reason="追加")
    funds.spending_approve(actor=office, spending=second)
    assert fund_state(fund)[3] == 0


def test_paying_an_unapproved_or_rejected_request_is_refused(tree, office, liaison, fund):
    waiting = ask(liaison, fund, "100")
    rejected = ask(liaison, fund, "200")
    funds.spending_reject(actor=office, spending=rejected, note="不属于专项资金范围")
    before = state()
    with translation.override("en"):
        with pytest.raises(ValidationError) as unapproved:
            funds.spending_pay(actor=office, spending=waiting, voucher_no="V1", paid_on=DAY)
        with pytest.raises(ValidationError) as was_rejected:
            funds.spending_pay(actor=office, spending=rejected, voucher_no="V2", paid_on=DAY)
    assert "has not been approved yet" in unapproved.value.messages[0]
    assert "was rejected" in was_rejected.value.messages[0]
    assert state() == before


def test_paying_twice_deciding_twice_and_paying_without_a_voucher_are_refused(tree, office, liaison, fund):
    spending = ask(liaison, fund, "100")
    funds.spending_approve(actor=office, spending=spending)
    with translation.override("en"):
        with pytest.raises(ValidationError) as twice:
            funds.spending_approve(actor=office, spending=spending)
        with pytest.raises(ValidationError) as no_voucher:
            funds.spending_pay(actor=office, spending=spending, voucher_no=" ", paid_on=DAY)
        with pytest.raises(ValidationError) as early:
            funds.spending_pay(
                actor=office, spending=spending, voucher_no="V", paid_on=DAY - datetime.timedelta(days=1)
            )
        funds.spending_pay(actor=office, spending=spending, voucher_no="V9", paid_on=DAY)
        with pytest.raises(ValidationError) as paid_twice:
            funds.spending_pay(actor=office, spending=spending, voucher_no="V10", paid_on=DAY)
    assert "already decided" in twice.value.messages[0]
    assert no_voucher.value.message_dict == {"voucher_no": ["Enter the voucher number of the payment."]}
    assert "cannot be earlier" in early.value.message_dict["paid_on"][0]
    assert "already paid on" in paid_twice.value.messages[0] and "V9" in paid_twice.value.messages[0]
    assert fund_state(fund) == (10000, 0, 100, 9900)


def test_rejecting_needs_a_note_and_commits_nothing(tree, office, liaison, fund):
    spending = ask(liaison, fund, "500")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        funds.spending_reject(actor=office, spending=spending, note="")
    assert exc.value.message_dict == {"note": ["Say why the request is rejected; the requester reads it."]}
    funds.spending_reject(actor=office, spending=spending, note="重复申请")
    spending.refresh_from_db()
    assert spending.status == SpendingStatus.REJECTED and spending.decided_by == office
    assert fund_state(fund) == (10000, 0, 0, 10000)


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "above zero"), ("-20", "above zero"), ("10.001", "at most two decimals"), ("x", "as a number")],
)
def test_bad_request_amounts_are_refused(tree, liaison, fund, amount, message):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        ask(liaison, fund, amount)
    assert message in exc.value.message_dict["amount"][0]
    assert state() == before


def test_only_the_approve_right_on_the_unit_or_above_decides(tree, liaison, fund):
    spending = ask(liaison, fund, "100")
    office_of_b = user_with_role(Role.GROUP_ADMIN, tree.b)
    leader = user_with_role(Role.LEADER, tree.group)
    office_below = user_with_role(Role.GROUP_ADMIN, tree.a1)  # below the fund's unit A: not for A's spending
    before = state()
    with translation.override("en"):
        for user in (liaison, office_of_b, leader, office_below):
            with pytest.raises(PermissionDenied) as exc:
                funds.spending_approve(actor=user, spending=spending)
            assert "needs the approve right on 甲公司 or a unit above it" in str(exc.value)
            with pytest.raises(PermissionDenied):
                funds.spending_reject(actor=user, spending=spending, note="x")
    assert state() == before
    office_of_a = user_with_role(Role.GROUP_ADMIN, tree.a)
    funds.spending_approve(actor=office_of_a, spending=spending)


def test_paying_needs_the_change_right(tree, office, liaison, fund):
    spending = ask(liaison, fund, "100")
    funds.spending_approve(actor=office, spending=spending)
    with translation.override("en"), pytest.raises(PermissionDenied) as exc:
        funds.spending_pay(actor=liaison, spending=spending, voucher_no="V", paid_on=DAY)
    assert "is for the group prevention office" in str(exc.value)


def test_requests_are_for_the_funds_unit_and_its_sub_units(tree, office, fund):
    keeper_b = user_with_role(Role.MATERIALS_KEEPER, tree.b)
    with translation.override("en"):
        with pytest.raises(ValidationError) as outside:
            ask(office, fund, "10", unit=tree.b)
        with pytest.raises(PermissionDenied):
            ask(keeper_b, fund, "10", unit=tree.b1)
        with pytest.raises(ValidationError) as no_purpose:
            ask(office, fund, "10", purpose=" ")
    assert "pays for 甲公司 and its sub-units only" in outside.value.message_dict["unit"][0]
    assert no_purpose.value.message_dict == {"purpose": ["Say what the money is for."]}
    assert not Spending.objects.exists()


def test_raising_the_budget_is_audited_with_its_reason(tree, office, fund):
    funds.fund_raise_budget(actor=office, fund=fund, increase="5000", reason="第二批拨款")
    assert fund_state(fund)[0] == Decimal("15000.00")
    change = ObjectChange.objects.filter(content_type__model="fund", action="update").get()
    assert change.prechange_data["budget"] == "10000.00" and change.postchange_data["budget"] == "15000.00"
    assert change.postchange_data["reason"] == "第二批拨款"
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        funds.fund_raise_budget(actor=office, fund=fund, increase="-1", reason="x")
    assert exc.value.message_dict == {"increase": ["Enter an amount above zero."]}
    leader = user_with_role(Role.LEADER, tree.group)
    with pytest.raises(PermissionDenied):
        funds.fund_raise_budget(actor=leader, fund=fund, increase="1", reason="x")


def test_the_database_refuses_an_overspent_fund(fund):
    with pytest.raises(IntegrityError), transaction.atomic():
        Fund.objects.filter(pk=fund.pk).update(committed=Decimal("10000.01"))


def test_the_office_hears_of_requests_and_the_requester_of_decisions(
    tree, office, liaison, fund, django_capture_on_commit_callbacks
):
    other_office = user_with_role(Role.GROUP_ADMIN, tree.b)  # not above A: not told
    with django_capture_on_commit_callbacks(execute=True):
        spending = ask(liaison, fund, "100")
    to_office = Message.objects.get(recipient=office)
    assert to_office.kind == MessageKind.SPENDING and f"/spending/{spending.pk}/" in to_office.url
    assert not Message.objects.filter(recipient__in=[liaison, other_office]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        funds.spending_approve(actor=office, spending=spending, note="同意采购")
    with django_capture_on_commit_callbacks(execute=True):
        funds.spending_pay(actor=office, spending=spending, voucher_no="V1", paid_on=DAY)
    told = list(Message.objects.filter(recipient=liaison).order_by("pk").values_list("kind", "body"))
    assert [kind for kind, _body in told] == [MessageKind.SPENDING, MessageKind.SPENDING]
    assert told[0][1] == "同意采购"


def test_the_funds_summary_adds_up(tree, office, liaison, fund):
    funds.fund_open(actor=office, unit=tree.b, name="乙公司专项资金", budget="2000", opened_on=DAY)
    spending = ask(liaison, fund, "300")
    ask(liaison, fund, "50")
    funds.spending_approve(actor=office, spending=spending)
    summary = selectors.funds_summary(viewer=office)
    assert (summary.budget, summary.committed, summary.spent, summary.balance, summary.waiting) == (
        Decimal("12000.00"),
        Decimal("300.00"),
        0,
        Decimal("11700.00"),
        1,
    )
    assert selectors.funds_summary(viewer=liaison).budget == Decimal("10000.00")
