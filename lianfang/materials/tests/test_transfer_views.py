"""The transfer pages as their users see them: forms, the state machine's buttons, refusals with
reasons, the printable note, the export, the flows chart and rebalancing review."""

from __future__ import annotations

import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.materials.choices import MovementKind, ProposalStatus, RequestStatus, TransferStatus
from lianfang.materials.models import MaterialRequest, RebalanceProposal, Transfer
from lianfang.materials.services import rebalancing as rebalance_services
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, on_hand, people, state, stock

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def world(tree):
    catalogue = items()
    who = people(tree)
    stock(tree.b1, catalogue["surgical-mask"], 1000)
    return tree, catalogue, who


def test_a_liaison_requests_and_the_office_matches_from_the_request_page(world):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    response = client(who.liaison_a1).post(
        reverse("materials:request-create"),
        {"unit": tree.a1.pk, "item": mask.pk, "quantity": "1.5", "urgency": "urgent", "reason": "一线"},
    )
    assert response.status_code == 200 and "whole number" in response.content.decode()
    response = client(who.liaison_a1).post(
        reverse("materials:request-create"),
        {
            "unit": tree.a1.pk,
            "item": mask.pk,
            "quantity": "200",
            "urgency": "urgent",
            "reason": "一线",
            "front_line": "on",
        },
    )
    req = MaterialRequest.objects.get()
    assert response.status_code == 302 and req.front_line
    page = client(who.office).get(reverse("materials:request-detail", args=[req.pk])).content.decode()
    assert 'data-form="match"' in page
    response = client(who.office).post(
        reverse("materials:request-action", args=[req.pk, "match"]),
        {"from_unit": tree.b1.pk, "quantity": "", "approve": "on"},
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and transfer.status == TransferStatus.APPROVED
    req.refresh_from_db()
    assert req.status == RequestStatus.COVERED


def test_the_transfer_page_shows_each_side_only_its_own_button(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 300)],
        approved=True,
    )
    url = reverse("materials:transfer-detail", args=[transfer.pk])
    sender = client(who.keeper_b1).get(url).content.decode()
    receiver = client(who.keeper_a1).get(url).content.decode()
    assert 'data-form="ship"' in sender and 'data-form="ship"' not in receiver
    assert 'data-form="receive"' not in receiver  # not shipped yet


def test_shipping_short_of_stock_shows_what_is_available_and_changes_nothing(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 1500)],
        approved=True,
    )
    line = transfer.lines.get()
    before = state()
    response = client(who.keeper_b1).post(
        reverse("materials:transfer-action", args=[transfer.pk, "ship"]), {f"ship_{line.pk}": "1500"}
    )
    assert response.status_code == 400
    assert "has only 1,000" in response.content.decode()
    assert state() == before


def test_the_receiver_trying_to_ship_gets_a_403_that_says_who_can(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 10)],
        approved=True,
    )
    before = state()
    response = client(who.keeper_a1).post(reverse("materials:transfer-action", args=[transfer.pk, "ship"]), {})
    assert response.status_code == 403
    assert "sending unit" in response.content.decode()
    assert state() == before


def test_partial_receipt_then_finish_with_a_discrepancy_from_the_page(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 100)],
        approved=True,
    )
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    line = transfer.lines.get()
    url = reverse("materials:transfer-action", args=[transfer.pk, "receive"])
    assert client(who.keeper_a1).post(url, {f"receive_{line.pk}": "60"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTLY_RECEIVED
    response = client(who.keeper_a1).post(url, {f"receive_{line.pk}": "30", "finish": "on"})
    assert response.status_code == 400 and "discrepancy note" in response.content.decode()
    response = client(who.keeper_a1).post(
        url, {f"receive_{line.pk}": "30", "finish": "on", f"discrepancy_{line.pk}": "运输途中丢失 10 只"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert on_hand(tree.a1, catalogue["surgical-mask"]) == 90


def test_the_transfer_note_prints_number_units_lines_and_signature_boxes(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 10)],
        approved=True,
    )
    page = client(who.keeper_a1).get(reverse("materials:transfer-note", args=[transfer.pk])).content.decode()
    assert transfer.number in page and tree.b1.name in page and "Surgical mask" in page
    assert "Received by (receiving unit)" in page and "@media print" in page


def test_the_export_holds_one_row_per_line_and_is_audited(world):
    tree, catalogue, who = world
    services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 10), services.LineInput(catalogue["goggles"], 2)],
        approved=True,
    )
    response = client(who.office).get(reverse("materials:transfer-export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][0] == "Transfer note number"
    assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == 1


def test_the_flows_page_lists_what_arrived_between_units(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 40)],
        approved=True,
    )
    services.transfer_ship(actor=who.keeper_b1, transfer=transfer)
    services.transfer_receive(actor=who.keeper_a1, transfer=transfer, quantities={transfer.lines.get().pk: 40})
    page = client(who.office).get(reverse("materials:flows")).content.decode()
    assert "data-flow-chart" in page and "flow-data" in page
    assert tree.b1.name in page and "40" in page
    # The sending side's keeper sees the flow too; an outsider's unit does not show.
    assert tree.a1.name in client(who.keeper_b1).get(reverse("materials:flows")).content.decode()


def test_the_office_runs_reviews_and_accepts_a_proposal_from_the_pages(world, monkeypatch):
    tree, catalogue, who = world
    mask = catalogue["surgical-mask"]
    # A1 uses 10 a day and has nothing; B1 holds 1,000 and uses 10 a day (target 14 days: 140). Masks
    # come 50 to a box: A1 gets three whole boxes, 150.
    for day in range(1, 8):
        stock_day = datetime.date(2026, 2, 20) + datetime.timedelta(days=day)
        from lianfang.materials import ledger

        ledger.post(
            actor=None,
            postings=[
                ledger.Posting(unit=tree.b1, item=mask, kind=MovementKind.ISSUE, quantity=10, date=stock_day),
                ledger.Posting(unit=tree.a1, item=mask, kind=MovementKind.PURCHASE, quantity=10, date=stock_day),
                ledger.Posting(unit=tree.a1, item=mask, kind=MovementKind.ISSUE, quantity=10, date=stock_day),
            ],
        )
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: datetime.date(2026, 2, 27))
    response = client(who.office).post(
        reverse("materials:rebalance-create"), {"scope_unit": tree.group.pk, "max_shipments": 5, "items": [mask.pk]}
    )
    proposal = RebalanceProposal.objects.get()
    assert response.status_code == 302
    lines = proposal.summary["lines"]
    assert [(line["from"], line["to"], line["quantity"], line["packs"]) for line in lines] == [
        (tree.b1.pk, tree.a1.pk, "150", 3)
    ]
    page = client(who.office).get(reverse("materials:rebalance-detail", args=[proposal.pk])).content.decode()
    assert "data-accept" in page
    assert "3 packs of 50" in page
    response = client(who.office).post(reverse("materials:rebalance-action", args=[proposal.pk, "accept"]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    transfer = Transfer.objects.get()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert (transfer.status, transfer.proposal, transfer.lines.get().quantity) == (
        TransferStatus.APPROVED,
        proposal,
        150,
    )
    # Accepted once: a second accept is refused.
    assert "already" in rebalance_services_refusal(who.office, proposal)


def rebalance_services_refusal(user, proposal) -> str:
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as info:
        rebalance_services.proposal_accept(actor=user, proposal=proposal)
    return " ".join(info.value.messages)


@pytest.mark.parametrize(
    "name",
    [
        "materials:request-list",
        "materials:request-create",
        "materials:offer-list",
        "materials:offer-create",
        "materials:transfer-list",
        "materials:transfer-create",
        "materials:transfer-in-transit",
        "materials:flows",
        "materials:rebalance-list",
        "materials:rebalance-create",
    ],
)
def test_every_page_opens_for_the_office_in_both_languages(world, name):
    _tree, _catalogue, who = world
    for language in ("en", "zh-hans"):
        c = Client(HTTP_ACCEPT_LANGUAGE=language)
        c.force_login(who.office)
        assert c.get(reverse(name)).status_code == 200


def test_the_transfer_note_downloads_as_a_pdf(world):
    tree, catalogue, who = world
    transfer = services._create_transfer(
        actor=who.office,
        from_unit=tree.b1,
        to_unit=tree.a1,
        lines=[services.LineInput(catalogue["surgical-mask"], 10)],
        approved=True,
    )
    response = client(who.keeper_a1).get(reverse("materials:transfer-pdf", args=[transfer.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and transfer.number in response["Content-Disposition"]
    sender = client(who.keeper_b1)  # the sending side prints it too
    assert sender.get(reverse("materials:transfer-pdf", args=[transfer.pk])).status_code == 200
