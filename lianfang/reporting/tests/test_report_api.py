"""The daily report through the API: what a client sees and the reasons it is given."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.health.models import UnitDayStat
from lianfang.org.choices import Role
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import RaisedItem, UnitDailyReport
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY = datetime.date(2026, 3, 2)
REQUIRED = {"at_work": 3, "fever_today": 0, "new_suspected": 0, "new_confirmed": 0, "new_asymptomatic": 0}


def at(monkeypatch, day, hour):
    moment = datetime.datetime(2026, 3, day, hour, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture(autouse=True)
def template(db):
    ensure_default_report_fields()


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_a_client_starts_a_draft_then_submits_it(tree, monkeypatch):
    at(monkeypatch, 2, 9)
    client = client_for(user_with_role(Role.UNIT_ADMIN, tree.a))
    created = client.post(
        reverse("api:unitreport-list"), {"unit": tree.a.pk, "values": {"problems": "缺人"}}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["date"] == DAY.isoformat() and body["status"] == "draft" and body["timeliness"] == "missing"
    again = client.post(reverse("api:unitreport-list"), {"unit": tree.a.pk}, format="json")
    assert again.status_code == 400 and "date" in again.json()
    submitted = client.post(reverse("api:unitreport-submit", args=[body["id"]]), {"values": REQUIRED}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["timeliness"] == "timely"
    assert RaisedItem.objects.get().text == "缺人"


def test_a_zero_report_with_a_fever_on_record_is_refused_with_the_reason(tree, monkeypatch):
    at(monkeypatch, 2, 9)
    UnitDayStat.objects.create(unit=tree.a1, date=DAY, expected=3, reported=3, on_site=3, fever=2, flagged=2)
    client = client_for(user_with_role(Role.UNIT_ADMIN, tree.a))
    response = client.post(reverse("api:unitreport-zero-report"), {"unit": tree.a.pk}, format="json")
    assert response.status_code == 400
    message = response.json()["non_field_errors"][0]
    assert "fever: 2" in message and "full report" in message
    assert not UnitDailyReport.objects.exists()


def test_a_locked_report_s_refusal_says_who_can_correct_it(tree, monkeypatch):
    at(monkeypatch, 2, 9)
    liaison = client_for(user_with_role(Role.UNIT_ADMIN, tree.a))
    report = liaison.post(reverse("api:unitreport-zero-report"), {"unit": tree.a.pk}, format="json").json()
    at(monkeypatch, 10, 9)
    url = reverse("api:unitreport-submit", args=[report["id"]])
    refused = liaison.post(url, {"values": {"at_work": 9}}, format="json")
    assert refused.status_code == 403
    assert "Only the group prevention office" in refused.json()["detail"]

    office = client_for(user_with_role(Role.GROUP_ADMIN, tree.group))
    no_reason = office.post(url, {"values": {**REQUIRED, "at_work": 9}}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    corrected = office.post(url, {"values": {**REQUIRED, "at_work": 9}, "reason": "补录"}, format="json")
    assert corrected.status_code == 200
    assert corrected.json()["values"]["at_work"] == 9 and corrected.json()["is_locked"]


def test_the_day_status_counts_missing_units_separately_from_zero_reports(tree, monkeypatch):
    at(monkeypatch, 2, 16)
    client_for(user_with_role(Role.UNIT_ADMIN, tree.a)).post(
        reverse("api:unitreport-zero-report"), {"unit": tree.a.pk}, format="json"
    )
    office = client_for(user_with_role(Role.GROUP_ADMIN, tree.group))
    body = office.get(reverse("api:unitreport-status")).json()
    assert body["totals"] == {"expected": 2, "timely": 0, "late": 1, "missing": 1, "zero": 1, "submitted": 1}
    assert [(u["unit_code"], u["timeliness"], u["is_zero_report"]) for u in body["units"]] == [
        ("A", "late", True),
        ("B", "missing", False),
    ]


def test_an_unknown_field_in_a_report_is_named(tree, monkeypatch):
    at(monkeypatch, 2, 9)
    client = client_for(user_with_role(Role.UNIT_ADMIN, tree.a))
    response = client.post(reverse("api:unitreport-list"), {"unit": tree.a.pk, "values": {"rain": 3}}, format="json")
    assert response.status_code == 400 and "rain" in response.json()
