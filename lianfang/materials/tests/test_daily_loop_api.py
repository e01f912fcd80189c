"""The API reaches what the materials pages show (issue 10): sending to several units, the approval
warning, the donors of a request, the business dates, in transit, the flows, and the .xlsx exports of
stock, movements and transfers (the same files as the pages, audited)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Transfer
from lianfang.materials.selectors import transfers as selectors
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, people, state, stock
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
    stock(tree.b1, catalogue["surgical-mask"], 1000, date=TODAY - datetime.timedelta(days=10))
    return tree, catalogue, who


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(values_only=True))


def test_one_call_sends_to_several_units_and_answers_with_one_transfer_note_each(world):
    tree, catalogue, _who = world
    mask = catalogue["surgical-mask"]
    keeper_a = user_with_role(Role.MATERIALS_KEEPER, tree.a, "keeper-a")
    stock(tree.a, mask, 600)
    body = {
        "from_unit": tree.a.pk,
        "receivers": [
            {"to_unit": tree.a1.pk, "lines": [{"item": mask.pk, "quantity": "200"}]},
            {"to_unit": tree.a1s.pk, "lines": [{"item": mask.pk, "quantity": "100"}]},
        ],
        "note": "热力站补充",
    }

    response = api(keeper_a).post("/api/v1/transfers/distribute/", body, format="json")

    assert response.status_code == 201, response.content
    answer = response.json()
    assert [(t["to_unit"], t["status"], t["lines"][0]["quantity"]) for t in answer] == [
        (tree.a1.pk, "proposed", "200.00"),
        (tree.a1s.pk, "proposed", "100.00"),
    ]
    assert len({t["number"] for t in answer}) == 2
    before = state()
    body["receivers"].append({"to_unit": tree.a2.pk, "lines": [{"item": mask.pk, "quantity": "400"}]})
    refused = api(keeper_a).post("/api/v1/transfers/distribute/", body, format="json")
    assert refused.status_code == 400 and "free to send" in refused.json()["receivers"][0]
    assert state() == before
    misspelt = api(keeper_a).post("/api/v1/transfers/distribute/", {**body, "recievers": []}, format="json")
    assert misspelt.status_code == 400 and "recievers" in misspelt.json()


def test_approving_through_the_api_when_the_sender_lacks_stock_needs_confirm_short(world):
    tree, catalogue, who = world
    transfer = services.transfer_propose(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(catalogue["surgical-mask"], 1500)]
    )
    url = f"/api/v1/transfers/{transfer.pk}/approve/"

    refused = api(who.office).post(url, {}, format="json")
    assert refused.status_code == 400
    assert "1,000 pieces (只) of Surgical mask on hand" in refused.json()["confirm_short"][0]
    approved = api(who.office).post(url, {"confirm_short": True}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"


def test_the_donors_of_a_request_are_in_the_api_largest_surplus_first(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    stock(tree.b, mask, 2000)
    request = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=80, reason="r")

    response = api(who.office).get(f"/api/v1/material-requests/{request.pk}/donors/")

    assert response.status_code == 200
    assert [(d["unit"], d["on_hand"], d["surplus"]) for d in response.json()] == [
        (tree.b.pk, "2000.00", "1500.00"),
        (tree.b1.pk, "1000.00", "500.00"),
    ]
    # A liaison of A1 may see the request but sends from nowhere: no donors for it.
    assert api(who.liaison_a1).get(f"/api/v1/material-requests/{request.pk}/donors/?for=pledge").json() == []


def test_a_transfer_in_the_api_has_the_days_shipped_and_received_and_what_waits_for_you(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(catalogue["surgical-mask"], 30)], approved=True
    )
    assert api(who.keeper_b1).get(f"/api/v1/transfers/{transfer.pk}/").json()["waiting_for_me"] == "ship"
    api(who.keeper_b1).post(f"/api/v1/transfers/{transfer.pk}/ship/", {"date": "2026-02-27"}, format="json")
    line = transfer.lines.get()
    early = api(who.keeper_a1).post(
        f"/api/v1/transfers/{transfer.pk}/receive/",
        {"quantities": {str(line.pk): "30"}, "date": "2026-02-26"},
        format="json",
    )
    assert early.status_code == 400 and "2026-02-27" in early.json()["date"][0]
    api(who.keeper_a1).post(
        f"/api/v1/transfers/{transfer.pk}/receive/",
        {"quantities": {str(line.pk): "30"}, "date": "2026-02-28"},
        format="json",
    )

    body = api(who.keeper_a1).get(f"/api/v1/transfers/{transfer.pk}/").json()

    assert (body["shipped_on"], body["received_on"]) == ("2026-02-27", "2026-02-28")
    assert body["received"].startswith("2026-03-02")  # when it was recorded
    assert [r["date"] for r in body["receipts"]] == ["2026-02-28"]


def test_the_transfer_list_in_the_api_filters_what_waits_for_you(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    waiting = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 30)], approved=True, notify=False
    )
    services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 30)], approved=False, notify=False
    )
    ids = [t["id"] for t in api(who.keeper_b1).get("/api/v1/transfers/?waiting=ship").json()["results"]]
    assert ids == [waiting.pk]


def test_in_transit_and_the_flows_in_the_api_are_what_the_pages_show(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    arrived = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 40)], approved=True, notify=False
    )
    services.transfer_ship(actor=who.office, transfer=arrived, date=TODAY - datetime.timedelta(days=2))
    services.transfer_receive(
        actor=who.office, transfer=arrived, quantities={arrived.lines.get().pk: 40}, date=TODAY - datetime.timedelta(1)
    )
    moving = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 25)], approved=True, notify=False
    )
    services.transfer_ship(actor=who.office, transfer=moving)

    transit = api(who.keeper_a1).get("/api/v1/transfers/in-transit/").json()
    flows = api(who.keeper_a1).get("/api/v1/transfers/flows/", {"item": mask.pk}).json()

    assert [(r["number"], r["in_transit"], r["shipped_on"]) for r in transit["lines"]] == [
        (moving.number, "25.00", "2026-03-02")
    ]
    pages = selectors.in_transit_by_unit(viewer=who.keeper_a1)
    assert [(t["unit"], t["incoming"], t["outgoing"]) for t in transit["totals"]] == [
        (t.unit.pk, f"{t.incoming:.2f}", f"{t.outgoing:.2f}") for t in pages
    ]
    assert flows["date_to"] == "2026-03-02"
    assert [(f["from_unit"], f["to_unit"], f["quantity"], f["transfers"]) for f in flows["flows"]] == [
        (tree.b1.pk, tree.a1.pk, "40.00", 1)
    ]
    assert api(who.keeper_a1).get("/api/v1/transfers/in-transit/", {"unit": tree.b.pk}).status_code == 400


def test_the_api_exports_are_the_same_files_as_the_pages_and_are_audited(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    transfer = services._create_transfer(
        actor=who.office, from_unit=tree.b1, to_unit=tree.a1, lines=[L(mask, 40)], approved=True, notify=False
    )
    services.transfer_ship(actor=who.office, transfer=transfer, date=TODAY - datetime.timedelta(days=1))
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(who.office)

    for api_url, page_url in (
        ("/api/v1/stock/export/", reverse("materials:stock-export")),
        ("/api/v1/movements/export/", reverse("materials:movements-export")),
        ("/api/v1/transfers/export/", reverse("materials:transfer-export")),
    ):
        before = AuditEvent.objects.filter(kind=AuditKind.EXPORT).count()
        from_api = api(who.office).get(api_url)
        assert from_api.status_code == 200, api_url
        assert rows_of(from_api) == rows_of(page.get(page_url)), api_url
        assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == before + 2

    movements = rows_of(api(who.office).get("/api/v1/movements/export/", {"kind": MovementKind.TRANSFER_OUT}))
    header, (row,) = movements[0], movements[1:]
    assert dict(zip(header, row, strict=True))["Business date"].date() == datetime.date(2026, 3, 1)


def test_an_export_through_the_api_is_refused_to_who_may_not_export(world):
    tree, _catalogue, who = world
    employee = user_with_role(Role.EMPLOYEE, tree.a1, "employee")
    for url in ("/api/v1/stock/export/", "/api/v1/movements/export/", "/api/v1/transfers/export/"):
        assert api(employee).get(url).status_code == 403, url
        assert api(who.liaison_a1).get(url).status_code in (200, 403)


def test_the_request_list_in_the_api_puts_what_still_needs_covering_first(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    from lianfang.materials.models import MaterialRequest

    done = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=5, reason="r")
    MaterialRequest.objects.filter(pk=done.pk).update(status="covered")
    open_one = services.request_create(actor=who.liaison_a1, unit=tree.a1, item=mask, quantity=5, reason="r")
    ids = [r["id"] for r in api(who.office).get("/api/v1/material-requests/").json()["results"]]
    assert ids == [open_one.pk, done.pk]


def test_no_quantity_in_the_transfer_api_is_a_json_float(world):
    tree, catalogue, who = world
    services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[L(catalogue["surgical-mask"], 40)],
        approved=True,
        notify=False,
    )

    def floats(value) -> list:
        if isinstance(value, float):
            return [value]
        if isinstance(value, dict):
            return [f for v in value.values() for f in floats(v)]
        if isinstance(value, list):
            return [f for v in value for f in floats(v)]
        return []

    for url in ("/api/v1/transfers/", "/api/v1/transfers/in-transit/", "/api/v1/stock/"):
        assert floats(api(who.office).get(url).json()) == [], url
    assert Transfer.objects.get().lines.get().quantity == Decimal(40)
