"""The non-reporter list in the API follows the page: phones masked unless the viewer may unmask them,
and one audit event per response naming how many numbers it showed (issue 11, found when probed)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db

URL = "/api/v1/checkin-non-reporters/"


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def unmask_events():
    return list(AuditEvent.objects.filter(kind=AuditKind.UNMASK))


def test_a_liaison_gets_full_numbers_and_one_audit_event_naming_how_many(tree):
    for n in range(3):
        PersonFactory(unit=tree.a1, phone=f"1381234567{n}")
    PersonFactory(unit=tree.a1, phone="")
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, "liaison-a")
    response = api_as(liaison).get(URL)
    assert response.status_code == 200
    phones = sorted(row["phone"] for row in response.json()["results"])
    assert phones == ["", "13812345670", "13812345671", "13812345672"]
    (event,) = unmask_events()
    assert event.user == liaison
    assert event.detail["people"] == 3 and event.detail["field"] == "phone"


def test_a_duty_officer_gets_masked_numbers_and_nothing_is_audited(tree):
    PersonFactory(unit=tree.a1, phone="13812345678")
    response = api_as(user_with_role(Role.DUTY_OFFICER, tree.a1)).get(URL)
    assert response.status_code == 200
    assert [row["phone"] for row in response.json()["results"]] == ["138****5678"]
    assert "13812345678" not in response.content.decode()
    assert unmask_events() == []


def test_only_the_numbers_on_the_page_returned_are_counted(tree):
    for n in range(5):
        PersonFactory(unit=tree.a1, phone=f"1390000000{n}")
    api_as(user_with_role(Role.UNIT_ADMIN, tree.a1)).get(URL, {"page_size": 2})
    (event,) = unmask_events()
    assert event.detail["people"] == 2
