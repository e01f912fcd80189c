"""Strict input (``core.api.StrictFieldsMixin``): nothing sent to the API is silently ignored. A
misspelt field is reported as unknown, naming the fields the endpoint takes (and the nearest one);
a field the endpoint shows but does not write says it cannot be written. Tried on the units and
the unit reports."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings
from lianfang.reporting.defaults import ensure_default_report_fields
from lianfang.reporting.models import UnitDailyReport
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

UNIT_FIELDS = "code, name, short_name, kind, address, person_in_charge, person_in_charge_phone, liaison, liaison_phone"


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


@pytest.fixture
def liaison(tree):
    return user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")


def test_a_misspelt_field_is_reported_as_unknown_with_the_nearest_field_and_nothing_is_changed(tree, liaison):
    response = client_for(liaison).patch(f"/api/v1/units/{tree.a1.pk}/", {"nmae": "新名字"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "nmae": [f"Unknown field: nmae (did you mean name?); the fields are {UNIT_FIELDS}."],
    }
    tree.a1.refresh_from_db()
    assert tree.a1.name == "甲公司综合部"


def test_a_field_the_endpoint_shows_but_does_not_write_says_it_cannot_be_written(tree, liaison):
    response = client_for(liaison).patch(
        f"/api/v1/units/{tree.a1.pk}/", {"name": "新名字", "depth": 9, "updated": "2020-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "depth": ["This field cannot be written."],
        "updated": ["This field cannot be written."],
    }
    tree.a1.refresh_from_db()
    assert tree.a1.name == "甲公司综合部"


def test_an_unknown_field_with_no_near_name_lists_the_fields_without_guessing(tree, liaison):
    response = client_for(liaison).patch(f"/api/v1/units/{tree.a1.pk}/", {"colour": "red"}, format="json")

    assert response.json() == {"colour": [f"Unknown field: colour; the fields are {UNIT_FIELDS}."]}


def test_a_hint_of_the_endpoint_still_says_what_to_do_instead(tree, liaison):
    response = client_for(liaison).patch(f"/api/v1/units/{tree.a1.pk}/", {"parent": tree.a2.pk}, format="json")

    assert response.status_code == 400
    assert "/move/" in response.json()["parent"][0]


def test_a_misspelt_field_in_a_new_report_is_unknown_and_no_report_is_started(tree, monkeypatch):
    ensure_default_report_fields()
    settings = GroupSettings.load()
    settings.reporting_tier = tree.a1.kind.tier
    settings.save()
    moment = datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a1)

    response = client_for(liaison).post(
        "/api/v1/reports/", {"unit": tree.a1.pk, "vaules": {"at_work": 3}, "status": "submitted"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "status": ["Unknown field: status; the fields are values, reason, unit, date."],
        "vaules": ["Unknown field: vaules (did you mean values?); the fields are values, reason, unit, date."],
    }
    assert not UnitDailyReport.objects.exists()


def test_a_misspelt_field_sent_to_an_action_is_reported_the_same_way(tree):
    office = user_with_role(Role.GROUP_ADMIN, tree.group)

    response = client_for(office).post(f"/api/v1/units/{tree.a1.pk}/move/", {"parnet": tree.b.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"parnet": ["Unknown field: parnet (did you mean parent?); the fields are parent."]}
