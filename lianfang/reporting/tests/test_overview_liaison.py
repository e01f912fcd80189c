"""A missing unit on the report overview shows whom to call: its liaison, the phone as a tel: link for
those who may unmask people there, masked for the others."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import UnitDailyReport
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

URL = reverse("reporting:overview")


@pytest.fixture(autouse=True)
def template(db):
    ensure_default_report_fields()


def page_for(user) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(URL).content.decode()


def row_of(html: str, code: str) -> str:
    start = html.index(f'data-unit="{code}"')
    return html[start : html.index("</tr>", start)]


@pytest.fixture
def day_with_a_missing_unit(tree):
    Unit.objects.filter(pk=tree.b.pk).update(liaison="赵联络", liaison_phone="13900000002")
    Unit.objects.filter(pk=tree.a.pk).update(liaison="钱联络", liaison_phone="13900000001")
    UnitDailyReport.objects.create(
        unit=tree.a,
        date=timezone.localdate(),
        status="submitted",
        is_zero_report=True,
        submitted_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    return tree


def test_the_office_taps_the_missing_units_liaison_to_call(day_with_a_missing_unit):
    html = page_for(user_with_role(Role.GROUP_ADMIN, day_with_a_missing_unit.group))
    missing = row_of(html, "B")
    assert "赵联络" in missing and 'href="tel:13900000002"' in missing
    assert "钱联络" not in row_of(html, "A")  # a unit that reported needs no call


def test_a_leader_sees_the_liaison_with_the_phone_masked(day_with_a_missing_unit):
    html = page_for(user_with_role(Role.LEADER, day_with_a_missing_unit.group))
    missing = row_of(html, "B")
    assert "赵联络" in missing and "139****0002" in missing
    assert "tel:" not in missing and "13900000002" not in html


def test_a_missing_unit_without_a_liaison_says_so(tree):
    html = page_for(user_with_role(Role.GROUP_ADMIN, tree.group))
    assert "No liaison recorded for this unit." in row_of(html, "B")


def test_the_report_status_api_masks_the_liaison_phone_like_the_page(day_with_a_missing_unit):
    # Issue 11: the API returned the number in full to everyone who reads the report status.
    from rest_framework.test import APIClient

    def phones(user) -> dict[str, str]:
        client = APIClient()
        client.force_authenticate(user)
        body = client.get(reverse("api:unitreport-status")).json()
        return {row["unit_code"]: row["liaison_phone"] for row in body["units"]}

    office = phones(user_with_role(Role.GROUP_ADMIN, day_with_a_missing_unit.group))
    assert office["B"] == "13900000002"  # missing: whom to call, in full for those who may unmask
    assert office["A"] == "139****0001"  # reported: masked, as the page does not show it either
    leader = phones(user_with_role(Role.LEADER, day_with_a_missing_unit.group))
    assert leader["B"] == "139****0002" and leader["A"] == "139****0001"
