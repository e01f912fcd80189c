"""Money collections among units: each unit's gift, the totals, passing the money on (never more
than collected), and what a taking-part unit's liaison sees and may do."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from lianfang.core.models import ObjectChange
from lianfang.donations import selectors
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.models import Collection, Contribution, Donation
from lianfang.donations.services import collections, donations
from lianfang.donations.tests.helpers import DAY, NOW
from lianfang.org.choices import Role
from lianfang.testing import add_unit, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def collection(tree, office):
    return collections.collection_open(
        actor=office, organiser=tree.group, name="抗疫捐款", recipient="渭南市红十字会", opened_on=DAY
    )


def state():
    return (
        list(Contribution.objects.order_by("pk").values()),
        list(Donation.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
    )


def give(actor, collection, unit, amount, **extra):
    return collections.contribution_record(
        actor=actor, collection=collection, unit=unit, amount=amount, date=extra.pop("date", DAY), **extra
    )


def test_the_seed_002_collection_totals_47993_yuan_from_the_group_and_12_companies(tree, office):
    companies = [add_unit(tree.group, f"E{n:02d}", f"公司{n}", "subsidiary") for n in range(1, 13)]
    collection = collections.collection_open(
        actor=office, organiser=tree.group, name="抗疫捐款倡议", recipient="渭南市红十字会", opened_on=DAY
    )
    amounts = ["5200", "4810", "3600", "4125", "3980", "2750", "4300", "3318", "2900", "3500", "2410", "2600"]
    give(office, collection, tree.group, "4500", donors=60)
    for unit, amount in zip(companies, amounts, strict=True):
        give(office, collection, unit, amount, donors=30)

    totals = selectors.collection_totals(collection)
    assert totals.collected == Decimal("47993.00") and totals.units == 13 and totals.donors == 420

    donation = collections.collection_pass_on(actor=office, collection=collection, amount="47993", date=DAY)
    assert (donation.direction, donation.kind, donation.unit, donation.counterparty) == (
        Direction.OUT,
        DonationKind.MONEY,
        tree.group,
        "渭南市红十字会",
    )
    assert donation.collection == collection and donation.number == "JZ-2026-0001"
    assert selectors.collection_totals(collection).left == 0

    ledger = selectors.collection_ledger(viewer=office, collection=collection)
    assert ledger.whole and len(ledger.rows) == 13 and ledger.shown_total == Decimal("47993.00")
    assert [d.pk for d in ledger.passed_on] == [donation.pk]


def test_a_unit_giving_twice_is_one_row_with_both_gifts(tree, office, collection):
    give(office, collection, tree.a, "1000", donors=10)
    give(office, collection, tree.a, "250.50", donors=3)
    (row,) = selectors.collection_ledger(viewer=office, collection=collection).rows
    assert (row.unit, row.amount, row.donors, len(row.gifts)) == (tree.a, Decimal("1250.50"), 13, 2)


def test_passing_on_more_than_collected_is_refused_with_the_totals(tree, office, collection):
    give(office, collection, tree.a, "3000")
    collections.collection_pass_on(actor=office, collection=collection, amount="2000", date=DAY)
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        collections.collection_pass_on(actor=office, collection=collection, amount="1000.01", date=DAY)
    assert exc.value.message_dict == {
        "amount": [
            "抗疫捐款 has collected 3,000.00 yuan, of which 2,000.00 yuan has been passed on: "
            "at most 1,000.00 yuan can be passed on now."
        ]
    }
    assert state() == before
    collections.collection_pass_on(actor=office, collection=collection, amount="1000", date=DAY)
    assert selectors.collection_totals(collection).left == 0


def test_a_cancelled_pass_on_frees_its_amount(tree, office, collection):
    give(office, collection, tree.a, "800")
    donation = collections.collection_pass_on(actor=office, collection=collection, amount="800", date=DAY)
    donations.donation_cancel(actor=office, donation=donation, reason="汇款退回")
    assert selectors.collection_totals(collection).left == Decimal("800.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [("0", "Enter an amount above zero."), ("-1", "Enter an amount above zero."), ("1.001", "at most two decimals")],
)
def test_bad_gift_amounts_are_refused(tree, office, collection, amount, message):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        give(office, collection, tree.a, amount)
    assert message in exc.value.message_dict["amount"][0]
    assert state() == before


def test_gifts_outside_the_collection_dates_or_units_are_refused(tree, office):
    collection = collections.collection_open(
        actor=office,
        organiser=tree.a,
        name="甲公司募捐",
        recipient="社区",
        opened_on=DAY - datetime.timedelta(days=5),
        closed_on=DAY - datetime.timedelta(days=1),
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as late:
            give(office, collection, tree.a1, "10", date=DAY)
        with pytest.raises(ValidationError) as early:
            give(office, collection, tree.a1, "10", date=DAY - datetime.timedelta(days=6))
        with pytest.raises(ValidationError) as outside:
            give(office, collection, tree.b, "10", date=DAY - datetime.timedelta(days=2))
        with pytest.raises(ValidationError) as donors:
            give(office, collection, tree.a1, "10", date=DAY - datetime.timedelta(days=2), donors=0)
    assert "The collection closed on" in late.value.message_dict["date"][0]
    assert "The collection opened on" in early.value.message_dict["date"][0]
    assert "is not among the units of 甲公司" in outside.value.message_dict["unit"][0]
    assert donors.value.message_dict == {"donors": ["Enter how many people gave, 1 or more, or leave it empty."]}
    assert not Contribution.objects.exists()


def test_a_collection_closing_before_it_opens_is_refused(tree, office):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        collections.collection_open(
            actor=office,
            organiser=tree.group,
            name="x",
            recipient="y",
            opened_on=DAY,
            closed_on=DAY - datetime.timedelta(days=1),
        )
    assert exc.value.message_dict == {"closed_on": ["The collection cannot close before it opens."]}


def test_a_liaison_sees_the_groups_collection_and_records_only_their_units_gift(tree, office, collection):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")
    give(office, collection, tree.b, "900")

    assert list(selectors.collection_list(viewer=liaison)) == [collection]
    gift = give(liaison, collection, tree.a1, "1200", donors=12)
    assert gift.created_by == liaison

    ledger = selectors.collection_ledger(viewer=liaison, collection=collection)
    assert not ledger.whole
    assert [row.unit for row in ledger.rows] == [tree.a1]  # B's gift is not listed…
    assert ledger.totals.collected == Decimal("2100.00")  # …but counts in the total
    assert set(selectors.contribution_units(viewer=liaison, collection=collection)) == {
        tree.a,
        tree.a1,
        tree.a1s,
        tree.a2,
    }

    with translation.override("en"):
        with pytest.raises(PermissionDenied) as other_unit:
            give(liaison, collection, tree.b, "100")
        with pytest.raises(PermissionDenied) as pass_on:
            collections.collection_pass_on(actor=liaison, collection=collection, amount="100", date=DAY)
    assert "its liaison or the group prevention office can" in str(other_unit.value)
    assert "Only the organiser of the collection" in str(pass_on.value)
    assert Contribution.objects.count() == 2 and not Donation.objects.exists()


def test_a_collection_of_a_sibling_is_not_seen(tree, office):
    collection = collections.collection_open(actor=office, organiser=tree.b, name="乙", recipient="x", opened_on=DAY)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    assert not selectors.collection_list(viewer=liaison).filter(pk=collection.pk).exists()


def test_opening_a_collection_needs_the_add_right_on_the_organiser(tree):
    keeper = user_with_role(Role.MATERIALS_KEEPER, tree.group)
    with translation.override("en"), pytest.raises(PermissionDenied) as exc:
        collections.collection_open(actor=keeper, organiser=tree.group, name="x", recipient="y", opened_on=DAY)
    assert "the group prevention office can" in str(exc.value)
    assert not Collection.objects.exists()
