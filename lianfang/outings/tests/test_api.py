"""The outings' API: an employee asks for themselves, the approver decides, refusals name the field."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianfang.outings.choices import OutingState
from lianfang.outings.models import Outing
from lianfang.outings.tests.conftest import WUCHANG, ask, day, risk_area
from lianfang.testing import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def body(**changes) -> dict:
    data = {
        "place_code": WUCHANG,
        "date_from": str(day(1)),
        "date_to": str(day(3)),
        "reason": "出差",
        "transport": "plane",
        "transport_no": "CA1502",
    }
    return {**data, **changes}


def test_an_employee_without_a_role_asks_for_themselves(clock, employee, leader):
    response = api(employee.user).post("/api/v1/outings/", body(), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["state"], data["place_name"], data["person"]) == ("pending", "湖北省武汉市武昌区", employee.pk)
    assert [(s["kind"], s["unit_name"]) for s in data["steps"]] == [("leader", "甲公司")]


def test_a_refusal_names_the_field(clock, employee, leader):
    response = api(employee.user).post("/api/v1/outings/", body(date_to=str(day(0))), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["date_to"]
    assert not Outing.objects.exists()


def test_a_field_the_server_sets_is_refused_with_a_hint(clock, employee, leader):
    response = api(employee.user).post("/api/v1/outings/", body(state="approved"), format="json")

    assert response.status_code == 400
    assert response.json()["state"] == ["The state is set by the route."]


def test_the_approver_lists_what_waits_and_approves_it(clock, employee, leader, office):
    risk_area(WUCHANG)
    outing = ask(employee.user, employee, place=WUCHANG)
    client = api(leader)

    assert [r["id"] for r in client.get("/api/v1/outings/?to_decide=1").json()["results"]] == [outing.pk]
    response = client.post(f"/api/v1/outings/{outing.pk}/approve/", {"note": "同意"}, format="json")

    assert response.status_code == 200
    assert [s["decision"] for s in response.json()["steps"]] == ["approved", ""]
    assert client.get("/api/v1/outings/?to_decide=1").json()["count"] == 0
    assert api(office).get("/api/v1/outings/?to_decide=1&risk=1").json()["count"] == 1
    again = client.post(f"/api/v1/outings/{outing.pk}/approve/", {}, format="json")
    assert again.status_code == 403
    assert "prevention office" in again.json()["detail"]


def test_a_refusal_needs_a_reason(clock, employee, leader):
    outing = ask(employee.user, employee)

    response = api(leader).post(f"/api/v1/outings/{outing.pk}/reject/", {}, format="json")

    assert response.status_code == 400 and list(response.json()) == ["reason"]


def test_the_person_confirms_the_return_and_outsiders_find_nothing(clock, tree, employee, leader):
    outing = ask(employee.user, employee)
    api(leader).post(f"/api/v1/outings/{outing.pk}/approve/", {}, format="json")
    clock.advance(days=3)
    stranger = PersonFactory(unit=tree.b1, user=UserFactory())

    assert api(stranger.user).get(f"/api/v1/outings/{outing.pk}/").status_code == 404
    assert api(stranger.user).post(f"/api/v1/outings/{outing.pk}/return/", {}, format="json").status_code == 404
    response = api(employee.user).post(
        f"/api/v1/outings/{outing.pk}/return/",
        {"actual_from": str(day(1)), "actual_to": str(day(3))},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == OutingState.RETURNED
    assert response.json()["trip_recorded"] is True


def test_the_list_filters_are_checked(clock, employee, leader):
    client = api(leader)

    assert client.get("/api/v1/outings/?state=flying").status_code == 400
    assert client.get("/api/v1/outings/?when=soon").status_code == 400
    assert client.get("/api/v1/outings/?unit=99999999").status_code == 400
