"""The donation, collection and fund pages as a keeper and the office use them: forms with their
messages, the receipt, the one-ledger collection page, the fund page, the report and the exports."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.donations.choices import Direction, DonationKind, SpendingStatus
from lianfang.donations.models import Collection, Donation, Fund, Spending
from lianfang.donations.services import collections, donations
from lianfang.donations.tests.helpers import DAY, NOW, items, on_hand, stock_in
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
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


@pytest.fixture
def keeper(tree):
    return user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper")


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def donation_post(unit, *, direction="in", kind="goods", lines=(), **fields):
    data = {
        "direction": direction,
        "kind": kind,
        "unit": unit.pk,
        "counterparty": fields.pop("counterparty", "中信证券"),
        "date": DAY.isoformat(),
        "amount": fields.pop("amount", ""),
        "receipt_no": fields.pop("receipt_no", ""),
        "note": "",
        "lines-TOTAL_FORMS": str(max(len(lines), 1)),
        "lines-INITIAL_FORMS": "0",
    }
    for n, (item, quantity) in enumerate(lines):
        data[f"lines-{n}-item"] = item.pk
        data[f"lines-{n}-quantity"] = quantity
    return data


def xlsx(response) -> dict[str, list[tuple]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_a_keeper_records_goods_received_on_the_page_and_prints_the_receipt(tree, keeper, catalogue):
    client = client_for(keeper)
    page = client.get(reverse("materials:donation-create") + "?direction=in")
    assert page.status_code == 200 and b'name="lines-0-item"' in page.content

    data = donation_post(
        tree.a1, lines=[(catalogue["surgical-mask"], "20000"), (catalogue["goggles"], "1000")], receipt_no="R-88"
    )
    response = client.post(reverse("materials:donation-create"), data)
    donation = Donation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "materials:donation-detail", args=[donation.pk]
    )
    assert on_hand(tree.a1, catalogue["surgical-mask"]) == 20000

    detail = client.get(response["Location"])
    assert b"JZ-2026-0001" in detail.content and b'data-line="goggles"' in detail.content
    receipt = client.get(reverse("materials:donation-receipt", args=[donation.pk]))
    text = receipt.content.decode()
    assert "Donation receipt" in text and "中信证券" in text and "R-88" in text and "20,000" in text


def test_the_page_shows_what_is_on_hand_when_goods_given_are_short(tree, keeper, catalogue):
    stock_in(tree.a1, catalogue["protective-suit"], 100)
    response = client_for(keeper).post(
        reverse("materials:donation-create"),
        donation_post(tree.a1, direction="out", lines=[(catalogue["protective-suit"], "108")], counterparty="方舱医院"),
    )
    assert response.status_code == 200
    assert "has only 100" in response.content.decode()
    assert not Donation.objects.exists() and on_hand(tree.a1, catalogue["protective-suit"]) == 100


def test_the_page_shows_the_amount_rules(tree, keeper):
    client = client_for(keeper)
    for amount, message in (
        ("0", "Enter an amount above zero."),
        ("-3", "Enter an amount above zero."),
        ("10.555", "Enter the amount with at most two decimals (fen)."),
    ):
        response = client.post(
            reverse("materials:donation-create"), donation_post(tree.a1, kind="money", amount=amount)
        )
        assert response.status_code == 200 and message in response.content.decode()
    assert not Donation.objects.exists()


def test_a_half_filled_goods_line_is_pointed_out(tree, keeper, catalogue):
    data = donation_post(tree.a1, lines=[(catalogue["goggles"], "")])
    response = client_for(keeper).post(reverse("materials:donation-create"), data)
    assert response.status_code == 200 and "Enter the quantity of this item." in response.content.decode()


def test_the_list_filters_by_direction_kind_and_unit_with_sub_units(tree, keeper, catalogue):
    inside = donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.MONEY,
        unit=tree.a1s,
        counterparty="x",
        date=DAY,
        amount="5",
    )
    other = donations.donation_record(
        actor=keeper,
        direction=Direction.OUT,
        kind=DonationKind.MONEY,
        unit=tree.a2,
        counterparty="y",
        date=DAY,
        amount="6",
    )
    client = client_for(keeper)
    url = reverse("materials:donation-list")
    assert f'data-row="{inside.pk}"' in client.get(url, {"unit": tree.a1.pk}).content.decode()
    assert f'data-row="{other.pk}"' not in client.get(url, {"unit": tree.a1.pk}).content.decode()
    assert f'data-row="{inside.pk}"' not in client.get(url, {"direction": "out"}).content.decode()
    partial = client.get(url, {"kind": "money"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content and b'data-total="2"' in partial.content


def test_cancelling_on_the_page_reverses_the_goods(tree, keeper, catalogue):
    donation = donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.GOODS,
        unit=tree.a1,
        counterparty="x",
        date=DAY,
        lines=[(catalogue["goggles"], 30)],
    )
    client = client_for(keeper)
    empty = client.post(reverse("materials:donation-cancel", args=[donation.pk]), {"reason": ""})
    assert empty.status_code == 200 and on_hand(tree.a1, catalogue["goggles"]) == 30
    done = client.post(reverse("materials:donation-cancel", args=[donation.pk]), {"reason": "重复登记"})
    assert done.status_code == 302 and on_hand(tree.a1, catalogue["goggles"]) == 0
    assert b"data-cancelled" in client.get(done["Location"]).content


def test_the_donation_export_holds_the_filtered_rows_and_is_audited(tree, keeper):
    for amount in ("100", "250.5"):
        donations.donation_record(
            actor=keeper,
            direction=Direction.IN,
            kind=DonationKind.MONEY,
            unit=tree.a1,
            counterparty="=cmd()",
            date=DAY,
            amount=amount,
        )
    response = client_for(keeper).get(reverse("materials:donation-export"), {"kind": "money"})
    sheet = next(iter(xlsx(response).values()))
    assert [row[0] for row in sheet[1:]] == ["JZ-2026-0002", "JZ-2026-0001"]
    assert sheet[1][5] == "'=cmd()"  # formula-safe
    assert sheet[1][6] == 250.5
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT, user=keeper).count() == 1


def test_the_collection_page_is_the_one_ledger_and_passing_on_too_much_says_the_total(tree, office):
    client = client_for(office)
    response = client.post(
        reverse("materials:collection-create"),
        {"organiser": tree.group.pk, "name": "抗疫捐款", "recipient": "渭南市红十字会", "opened_on": DAY.isoformat()},
    )
    collection = Collection.objects.get()
    assert response.status_code == 302
    for unit, amount in ((tree.group, "4500"), (tree.a, "3000.50")):
        gift = client.post(
            reverse("materials:collection-contribute", args=[collection.pk]),
            {"unit": unit.pk, "amount": amount, "date": DAY.isoformat(), "donors": "20"},
        )
        assert gift.status_code == 302
    too_much = client.post(
        reverse("materials:collection-pass-on", args=[collection.pk]), {"amount": "8000", "date": DAY.isoformat()}
    )
    assert too_much.status_code == 200
    assert "has collected 7,500.50 yuan" in too_much.content.decode() and not Donation.objects.exists()
    passed = client.post(
        reverse("materials:collection-pass-on", args=[collection.pk]),
        {"amount": "7500.50", "date": DAY.isoformat(), "receipt_no": "红-2026-17"},
    )
    assert passed.status_code == 302
    page = client.get(reverse("materials:collection-detail", args=[collection.pk])).content.decode()
    assert "data-collected>7,500.50" in page and "data-left>0.00" in page
    assert 'data-unit="G"' in page and 'data-unit="A"' in page and "红-2026-17" in page

    book = xlsx(client.get(reverse("materials:collection-export", args=[collection.pk])))
    totals, gifts, went = book.values()
    assert totals[1][2:5] == (7500.5, 7500.5, 0)
    assert len(gifts) == 3 and went[1][2] == "渭南市红十字会"


def test_a_liaison_records_their_units_gift_on_the_groups_collection(tree, office):
    collection = collections.collection_open(
        actor=office, organiser=tree.group, name="抗疫捐款", recipient="红十字会", opened_on=DAY
    )
    collections.contribution_record(actor=office, collection=collection, unit=tree.b, amount="700", date=DAY)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    client = client_for(liaison)
    page = client.get(reverse("materials:collection-detail", args=[collection.pk])).content.decode()
    assert "Record a unit&#x27;s gift" in page or "Record a unit’s gift" in page or "Record a unit's gift" in page
    assert "Pass the money on" not in page and 'data-unit="B"' not in page
    gift = client.post(
        reverse("materials:collection-contribute", args=[collection.pk]),
        {"unit": tree.a.pk, "amount": "1200", "date": DAY.isoformat(), "donors": "15"},
    )
    assert gift.status_code == 302
    page = client.get(reverse("materials:collection-detail", args=[collection.pk])).content.decode()
    assert 'data-unit="A"' in page and "data-collected>1,900.00" in page


def test_the_fund_page_and_the_spending_flow(tree, office):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    office_client, liaison_client = client_for(office), client_for(liaison)
    office_client.post(
        reverse("materials:fund-create"),
        {"unit": tree.a.pk, "name": "应急专项资金", "budget": "5000", "opened_on": DAY.isoformat()},
    )
    fund = Fund.objects.get()
    asked = liaison_client.post(
        reverse("materials:fund-request", args=[fund.pk]),
        {"unit": tree.a1.pk, "purpose": "额温枪 20 支", "amount": "6000"},
    )
    spending = Spending.objects.get()
    assert asked.status_code == 302
    refused = office_client.post(reverse("materials:spending-approve", args=[spending.pk]), {"note": ""})
    assert refused.status_code == 200 and "its balance is 5,000.00 yuan" in refused.content.decode()
    office_client.post(reverse("materials:fund-budget", args=[fund.pk]), {"increase": "1000", "reason": "追加"})
    assert (
        office_client.post(reverse("materials:spending-approve", args=[spending.pk]), {"note": "同意"}).status_code
        == 302
    )
    paid = office_client.post(
        reverse("materials:spending-pay", args=[spending.pk]), {"voucher_no": "记-2026-031", "paid_on": DAY.isoformat()}
    )
    assert paid.status_code == 302
    spending.refresh_from_db()
    assert spending.status == SpendingStatus.PAID
    page = liaison_client.get(reverse("materials:fund-detail", args=[fund.pk])).content.decode()
    assert "data-budget>6,000.00" in page and "data-spent>6,000.00" in page and "data-balance>0.00" in page
    assert "Raise the budget" not in page  # the liaison may not
    sheets = xlsx(office_client.get(reverse("materials:fund-export", args=[fund.pk])))
    fund_sheet, spending_sheet = sheets.values()
    assert fund_sheet[1][2:] == (6000, 0, 6000, 0)
    assert spending_sheet[1][6] == "记-2026-031"


def test_the_report_adds_up_goods_by_item_and_money_per_unit(tree, office, keeper, catalogue):
    mask = catalogue["surgical-mask"]
    donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.GOODS,
        unit=tree.a1,
        counterparty="x",
        date=DAY,
        lines=[(mask, 500)],
    )
    donations.donation_record(
        actor=keeper,
        direction=Direction.OUT,
        kind=DonationKind.GOODS,
        unit=tree.a1,
        counterparty="y",
        date=DAY,
        lines=[(mask, 200)],
    )
    donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.MONEY,
        unit=tree.a2,
        counterparty="z",
        date=DAY,
        amount="300",
    )
    cancelled = donations.donation_record(
        actor=keeper,
        direction=Direction.IN,
        kind=DonationKind.MONEY,
        unit=tree.a2,
        counterparty="z",
        date=DAY,
        amount="999",
    )
    donations.donation_cancel(actor=keeper, donation=cancelled, reason="重复")
    page = client_for(office).get(reverse("materials:donation-report"), {"date_from": DAY.isoformat()}).content.decode()
    assert "data-money-received>300.00" in page
    assert f'data-goods="A1/{mask.code}"' in page
    sheets = xlsx(client_for(office).get(reverse("materials:donation-report-export")))
    assert sheets["Money donations"][1] == ("甲公司运营部", 300, 0, 1)
    assert sheets["Goods donations"][1][3:] == (500, 200)
    assert Decimal(on_hand(tree.a1, mask)) == 300
