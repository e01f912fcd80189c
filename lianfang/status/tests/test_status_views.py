"""What people see: their own status with its reason, the board's counts, the return-to-work list,
the epidemiological history page, and the rules page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.health.tests.factories import employee
from lianfang.health.tests.status_helpers import (
    WUHAN,
    WUHAN_JIANGAN,
    area,
    case,
    checkin,
    days_ago,
    rules,
    today,
    trip,
)
from lianfang.org.choices import Role
from lianfang.people.choices import Whereabouts
from lianfang.status.engine import recompute_all
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def world(tree):
    rules()
    me = employee(tree.a1)
    checkin(me, today(), fever=True)
    sick = PersonFactory(unit=tree.a1s)
    case(sick, "confirmed")
    away = PersonFactory(unit=tree.a2)
    checkin(away, days_ago(1), mode="remote")
    not_back = PersonFactory(unit=tree.b1, whereabouts=Whereabouts.NOT_RETURNED)
    on_site = PersonFactory(unit=tree.b1)
    checkin(on_site, today())
    recompute_all()
    return {"me": me, "sick": sick, "away": away, "not_back": not_back, "on_site": on_site}


def test_a_person_sees_their_own_status_with_the_reason_on_the_check_in_page_and_nothing_is_audited(world):
    me = world["me"]
    response = client_for(me.user).get(reverse("health:checkin"))
    html = response.content.decode()
    assert 'data-testid="status-block"' in html and 'data-colour="yellow"' in html
    assert "Recent fever" in html and "until" in html
    assert not AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).exists()


def test_a_person_reads_their_own_status_through_the_api(world):
    me = world["me"]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(me.user)
    body = client.get("/api/v1/statuses/mine/").json()
    assert (body["colour"], body["reason_en"], body["may_return_to_work"]) == ("yellow", "Recent fever", False)
    listed = client.get("/api/v1/statuses/").json()["results"]
    assert [r["person"] for r in listed] == [me.pk]


def test_the_board_counts_each_colour_per_unit_subtree(world, tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    html = client_for(office).get(reverse("health:status-board")).content.decode()
    rows = dict(re.findall(r'<tr data-unit="(\w+)">(.*?)</tr>', html, re.S))
    numbers = {code: re.findall(r'class="num">(?:<a [^>]*>)?(\d+)', row) for code, row in rows.items()}
    # A: me (yellow, A1) + sick (red, A1S) + away (green, A2); B: two green.
    assert numbers["A"] == ["1", "1", "1", "3"]
    assert numbers["B"] == ["2", "0", "0", "2"]
    drill = client_for(office).get(reverse("health:status-board"), {"unit": tree.a.pk}).content.decode()
    assert 'data-unit="A1"' in drill and 'data-unit="A2"' in drill


def test_a_liaison_sees_colours_but_not_reasons(world, tree):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a)
    html = client_for(liaison).get(reverse("health:status-people"), {"colour": "red"}).content.decode()
    assert world["sick"].employee_no in html and world["me"].employee_no not in html
    assert "Suspected or confirmed case" not in html and "疑似或确诊病例" not in html
    assert not AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ).exists()


def test_a_case_manager_sees_reasons_and_the_read_is_audited(world, tree):
    manager = user_with_role(Role.CASE_MANAGER, tree.a)
    html = client_for(manager).get(reverse("health:status-people"), {"colour": "red"}).content.decode()
    assert "疑似或确诊病例" in html or "Suspected or confirmed case" in html
    event = AuditEvent.objects.get(kind=AuditKind.SENSITIVE_READ)
    assert event.detail["people"] == [world["sick"].pk] and event.user == manager


def test_the_search_finds_a_person_by_employee_number(world, tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    html = client_for(office).get(reverse("health:status-people"), {"q": world["away"].employee_no}).content.decode()
    assert set(re.findall(r'data-person="([^"]+)"', html)) == {world["away"].employee_no}


def test_the_return_to_work_list_holds_green_people_not_on_site(world, tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    html = client_for(office).get(reverse("health:status-return")).content.decode()
    assert set(re.findall(r'data-person="([^"]+)"', html)) == {world["away"].employee_no, world["not_back"].employee_no}


def test_a_yellow_person_working_remotely_is_not_on_the_return_to_work_list(world, tree):
    me = world["me"]
    checkin(me, days_ago(1), mode="remote", fever=True)
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    html = client_for(office).get(reverse("health:status-return")).content.decode()
    assert me.employee_no not in html


def test_the_history_page_marks_check_ins_and_trips_in_a_risk_area_in_force_that_day(tree):
    rules()
    person = employee(tree.a1)
    area(WUHAN, days_ago(10), lifted=days_ago(2))
    checkin(person, days_ago(3), place=WUHAN_JIANGAN)
    checkin(person, days_ago(1), place=WUHAN_JIANGAN)  # lifted by then
    trip(person, WUHAN_JIANGAN, days_ago(5), days_ago(4))
    html = client_for(person.user).get(reverse("health:my-history"), follow=True).content.decode()
    assert html.count('class="in-risk"') == 2  # the trip and the check-in three days ago
    manager = user_with_role(Role.CASE_MANAGER, tree.a)
    client_for(manager).get(reverse("health:person-history", args=[person.pk]))
    assert AuditEvent.objects.filter(kind=AuditKind.SENSITIVE_READ, detail__what="epidemiological_history").count() == 1


def test_an_employee_adds_a_trip_through_the_page_and_turns_yellow(tree, django_capture_on_commit_callbacks):
    rules()
    person = employee(tree.a1)
    area(WUHAN, days_ago(10))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(person.user).post(
            reverse("health:trip-create", args=[person.pk]),
            {
                "kind": "trip",
                "province": "42",
                "city": "4201",
                "district": "420102",
                "date_from": days_ago(3),
                "date_to": days_ago(2),
                "transport": "train",
                "transport_no": "G1234",
            },
        )
    assert response.status_code == 302
    assert person.status.colour == "yellow"


def test_a_trip_in_the_future_is_refused_on_the_form(tree):
    person = employee(tree.a1)
    tomorrow = today() + datetime.timedelta(days=1)
    response = client_for(person.user).post(
        reverse("health:trip-create", args=[person.pk]),
        {"kind": "trip", "place_name": "北京", "date_from": today(), "date_to": tomorrow},
    )
    assert response.status_code == 400 and "cannot end after today" in response.content.decode()


def test_the_rules_page_lists_the_rules_in_order_and_a_bad_rule_is_explained(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    rules()
    html = client_for(office).get(reverse("health:status-rules")).content.decode()
    assert html.index("Suspected or confirmed case") < html.index("Recent fever")
    response = client_for(office).post(
        reverse("health:status-rule-create"),
        {"name": "x", "fact": "fever", "within_days": "9999", "colour": "red", "reason": "x", "hold_days": "0"},
    )
    assert response.status_code == 400 and "whole number of days from 0 to 90" in response.content.decode()


def test_the_group_settings_page_edits_the_look_back_window(tree):
    from lianfang.org.models import GroupSettings

    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    client = client_for(office)
    page = client.get(reverse("org:settings"))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for name in ("checkin_opens", "report_deadline", "bulletin_time"):
        data[name] = str(data[name])[:5]
    data["lookback_days"] = 7
    response = client.post(reverse("org:settings"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert GroupSettings.load().lookback_days == 7
