"""The donations API reaches what the pages show (issue 10): the donations, collection, fund and
donations-and-funds report .xlsx files (the same files, audited) and the report itself as JSON; and
every amount of money is a string with two decimals ("47993.00"), never a JSON float."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.services import collections, donations, funds
from lianfang.donations.tests.helpers import DAY, NOW, items, stock_in
from lianfang.org.choices import Role
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def world(tree):
    catalogue = items()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "office")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison")
    stock_in(tree.a, catalogue["surgical-mask"], 500)
    donations.donation_record(
        actor=office,
        direction=Direction.IN,
        kind=DonationKind.MONEY,
        unit=tree.group,
        counterparty="渭城商会",
        date=DAY,
        amount="20000",
    )
    donations.donation_record(
        actor=office,
        direction=Direction.OUT,
        kind=DonationKind.GOODS,
        unit=tree.a,
        counterparty="金苑华庭社区居委会",
        date=DAY,
        lines=[(catalogue["surgical-mask"], 100)],
    )
    collection = collections.collection_open(
        actor=office, organiser=tree.group, name="抗击疫情捐款", recipient="市红十字会", opened_on=DAY
    )
    collections.contribution_record(actor=office, collection=collection, unit=tree.a, amount="47993", date=DAY)
    fund = funds.fund_open(actor=office, unit=tree.a, name="应急专项资金", budget="200000", opened_on=DAY)
    spending = funds.spending_request(actor=liaison, fund=fund, purpose="消杀用品", amount="18600.5")
    funds.spending_approve(actor=office, spending=spending)
    return tree, office, liaison, collection, fund


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def floats(value) -> list:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in floats(v)]
    return []


def rows_of(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), response.content[:300]
    return [
        tuple(row)
        for sheet in load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets
        for row in sheet.iter_rows(values_only=True)
    ]


def test_money_in_every_donations_endpoint_is_a_string_with_two_decimals(world):
    _tree, office, _liaison, collection, fund = world

    bodies = {
        url: api(office).get(url).json()
        for url in (
            "/api/v1/donations/",
            "/api/v1/collections/",
            f"/api/v1/collections/{collection.pk}/",
            "/api/v1/funds/",
            f"/api/v1/funds/{fund.pk}/",
            "/api/v1/spending/",
            "/api/v1/donations/report/",
        )
    }

    for url, body in bodies.items():
        assert floats(body) == [], url
    assert bodies[f"/api/v1/collections/{collection.pk}/"]["collected"] == "47993.00"
    assert bodies[f"/api/v1/collections/{collection.pk}/"]["left"] == "47993.00"
    assert bodies[f"/api/v1/funds/{fund.pk}/"]["balance"] == "181399.50"
    report = bodies["/api/v1/donations/report/"]
    assert report["donations"]["money_received"] == "20000.00"
    assert report["collections"][0]["collected"] == "47993.00"
    assert report["funds"]["committed"] == "18600.50"


def test_the_report_in_the_api_has_what_the_report_page_shows(world):
    tree, office, _liaison, _collection, _fund = world
    body = api(office).get("/api/v1/donations/report/", {"unit": tree.a.pk}).json()
    assert [(g["unit"], g["item_code"], g["given"]) for g in body["donations"]["goods"]] == [
        (tree.a.pk, "surgical-mask", "100.00")
    ]
    assert body["donations"]["money"] == []  # the group's money donation is not under A


def test_the_donations_exports_in_the_api_are_the_page_files_and_are_audited(world):
    _tree, office, _liaison, collection, fund = world
    page = Client(HTTP_ACCEPT_LANGUAGE="en")
    page.force_login(office)

    for api_url, page_url in (
        ("/api/v1/donations/export/", reverse("materials:donation-export")),
        ("/api/v1/donations/report/export/", reverse("materials:donation-report-export")),
        (f"/api/v1/collections/{collection.pk}/export/", reverse("materials:collection-export", args=[collection.pk])),
        (f"/api/v1/funds/{fund.pk}/export/", reverse("materials:fund-export", args=[fund.pk])),
    ):
        before = AuditEvent.objects.filter(kind=AuditKind.EXPORT).count()
        from_api = api(office).get(api_url)
        assert from_api.status_code == 200, (api_url, from_api.content[:300])
        assert rows_of(from_api) == rows_of(page.get(page_url)), api_url
        assert AuditEvent.objects.filter(kind=AuditKind.EXPORT).count() == before + 2, api_url


def test_a_liaison_may_not_export_the_collection_and_is_told_who_can(world):
    _tree, _office, liaison, collection, fund = world
    response = api(liaison).get(f"/api/v1/collections/{collection.pk}/export/")
    assert response.status_code == 403
    assert "leaders and the group prevention office" in response.json()["detail"]
    assert api(liaison).get("/api/v1/donations/report/export/").status_code == 403
    assert api(liaison).get(f"/api/v1/funds/{fund.pk}/export/").status_code == 403


def test_someone_without_donations_gets_no_report(world, tree):
    employee = user_with_role(Role.EMPLOYEE, tree.a1, "employee")
    assert api(employee).get("/api/v1/donations/report/").status_code == 403
    assert api(employee).get("/api/v1/donations/export/").status_code == 403
