"""Unit contact phones: one rule on the unit page, the unit API and the report status API — in full only
where the viewer's role may unmask people of that unit, masked (138****5678) for everyone else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

FULL = ("13900001111", "13900002222")
MASKED = ("139****1111", "139****2222")


@pytest.fixture
def unit_with_contacts(tree):
    Unit.objects.filter(pk=tree.a1.pk).update(
        person_in_charge="李主任", person_in_charge_phone=FULL[0], liaison="王联络", liaison_phone=FULL[1]
    )
    return Unit.objects.get(pk=tree.a1.pk)


def api_phones(user, unit) -> list[tuple[str, str]]:
    client = APIClient()
    client.force_authenticate(user)
    detail = client.get(f"/api/v1/units/{unit.pk}/").json()
    (listed,) = [
        row for row in client.get("/api/v1/units/", {"page_size": 500}).json()["results"] if row["id"] == unit.pk
    ]
    return [(row["person_in_charge_phone"], row["liaison_phone"]) for row in (detail, listed)]


def page_html(user, unit) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client.get(reverse("org:detail", args=[unit.pk])).content.decode()


@pytest.mark.parametrize(
    "role", [Role.LEADER, Role.INSPECTOR, Role.MATERIALS_KEEPER, Role.DUTY_OFFICER, Role.CHECKPOINT]
)
def test_roles_that_may_not_unmask_see_masked_contact_phones_on_page_and_api(unit_with_contacts, role):
    user = user_with_role(role, unit_with_contacts)
    assert api_phones(user, unit_with_contacts) == [MASKED, MASKED]
    html = page_html(user, unit_with_contacts)
    assert FULL[0] not in html and FULL[1] not in html
    assert MASKED[0] in html and MASKED[1] in html


@pytest.mark.parametrize("role", [Role.UNIT_ADMIN, Role.CASE_MANAGER, Role.GROUP_ADMIN])
def test_roles_that_may_unmask_people_see_full_contact_phones_on_page_and_api(unit_with_contacts, role):
    user = user_with_role(role, unit_with_contacts)
    assert api_phones(user, unit_with_contacts) == [FULL, FULL]
    html = page_html(user, unit_with_contacts)
    assert f'href="tel:{FULL[0]}"' in html and f'href="tel:{FULL[1]}"' in html


def test_the_phones_a_liaison_saves_come_back_in_full_to_them(unit_with_contacts):
    client = APIClient()
    client.force_authenticate(user_with_role(Role.UNIT_ADMIN, unit_with_contacts))
    response = client.patch(f"/api/v1/units/{unit_with_contacts.pk}/", {"liaison_phone": "13700003333"}, format="json")
    assert response.status_code == 200
    assert response.json()["liaison_phone"] == "13700003333"
