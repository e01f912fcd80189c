"""The stock pages as a keeper and the office use them: recording, the ledger, the stock-take, the
report with its colours, the catalogue, and the exports."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item, Movement, Stock, StockTake
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def catalogue():
    return items()


@pytest.fixture
def keeper(tree):
    return user_with_role(Role.MATERIALS_KEEPER, tree.a1, "keeper")


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


def client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def test_a_keeper_records_a_purchase_and_an_issue_and_reads_the_ledger(tree, catalogue, keeper):
    masks = catalogue["surgical-mask"]
    c = client(keeper)
    form = {"unit": tree.a1.pk, "item": masks.pk, "quantity": "1000", "date": TODAY.isoformat(), "reference": "PO-7"}
    response = c.post(reverse("materials:movement-add"), {**form, "kind": "purchase", "counterparty": "国药"})
    assert response.status_code == 302
    response = c.post(
        reverse("materials:movement-add"), {**form, "kind": "issue", "quantity": "300", "front_line": "on"}
    )
    assert response.status_code == 302
    assert response.url == reverse("materials:ledger", args=[tree.a1.pk, masks.pk])

    page = c.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert [m.balance_after for m in page.context["page"].object_list] == [1000, 700]
    assert "Front line" in html and "国药" in html and "PO-7" in html
    assert Stock.objects.get(unit=tree.a1, item=masks).on_hand == 700


def test_issuing_more_than_on_hand_shows_what_is_available_and_records_nothing(tree, catalogue, keeper):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    response = client(keeper).post(
        reverse("materials:movement-add"),
        {"kind": "issue", "unit": tree.a1.pk, "item": masks.pk, "quantity": "500", "date": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert "has only 300 pieces (只) of Surgical mask on hand" in response.content.decode()
    assert Movement.objects.count() == 1


@pytest.mark.parametrize(("quantity", "message"), [("-5", "above zero"), ("2.5", "whole pieces (只)")])
def test_negative_or_fractional_pieces_are_refused_on_the_quantity(tree, catalogue, keeper, quantity, message):
    masks = catalogue["surgical-mask"]
    response = client(keeper).post(
        reverse("materials:movement-add"),
        {"kind": "purchase", "unit": tree.a1.pk, "item": masks.pk, "quantity": quantity, "date": TODAY.isoformat()},
    )
    assert message in " ".join(response.context["form"].errors["quantity"])
    assert not Movement.objects.exists()


def test_a_unit_outside_the_keepers_scope_is_not_found(tree, catalogue, keeper):
    masks = catalogue["surgical-mask"]
    put(tree.b1, masks, MovementKind.PURCHASE, 10)
    c = client(keeper)
    assert c.get(reverse("materials:ledger", args=[tree.b1.pk, masks.pk])).status_code == 404
    assert c.get(reverse("materials:stock-levels", args=[tree.b1.pk, masks.pk])).status_code == 404
    response = c.post(
        reverse("materials:movement-add"),
        {"kind": "purchase", "unit": tree.b1.pk, "item": masks.pk, "quantity": "5", "date": TODAY.isoformat()},
    )
    assert "unit" in response.context["form"].errors
    assert Movement.objects.count() == 1


def test_the_stock_take_shows_the_books_and_books_the_variance(tree, catalogue, keeper):
    masks, alcohol = catalogue["surgical-mask"], catalogue["alcohol-75"]
    put(tree.a1, masks, MovementKind.PURCHASE, 300)
    put(tree.a1, alcohol, MovementKind.PURCHASE, "10.5")
    c = client(keeper)
    page = c.get(reverse("materials:stocktake-add"), {"unit": tree.a1.pk})
    assert page.status_code == 200
    books = {item.code: book for item, _field, book in page.context["rows"]}
    assert books["surgical-mask"] == 300 and books["goggles"] is None

    response = c.post(
        reverse("materials:stocktake-add") + f"?unit={tree.a1.pk}",
        {"unit": tree.a1.pk, "date": TODAY.isoformat(), f"count_{masks.pk}": "288", f"count_{alcohol.pk}": "10.5"},
    )
    stocktake = StockTake.objects.get()
    assert response.status_code == 302 and response.url == reverse("materials:stocktake-detail", args=[stocktake.pk])
    lines = {line.item.code: line for line in stocktake.lines.all()}
    assert (lines["surgical-mask"].book, lines["surgical-mask"].variance) == (300, -12)
    assert lines["alcohol-75"].variance == 0 and lines["alcohol-75"].movement is None
    adjustment = lines["surgical-mask"].movement
    assert (adjustment.kind, adjustment.quantity, adjustment.balance_after) == (MovementKind.ADJUSTMENT, -12, 288)

    detail = c.get(response.url).content.decode()
    assert 'data-variance="-12"' in detail

    # A second count the same day is refused, with a link to the first.
    again = c.post(
        reverse("materials:stocktake-add") + f"?unit={tree.a1.pk}",
        {"unit": tree.a1.pk, "date": TODAY.isoformat(), f"count_{masks.pk}": "280"},
    )
    html = again.content.decode()
    assert again.status_code == 200 and "was already counted on" in html
    assert reverse("materials:stocktake-detail", args=[stocktake.pk]) in html
    assert StockTake.objects.count() == 1 and Stock.objects.get(unit=tree.a1, item=masks).on_hand == 288


def test_a_stock_take_with_nothing_counted_says_what_to_do(tree, catalogue, keeper):
    response = client(keeper).post(reverse("materials:stocktake-add"), {"unit": tree.a1.pk, "date": TODAY.isoformat()})
    assert "Enter the count of at least one item." in response.content.decode()
    assert not StockTake.objects.exists()


def test_the_report_colours_units_running_out_and_totals_the_subtree(tree, catalogue, office):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 1000, date=TODAY - datetime.timedelta(days=30))
    put(tree.a1s, masks, MovementKind.PURCHASE, 100, date=TODAY - datetime.timedelta(days=30))  # below 500
    page = client(office).get(reverse("materials:stock"), {"item": masks.pk})
    rows = {(r.unit.code, r.item.code): r for r in page.context["page"].object_list}
    assert rows[("A1", "surgical-mask")].subtree_on_hand == 1100
    assert rows[("A1S", "surgical-mask")].supply.level == "low"
    html = page.content.decode()
    assert 'data-unit="A1S" data-item="surgical-mask" data-level="low"' in html

    only_short = client(office).get(reverse("materials:stock"), {"only_short": "on"})
    assert [r.unit.code for r in only_short.context["page"].object_list] == ["A1S"]


def test_the_report_and_movements_export_to_xlsx_with_formulas_escaped(tree, catalogue, office):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10, note='=HYPERLINK("http://x")')
    c = client(office)
    response = c.get(reverse("materials:movements-export"), {"unit": tree.a.pk})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[1][11] == '\'=HYPERLINK("http://x")'
    assert rows[1][5] == 10

    response = c.get(reverse("materials:stock-export"))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == "Unit code" and rows[1][:3] == ("A1", tree.a1.name, "surgical-mask")
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == 2


def test_the_movements_list_filters_by_unit_with_sub_units_item_kind_and_dates(tree, catalogue, office):
    masks, gloves = catalogue["surgical-mask"], catalogue["gloves"]
    old = TODAY - datetime.timedelta(days=10)
    put(tree.a1, masks, MovementKind.PURCHASE, 10, date=old)
    put(tree.a1s, masks, MovementKind.PURCHASE, 10, date=TODAY)
    put(tree.a1s, gloves, MovementKind.PURCHASE, 10, date=TODAY)
    put(tree.b1, masks, MovementKind.PURCHASE, 10, date=TODAY)
    put(tree.a1s, masks, MovementKind.ISSUE, 1, date=TODAY)
    c = client(office)

    def units(**params):
        return sorted(m.unit.code + ":" + m.kind for m in c.get(reverse("materials:movements"), params).context["page"])

    assert units(unit=tree.a1.pk, item=masks.pk) == ["A1:purchase", "A1S:issue", "A1S:purchase"]
    assert units(unit=tree.a1.pk, kind="issue") == ["A1S:issue"]
    assert units(unit=tree.a1.pk, item=masks.pk, date_from=TODAY.isoformat()) == ["A1S:issue", "A1S:purchase"]
    assert units(date_to=old.isoformat()) == ["A1:purchase"]


def test_the_office_adds_and_edits_items_and_keepers_cannot(tree, catalogue, office, keeper):
    c = client(office)
    data = {
        "code": "face-mask-kids",
        "name": "儿童口罩",
        "name_en": "Child mask",
        "category": "masks",
        "measure": "piece",
        "pack_size": "50",
        "reorder_threshold": "100",
        "target_days": "14",
        "daily_use_per_person": "0",
        "sort": "15",
        "is_active": "on",
    }
    assert c.post(reverse("materials:item-add"), data).status_code == 302
    item = Item.objects.get(code="face-mask-kids")
    assert (
        c.post(reverse("materials:item-edit", args=[item.pk]), {**data, "reorder_threshold": "200"}).status_code == 302
    )
    item.refresh_from_db()
    assert item.reorder_threshold == Decimal(200)
    listing = c.get(reverse("materials:items")).content.decode()
    assert "Child mask" in listing and "N95 respirator" in listing

    assert client(keeper).get(reverse("materials:item-add")).status_code == 403
    assert client(keeper).get(reverse("materials:items")).status_code == 200


def test_the_measure_of_an_item_that_has_moved_cannot_change(tree, catalogue, office):
    masks = catalogue["surgical-mask"]
    put(tree.a1, masks, MovementKind.PURCHASE, 10)
    c = client(office)
    data = {
        "code": masks.code,
        "name": masks.name,
        "category": masks.category,
        "measure": "box",
        "pack_size": 50,
        "reorder_threshold": 500,
        "target_days": 14,
        "daily_use_per_person": 2,
        "sort": 10,
        "is_active": "on",
    }
    response = c.post(reverse("materials:item-edit", args=[masks.pk]), data)
    assert "add a new item instead" in " ".join(response.context["form"].errors["measure"])
    masks.refresh_from_db()
    assert masks.measure == "piece"


def test_a_keeper_sets_the_units_own_threshold(tree, catalogue, keeper):
    masks = catalogue["surgical-mask"]
    response = client(keeper).post(
        reverse("materials:stock-levels", args=[tree.a1.pk, masks.pk]), {"reorder_threshold": "800", "target_days": ""}
    )
    assert response.status_code == 302
    stock = Stock.objects.get(unit=tree.a1, item=masks)
    assert (stock.reorder_threshold, stock.target_days, stock.on_hand) == (800, None, 0)


def test_the_default_catalogue_is_shipped(catalogue):
    assert {"surgical-mask", "n95-mask", "alcohol-75", "disinfectant-84", "goggles", "protective-suit"} <= set(
        catalogue
    )
    assert catalogue["goggles"].get_measure_display() == "副 (pair)" or catalogue["goggles"].measure == "pair"
