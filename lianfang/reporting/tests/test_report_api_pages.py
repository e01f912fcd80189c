"""What the office and the liaison open in the reporting pages is in the API too: the overview of the
day (late, missing, zero, whom to call), one report as its page shows it, the report of a unit and a
day with the counts the records give, and the dashboard's prevention panel. With the permission
matrix of the new endpoint (role × where the unit sits)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.health.models import UnitDayStat
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.roles import role_allows
from lianfang.reporting.choices import RaisedKind
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import RaisedItem, UnitDailyReport
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, user_with_role

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
DAY = datetime.date(2026, 3, 2)
REPORT = "reporting.unitdailyreport"


@pytest.fixture(autouse=True)
def template(db):
    ensure_default_report_fields()


@pytest.fixture(autouse=True)
def ten_in_the_morning(monkeypatch):
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def departments_report() -> None:
    settings = GroupSettings.load()
    settings.reporting_tier = Unit.objects.get(code="A1").kind.tier
    settings.save()


# --- The overview of the day ---------------------------------------------------------------------


def test_the_overview_of_the_day_says_the_deadline_and_whom_to_call_about_a_missing_report(tree):
    departments_report()
    Unit.objects.filter(pk=tree.a2.pk).update(liaison="赵联络", liaison_phone="13900000002")
    UnitDailyReport.objects.create(
        unit=tree.a1, date=DAY, status="submitted", is_zero_report=True, submitted_at=timezone.now()
    )
    office = user_with_role(Role.GROUP_ADMIN, tree.a)

    body = client_for(office).get(reverse("api:unitreport-status"), {"date": DAY.isoformat()}).json()

    assert body["deadline"] == "2026-03-02T15:00:00+08:00" and body["before_deadline"] is True
    assert (body["totals"]["zero"], body["totals"]["missing"]) == (1, 1)
    missing = [row for row in body["units"] if row["timeliness"] == "missing"]
    assert [(row["unit_name"], row["liaison"], row["liaison_phone"]) for row in missing] == [
        ("甲公司运营部", "赵联络", "13900000002")
    ]


# --- One report ----------------------------------------------------------------------------------


def test_a_report_reads_as_its_page_shows_it_labels_changed_counts_and_what_it_raised(tree):
    departments_report()
    report = UnitDailyReport.objects.create(
        unit=tree.a1,
        date=DAY,
        status="submitted",
        submitted_at=timezone.now(),
        values={"at_work": 7, "fever_today": 0, "problems": "口罩不够"},
        prefilled={"checkin.on_site": 5, "checkin.fever": 0},
    )
    RaisedItem.objects.create(report=report, unit=tree.a1, kind=RaisedKind.PROBLEM, text="口罩不够")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)

    body = client_for(liaison).get(reverse("api:unitreport-detail", args=[report.pk])).json()

    lines = {line["code"]: line for line in body["lines"]}
    assert lines["at_work"] == {
        "code": "at_work",
        "label": "At work on site",
        "kind": "count",
        "required": True,
        "value": 7,
        "prefilled": 5,
        "changed": True,
    }
    assert (lines["fever_today"]["changed"], lines["problems"]["value"]) == (False, "口罩不够")
    assert [code for code in lines][:2] == ["headcount", "at_work"]  # the template's order
    assert [(item["kind"], item["text"]) for item in body["raised_items"]] == [("problem", "口罩不够")]
    assert body["deadline"] == "2026-03-02T15:00:00+08:00" and body["locks_on"] > DAY.isoformat()


def test_the_list_of_reports_stays_short_and_leaves_the_lines_to_the_detail(tree):
    departments_report()
    UnitDailyReport.objects.create(unit=tree.a1, date=DAY, values={"at_work": 7})

    row = client_for(user_with_role(Role.UNIT_ADMIN, tree.a1)).get(reverse("api:unitreport-list")).json()

    assert "lines" not in row["results"][0] and row["results"][0]["values"] == {"at_work": 7}


# --- A unit's report for a day, as the report page opens it --------------------------------------


def test_before_a_report_is_started_the_day_gives_the_counts_the_records_give(tree):
    departments_report()
    UnitDayStat.objects.create(unit=tree.a1, date=DAY, expected=9, reported=8, on_site=6, remote=2, fever=1, flagged=1)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)

    body = client_for(liaison).get(reverse("api:unitreport-day")).json()

    assert (body["unit_name"], body["date"], body["report"], body["timeliness"]) == (
        "甲公司综合部",
        DAY.isoformat(),
        None,
        "missing",
    )
    lines = {line["code"]: line for line in body["lines"]}
    assert (lines["at_work"]["value"], lines["remote"]["value"], lines["fever_today"]["value"]) == (6, 2, 1)
    assert lines["problems"]["value"] is None
    assert body["may_write"] is True and body["locked"] is False
    assert body["zero_report_blockers"] == [
        "Checked in with a fever: 1",
        "Flagged at check-in (fever or a risk answer): 1",
    ]


def test_once_started_the_day_gives_the_report_and_its_own_values(tree):
    departments_report()
    report = UnitDailyReport.objects.create(unit=tree.a1, date=DAY, values={"at_work": 4})
    leader = user_with_role(Role.LEADER, tree.a)

    body = client_for(leader).get(reverse("api:unitreport-day"), {"unit": tree.a1.pk}).json()

    assert body["report"]["id"] == report.pk and body["report"]["status"] == "draft"
    assert {line["code"]: line["value"] for line in body["lines"]}["at_work"] == 4
    assert body["may_write"] is False  # a leader reads


def test_a_day_in_the_future_is_refused_before_anything_is_shown(tree):
    departments_report()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)

    response = client_for(liaison).get(reverse("api:unitreport-day"), {"date": "2026-03-03"})

    assert response.status_code == 400
    assert response.json() == {"date": ["Give today or an earlier day."]}


def test_another_units_report_day_looks_like_a_unit_that_does_not_exist(tree):
    departments_report()
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)
    client = client_for(liaison)

    outside = client.get(reverse("api:unitreport-day"), {"unit": tree.b1.pk})
    missing = client.get(reverse("api:unitreport-day"), {"unit": 999999})

    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


@pytest.mark.parametrize("rel", list(SCOPE_RELATIONS))
@pytest.mark.parametrize("actor", ["anonymous", "no-role", *ALL_ROLES])
def test_the_report_day_obeys_the_role_and_where_the_unit_sits(tree, actor, rel):
    unit = getattr(tree, SCOPE_RELATIONS[rel])
    settings = GroupSettings.load()
    settings.reporting_tier = unit.kind.tier
    settings.save()
    role = actor if actor in ALL_ROLES else None
    user = None if actor == "anonymous" else user_with_role(role, tree.a1, f"actor-{actor}")
    reports_before = UnitDailyReport.objects.count()

    response = client_for(user).get(reverse("api:unitreport-day"), {"unit": unit.pk, "date": DAY.isoformat()})

    may_view = role is not None and role_allows(role, REPORT, Action.VIEW)
    if user is None:
        assert response.status_code in (401, 403)
    elif not may_view:
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if rel in IN_SCOPE else 404)
    assert UnitDailyReport.objects.count() == reports_before


# --- The dashboard's prevention panel ------------------------------------------------------------


def test_the_dashboard_gives_the_prevention_panel_with_only_what_the_caller_may_see(tree):
    office = client_for(user_with_role(Role.GROUP_ADMIN, tree.group)).get(reverse("api:dashboard-list")).json()
    inspector = client_for(user_with_role(Role.INSPECTOR, tree.group)).get(reverse("api:dashboard-list")).json()

    assert {"cases", "status", "alerts", "stock_low", "requests_open"} <= set(office["control"])
    assert office["control"]["cases"]["active"] == 0
    assert not {"status", "alerts", "stock_low", "requests_open"} & set(inspector["control"])
