"""The daily report's pages: what the liaison and the office see and do."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianfang.health.models import UnitDayStat
from lianfang.org.choices import Role
from lianfang.reporting.choices import RaisedStatus, ReportStatus
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.reporting.services import reports
from lianfang.testing import PersonFactory, add_unit, user_with_role

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY = datetime.date(2026, 3, 2)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def at(monkeypatch, month, day, hour, minute=0):
    moment = datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture(autouse=True)
def template(db):
    ensure_default_report_fields()


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")


@pytest.fixture
def office(tree):
    return user_with_role(Role.GROUP_ADMIN, tree.group, "office")


def client_for(user) -> Client:
    client = Client(**EN)
    client.force_login(user)
    return client


REQUIRED = {"at_work": "10", "fever_today": "0", "new_suspected": "0", "new_confirmed": "0", "new_asymptomatic": "0"}


def test_the_liaison_s_page_opens_today_s_report_of_their_unit_prefilled(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    PersonFactory.create_batch(2, unit=tree.a1)
    UnitDayStat.objects.create(unit=tree.a1, date=DAY, expected=2, reported=2, on_site=1, remote=1)
    response = client_for(liaison).get(reverse("reporting:report"))
    assert response.status_code == 200
    assert response.context["unit"] == tree.a
    assert response.context["day"] == DAY
    assert response.context["form"]["headcount"].value() == 2
    assert response.context["form"]["at_work"].value() == 1
    assert b"data-zero-report" in response.content


def test_the_liaison_submits_a_full_report_and_sees_a_changed_count_next_to_the_records(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    UnitDayStat.objects.create(unit=tree.a1, date=DAY, expected=2, reported=2, on_site=2)
    client = client_for(liaison)
    response = client.post(
        reverse("reporting:report"), {**REQUIRED, "at_work": "3", "problems": "缺额温枪", "action": "submit"}
    )
    assert response.status_code == 302
    report = UnitDailyReport.objects.get()
    assert report.status == ReportStatus.SUBMITTED and report.values["at_work"] == 3
    assert RaisedItem.objects.get().text == "缺额温枪"
    page = client.get(response["Location"])
    assert b'data-changed="at_work"' in page.content


def test_a_zero_report_is_one_button(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    response = client_for(liaison).post(reverse("reporting:report"), {"action": "zero"})
    assert response.status_code == 302
    report = UnitDailyReport.objects.get()
    assert report.is_zero_report and report.status == ReportStatus.SUBMITTED


def test_the_page_says_why_a_zero_report_is_not_possible_and_refuses_it(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    UnitDayStat.objects.create(unit=tree.a2, date=DAY, expected=1, reported=1, on_site=1, fever=1, flagged=1)
    client = client_for(liaison)
    page = client.get(reverse("reporting:report"))
    assert b"data-zero-blocked" in page.content
    response = client.post(reverse("reporting:report"), {"action": "zero"})
    assert response.status_code == 200
    assert "cannot be a zero report" in response.content.decode()
    assert not UnitDailyReport.objects.exists()


def test_a_missing_required_count_is_shown_on_its_field(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    response = client_for(liaison).post(reverse("reporting:report"), {**REQUIRED, "at_work": "", "action": "submit"})
    assert response.status_code == 200
    assert response.context["form"].errors["at_work"]
    assert not UnitDailyReport.objects.exists()


def test_after_the_lock_the_liaison_is_told_who_can_correct_it(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    at(monkeypatch, 3, 9, 9)
    client = client_for(liaison)
    url = reverse("reporting:report") + f"?unit={tree.a.pk}&date={DAY.isoformat()}"
    page = client.get(url)
    assert b"data-locked" in page.content
    assert b"data-submit-report" not in page.content
    response = client.post(url, {**REQUIRED, "action": "submit"})
    assert response.status_code == 403
    assert "Only the group prevention office" in response.content.decode()
    assert UnitDailyReport.objects.get().is_zero_report


def test_the_office_corrects_a_locked_report_with_a_reason(tree, liaison, office, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    at(monkeypatch, 3, 9, 9)
    url = reverse("reporting:report") + f"?unit={tree.a.pk}&date={DAY.isoformat()}"
    client = client_for(office)
    response = client.post(url, {**REQUIRED, "at_work": "7", "action": "submit"})
    assert response.context["form"].errors["reason"]
    response = client.post(url, {**REQUIRED, "at_work": "7", "action": "submit", "reason": "更正"})
    assert response.status_code == 302
    assert UnitDailyReport.objects.get().values["at_work"] == 7


def test_another_subsidiary_s_report_page_is_not_found(tree, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    response = client_for(liaison).get(reverse("reporting:report") + f"?unit={tree.b.pk}")
    assert response.status_code == 404


def test_a_read_only_role_sees_the_report_but_cannot_post(tree, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    leader = user_with_role(Role.LEADER, tree.a)
    client = client_for(leader)
    assert client.get(reverse("reporting:report")).status_code == 200
    assert client.post(reverse("reporting:report"), {"action": "zero"}).status_code == 403
    assert not UnitDailyReport.objects.exists()


def test_the_overview_shows_timely_late_and_missing_units(tree, liaison, office, monkeypatch):
    c = add_unit(tree.group, "C", "丙公司", "subsidiary")
    at(monkeypatch, 3, 2, 9)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    at(monkeypatch, 3, 2, 16)
    reports.unit_report_submit(
        actor=user_with_role(Role.UNIT_ADMIN, tree.b),
        unit=tree.b,
        date=DAY,
        values={k: int(v) for k, v in REQUIRED.items()},
    )
    response = client_for(office).get(reverse("reporting:overview"))
    html = response.content.decode()
    assert 'data-unit="A" data-timeliness="timely" data-zero="1"' in html
    assert 'data-unit="B" data-timeliness="late" data-zero="0"' in html
    assert f'data-unit="{c.code}" data-timeliness="missing" data-zero="0"' in html
    assert response.context["totals"] == {
        "expected": 3,
        "timely": 1,
        "late": 1,
        "missing": 1,
        "zero": 1,
        "submitted": 2,
    }


def test_the_report_detail_shows_its_lines(tree, liaison, office, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    report = reports.unit_report_submit(
        actor=liaison,
        unit=tree.a,
        date=DAY,
        values={**{k: int(v) for k, v in REQUIRED.items()}, "practices": "错峰就餐"},
    )
    response = client_for(office).get(reverse("reporting:detail", args=[report.pk]))
    assert response.status_code == 200
    assert "错峰就餐" in response.content.decode()
    other = user_with_role(Role.UNIT_ADMIN, tree.b)
    assert client_for(other).get(reverse("reporting:detail", args=[report.pk])).status_code == 404


def test_the_office_edits_the_template_on_a_page(tree, office, liaison, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    client = client_for(office)
    assert client.get(reverse("reporting:template")).status_code == 200
    response = client.post(
        reverse("reporting:template"),
        {"code": "nucleic_tests", "kind": "count", "label": "核酸检测人数", "label_en": "Tests", "sort": "5"},
    )
    assert response.status_code == 302
    field = ReportField.objects.get(code="not_returned")
    response = client.post(
        reverse("reporting:field-edit", args=[field.pk]),
        {
            "label": "未返岗人数",
            "label_en": "Not back",
            "source": "people.not_returned",
            "sort": "40",
            "required": "on",
        },
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert field.label == "未返岗人数" and field.required and not field.is_active  # unchecked box deactivates
    page = client_for(liaison).get(reverse("reporting:report"))
    assert "nucleic_tests" in page.context["form"].fields
    assert "not_returned" not in page.context["form"].fields
    assert client_for(liaison).get(reverse("reporting:template")).status_code == 403


def test_the_office_routes_a_raised_item_and_the_department_resolves_it(tree, liaison, office, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    department = add_unit(tree.group, "GD", "集团物资部", "department")
    head = user_with_role(Role.UNIT_ADMIN, department, "materials-head")
    reports.unit_report_submit(
        actor=liaison,
        unit=tree.a,
        date=DAY,
        values={**{k: int(v) for k, v in REQUIRED.items()}, "material_needs": "口罩"},
    )
    item = RaisedItem.objects.get()
    office_client = client_for(office)
    listing = office_client.get(reverse("reporting:raised") + "?status=open")
    assert list(listing.context["page"].object_list) == [item]
    response = office_client.post(
        reverse("reporting:raised-detail", args=[item.pk]), {"action": "route", "routed_to": department.pk}
    )
    assert response.status_code == 302
    head_client = client_for(head)
    assert list(head_client.get(reverse("reporting:raised")).context["page"].object_list) == [item]
    response = head_client.post(
        reverse("reporting:raised-detail", args=[item.pk]),
        {"action": "status", "status": "resolved", "resolution": "已调拨"},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == RaisedStatus.RESOLVED
    # The department may not re-route it.
    response = head_client.post(
        reverse("reporting:raised-detail", args=[item.pk]), {"action": "route", "routed_to": department.pk}
    )
    assert response.status_code == 403


def test_a_report_whose_submitter_was_deleted_still_shows_everywhere(tree, liaison, office, monkeypatch):
    at(monkeypatch, 3, 2, 9)
    reports.unit_report_submit_zero(actor=liaison, unit=tree.a, date=DAY)
    report = UnitDailyReport.objects.get()
    # Users are deactivated, never deleted (the audit records protect them), but submitted_by may
    # still be empty, e.g. for a report restored from before its submitter's account existed.
    UnitDailyReport.objects.filter(pk=report.pk).update(submitted_by=None)
    client = client_for(office)
    for url in (reverse("reporting:overview") + "?date=2026-03-02", reverse("reporting:detail", args=[report.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert "—" in response.content.decode()
