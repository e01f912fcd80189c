"""The materials pages of issue 10 as the office and the keepers use them: the donors beside a
request, the approval warning, one form for several receiving units, the dates shipped and received,
the printed note's words, and lists that put what needs action first."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.materials.choices import TransferStatus
from lianfang.materials.models import Transfer
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, on_hand, people, stock
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db
L = services.LineInput
TODAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def world(tree):
    catalogue = items()
    who = people(tree)
    return tree, catalogue, who


def client(user, language: str = "en") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(user)
    return c


def approved(tree, catalogue, who, quantity=300) -> Transfer:
    return services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[L(catalogue["surgical-mask"], quantity)],
        approved=True,
        notify=False,
    )


def test_the_office_chooses_a_donor_seeing_each_units_stock_and_what_it_can_give(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 900)  # keeps its threshold of 500: gives 400
    stock(tree.b, mask, 3000)  # gives 2,500
    stock(tree.a2, mask, 300)  # below its threshold: gives nothing
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=800, reason="一线")

    page = client(who.office).get(reverse("materials:request-detail", args=[request.pk])).content.decode()

    assert re.findall(r'data-donor="(\d+)"', page) == [str(tree.b.pk), str(tree.b1.pk), str(tree.a2.pk)]
    surpluses = re.findall(r"data-surplus><strong>([\d,]+)</strong>", page)
    assert surpluses == ["2500", "400", "0"]
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page.split('name="from_unit"')[1])
    assert [pk for pk, _label in options][:3] == [str(tree.b.pk), str(tree.b1.pk), str(tree.a2.pk)]
    assert "乙公司 · 3,000 pieces (只) on hand" in options[0][1] and "can give 2,500" in options[0][1]


def test_a_keeper_pledging_sees_what_its_own_units_could_send(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.a2, mask, 900)  # gives 400
    stock(tree.a, mask, 2000)  # gives 1,500
    stock(tree.b1, mask, 5000)  # not the keeper's
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=80, reason="r")

    page = client(keeper_a).get(reverse("materials:request-detail", args=[request.pk])).content.decode()

    assert "What your units could send" in page and 'data-form="pledge"' in page
    assert re.findall(r'data-donor="(\d+)"', page) == [str(tree.a.pk), str(tree.a2.pk)]


def test_the_approve_card_warns_before_the_office_confirms_a_transfer_the_sender_cannot_cover(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b1, mask, 100)
    transfer = services.transfer_propose(actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 300)])
    url = reverse("materials:transfer-detail", args=[transfer.pk])
    office = client(who.office)

    page = office.get(url).content.decode()
    assert "data-shortage" in page and 'name="confirm_short"' in page
    assert "100 pieces (只) on hand; this one needs 300" in page

    refused = office.post(reverse("materials:transfer-action", args=[transfer.pk, "approve"]))
    transfer.refresh_from_db()
    assert refused.status_code == 400 and transfer.status == TransferStatus.PROPOSED
    assert "The sending unit does not have the stock" in refused.content.decode()

    office.post(reverse("materials:transfer-action", args=[transfer.pk, "approve"]), {"confirm_short": "1"})
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.APPROVED


def test_one_form_sends_to_several_receiving_units_one_note_each(world):
    tree, catalogue, _who = world
    mask, gloves = catalogue["surgical-mask"], catalogue["gloves"]
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    stock(tree.a, mask, 1000)
    stock(tree.a, gloves, 500)
    keeper = client(keeper_a)
    form_page = keeper.get(reverse("materials:transfer-create")).content.decode()
    assert 'name="to_unit_16"' in form_page and 'name="quantity_16_3"' in form_page

    response = keeper.post(
        reverse("materials:transfer-create"),
        {
            "from_unit": tree.a.pk,
            "item_1": mask.pk,
            "item_2": gloves.pk,
            "to_unit_1": tree.a1.pk,
            "quantity_1_1": "200",
            "quantity_1_2": "100",
            "to_unit_6": tree.a1s.pk,  # a row behind "more receiving units"
            "quantity_6_1": "100",
            "note": "热力站补充",
        },
    )

    assert response.status_code == 302
    notes = list(Transfer.objects.order_by("number"))
    assert [(t.to_unit, t.status, t.note) for t in notes] == [
        (tree.a1, TransferStatus.PROPOSED, "热力站补充"),
        (tree.a1s, TransferStatus.PROPOSED, "热力站补充"),
    ]
    assert sorted((line.item.code, int(line.quantity)) for line in notes[0].lines.all()) == [
        ("gloves", 100),
        ("surgical-mask", 200),
    ]
    listing = keeper.get(response["Location"]).content.decode()
    assert "2 transfer notes were made, one per receiving unit" in listing


def test_a_receiving_unit_without_quantities_or_a_quantity_without_unit_is_shown_on_the_form(world):
    tree, catalogue, _who = world
    mask = catalogue["surgical-mask"]
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    stock(tree.a, mask, 1000)
    response = client(keeper_a).post(
        reverse("materials:transfer-create"),
        {"from_unit": tree.a.pk, "item_1": mask.pk, "to_unit_1": tree.a1.pk, "quantity_2_1": "50"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and not Transfer.objects.exists()
    assert "Choose the receiving unit for these quantities." in page
    assert "Enter how many of which item this unit receives." in page


def test_the_transfer_page_note_and_export_show_the_days_shipped_and_received_as_entered(world):
    tree, catalogue, who = world
    stock(tree.b1, catalogue["surgical-mask"], 1000, date=TODAY - datetime.timedelta(days=9))
    transfer = approved(tree, catalogue, who)
    line = transfer.lines.get()
    response = client(who.keeper_b1).post(
        reverse("materials:transfer-action", args=[transfer.pk, "ship"]),
        {f"ship_{line.pk}": "300", "date": "2026-02-26"},
    )
    assert response.status_code == 302

    too_early = client(who.keeper_a1).post(
        reverse("materials:transfer-action", args=[transfer.pk, "receive"]),
        {f"receive_{line.pk}": "300", "date": "2026-02-25"},
    )
    assert too_early.status_code == 400 and on_hand(tree.a1, catalogue["surgical-mask"]) == 0
    assert "was shipped on 2026-02-26: a receipt cannot be dated before its shipment" in too_early.content.decode()

    client(who.keeper_a1).post(
        reverse("materials:transfer-action", args=[transfer.pk, "receive"]),
        {f"receive_{line.pk}": "300", "date": "2026-02-27"},
    )
    detail = client(who.keeper_a1).get(reverse("materials:transfer-detail", args=[transfer.pk])).content.decode()
    assert "<small data-shipped-on>2026-02-26</small>" in detail and "<small data-received-on>2026-02-27" in detail
    assert "recorded 2026-03-02" in detail  # typed in today, beside the day it happened

    note = client(who.keeper_a1).get(reverse("materials:transfer-note", args=[transfer.pk])).content.decode()
    assert "<span data-shipped-on>2026-02-26</span>" in note and "<span data-received-on>2026-02-27</span>" in note

    export = client(who.office).get(reverse("materials:transfer-export"))
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    row = dict(zip(header, rows[1], strict=True))
    assert row["Shipped on"].date() == datetime.date(2026, 2, 26)
    assert row["Received on"].date() == datetime.date(2026, 2, 27)
    assert row["From"] == tree.b1.name and row["To"] == tree.a1.name


def test_the_printed_transfer_note_uses_the_words_of_a_chinese_transfer_note(world):
    tree, catalogue, who = world
    stock(tree.b1, catalogue["surgical-mask"], 1000)
    transfer = approved(tree, catalogue, who)
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer, date=TODAY - datetime.timedelta(days=1))

    note = client(who.keeper_a1, "zh-hans").get(reverse("materials:transfer-note", args=[transfer.pk]))
    page = note.content.decode()

    for word in ("调拨单", "调出单位", "调入单位", "单号", "发货日期", "收货日期", "实发数量", "物资"):
        assert word in page, word
    for wrong in ("开始日期", "结束日期", "轮船", "数字", "离职", "人员类别", "人员信息"):
        assert wrong not in page, wrong
    detail = client(who.keeper_b1, "zh-hans").get(reverse("materials:transfer-detail", args=[transfer.pk]))
    listing = client(who.keeper_b1, "zh-hans").get(reverse("materials:transfer-list"))
    for text in (detail.content.decode(), listing.content.decode()):
        assert "调出单位" in text and "调入单位" in text
        for wrong in ("开始日期", "结束日期", "轮船", "数字", "待审批</th>"):
            assert wrong not in text, wrong


def test_the_ship_button_reads_fa_huo_and_the_note_number_column_dan_hao(world):
    tree, catalogue, who = world
    stock(tree.b1, catalogue["surgical-mask"], 1000)
    transfer = approved(tree, catalogue, who)
    page = client(who.keeper_b1, "zh-hans").get(reverse("materials:transfer-detail", args=[transfer.pk]))
    text = page.content.decode()
    assert "<h2>发货</h2>" in text and "登记发货" in text
    listing = client(who.keeper_b1, "zh-hans").get(reverse("materials:transfer-in-transit")).content.decode()
    assert "数字" not in listing


def test_the_transfer_list_puts_what_waits_for_the_keeper_first_with_what_to_do(world):
    tree, catalogue, who = world
    stock(tree.b1, catalogue["surgical-mask"], 1000)
    waiting = approved(tree, catalogue, who)
    services._create_transfer(
        actor=who.office,
        from_unit=tree.a1,
        to_unit=tree.b1,
        lines=[L(catalogue["surgical-mask"], 5)],
        approved=False,
        notify=False,
    )
    page = client(who.keeper_b1).get(reverse("materials:transfer-list")).content.decode()
    rows = re.findall(r'<tr data-row="(\d+)"', page)
    assert rows[0] == str(waiting.pk)
    assert "Waiting for you to ship" in page
    only = client(who.keeper_b1).get(reverse("materials:transfer-list") + "?waiting=ship").content.decode()
    assert re.findall(r'<tr data-row="(\d+)"', only) == [str(waiting.pk)]


def test_the_rebalancing_page_shows_packs_and_the_front_line_weight(world):
    tree, catalogue, who = world
    from lianfang.materials.models import RebalanceProposal

    mask = catalogue["surgical-mask"]
    line = {"id": 1, "from": tree.b1.pk, "to": tree.a1s.pk, "item": mask.pk, "quantity": "150", "dropped": False}
    line |= {"packs": 3, "pack_size": 50}
    proposal = RebalanceProposal.objects.create(
        scope_unit=tree.group,
        max_shipments=5,
        summary={
            "lines": [line],
            "levels": [[tree.a1s.pk, mask.pk, 0, 10, 14, True, [9, 10]], [tree.b1.pk, mask.pk, 1000, 10, 14, False]],
            "front_line_weight": 10.0,
        },
        created_by=who.office,
    )
    page = client(who.office).get(reverse("materials:rebalance-detail", args=[proposal.pk])).content.decode()
    assert "3 packs of 50 pieces (只)" in page
    assert "Front line ×10" in page and "9 of 10 people work the front line" in page
    assert 'data-front-line-weight="10"' in page
