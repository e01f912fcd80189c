"""Who may be responsible for an isolation is a rule checked in the service (issue 11): a holder of a
role that may manage isolation (case team, office) on the isolated person's unit or above it, or that
unit's administrator (liaison) or duty officer. Anyone else is refused: 400 on the API, a form error
on the page, and the form offers only eligible users."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from lianfang.cases.models import Isolation
from lianfang.cases.services import isolation as isolation_services
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree):
    manager = user_with_role(Role.CASE_MANAGER, tree.a, "manager-a")
    return {
        "tree": tree,
        "manager": manager,
        "isolated": PersonFactory(unit=tree.a1),
        "colleague": user_with_role(Role.EMPLOYEE, tree.a1, "colleague-a1"),  # a plain employee
        "liaison": user_with_role(Role.UNIT_ADMIN, tree.a1, "liaison-a1"),
        "duty": user_with_role(Role.DUTY_OFFICER, tree.a, "duty-a"),  # on a unit above: covers A1
        "other_manager": user_with_role(Role.CASE_MANAGER, tree.a2, "manager-a2"),  # a sibling unit
        "other_liaison": user_with_role(Role.UNIT_ADMIN, tree.a1s, "liaison-a1s"),  # below: not A1's
        "keeper": user_with_role(Role.MATERIALS_KEEPER, tree.a1, "keeper-a1"),
    }


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def order(p, responsible):
    return api(p["manager"]).post(
        reverse("api:isolation-list"),
        {"person": p["isolated"].pk, "kind": "home", "responsible": responsible.pk},
        format="json",
    )


@pytest.mark.parametrize("who", ["colleague", "other_manager", "other_liaison", "keeper"])
def test_a_case_manager_cannot_make_an_ineligible_user_responsible(people, who):
    response = order(people, people[who])
    assert response.status_code == 400
    assert "case manager" in str(response.json()["responsible"])
    assert not Isolation.objects.exists()


@pytest.mark.parametrize("who", ["manager", "liaison", "duty"])
def test_the_case_team_the_liaison_and_the_duty_officer_may_be_responsible(people, who):
    response = order(people, people[who])
    assert response.status_code == 201, response.json()
    assert Isolation.objects.get().responsible == people[who]


def test_the_service_refuses_an_ineligible_responsible_person_when_the_order_changes(people):
    from django.core.exceptions import ValidationError

    assert order(people, people["liaison"]).status_code == 201
    iso = Isolation.objects.get()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        isolation_services.isolation_change_end(
            actor=people["manager"],
            isolation=iso,
            planned_end_on=iso.planned_end_on,
            reason="moved",
            responsible=people["colleague"],
        )
    assert "responsible" in refused.value.message_dict
    response = api(people["manager"]).patch(
        reverse("api:isolation-detail", args=[iso.pk]),
        {"planned_end_on": str(iso.planned_end_on), "reason": "moved", "responsible": people["colleague"].pk},
        format="json",
    )
    assert response.status_code == 400
    iso.refresh_from_db()
    assert iso.responsible == people["liaison"]


def test_the_form_offers_only_eligible_users_and_refuses_another_with_a_form_error(people):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(people["manager"])
    url = reverse("cases:isolation-create")
    html = client.get(url, {"person": people["isolated"].pk}).content.decode()
    for who in ("liaison", "duty"):
        assert f'value="{people[who].pk}"' in html
    for who in ("colleague", "other_manager", "other_liaison", "keeper"):
        assert f'value="{people[who].pk}"' not in html
    # Before the person is known, the choices are those eligible somewhere in the manager's scope:
    # the liaison below A (A1S) is eligible for a person of A1S, so offered; the plain employee never.
    html = client.get(url).content.decode()
    assert f'value="{people["other_liaison"].pk}"' in html
    assert f'value="{people["colleague"].pk}"' not in html
    response = client.post(
        url,
        {
            "employee_no": people["isolated"].employee_no,
            "kind": "home",
            "reason": "contact",
            "start_on": timezone.localdate().isoformat(),
            "responsible": people["other_liaison"].pk,
        },
    )
    assert response.status_code == 200
    assert "case manager" in response.content.decode()
    assert not Isolation.objects.exists()
