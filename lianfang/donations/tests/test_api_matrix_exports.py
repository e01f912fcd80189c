"""The permission matrix of the donations endpoints added by issue 10 (the report and the .xlsx
exports), the way ``tests/test_permission_matrix_api.py`` tests the others: every role (and
anonymous, and no role) held on A1 × where the object sits (A1, its child A1S, its sibling A2, its
parent A).

* the donations export holds exactly the donations of A1's subtree, for who may export donations;
* the report answers who may see donations, collections or funds, with only A1's subtree in it;
  its export, who may export any of them;
* a collection's and a fund's export is found only where the object is visible (404 otherwise; a
  collection organised above A1 is visible to its units) and is 403 without the export right.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.services import collections, donations, funds
from lianfang.donations.tests.helpers import DAY, items
from lianfang.org.choices import Role
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, IN_SCOPE, user_with_role
from tests.matrix_world import ACTORS, ANONYMOUS, RELATIONS, World, module_world

pytestmark = pytest.mark.django_db
DONATION, COLLECTION, FUND = "donations.donation", "donations.collection", "donations.fund"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    for base in module_world(django_db_blocker):
        with django_db_blocker.unblock():
            _add_donations(base)
        yield base


def _add_donations(world: World) -> None:
    items()
    office = user_with_role(Role.GROUP_ADMIN, world.tree.group, "matrix-office")
    world.collections, world.funds, world.donations = {}, {}, {}  # type: ignore[attr-defined]
    for relation, unit in world.units.items():
        world.donations[relation] = donations.donation_record(  # type: ignore[attr-defined]
            actor=office,
            direction=Direction.IN,
            kind=DonationKind.MONEY,
            unit=unit,
            counterparty=f"捐赠方-{relation}",
            date=DAY,
            amount="100",
        )
        world.collections[relation] = collections.collection_open(  # type: ignore[attr-defined]
            actor=office, organiser=unit, name=f"募捐-{relation}", recipient="红十字会", opened_on=DAY
        )
        world.funds[relation] = funds.fund_open(  # type: ignore[attr-defined]
            actor=office, unit=unit, name=f"资金-{relation}", budget="1000", opened_on=DAY
        )


def client_as(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(get_user_model().objects.get(pk=world.users[actor]))
    return client


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def workbook_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [row for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)]


@pytest.mark.parametrize("actor", ACTORS)
def test_the_donations_export_holds_exactly_the_donations_the_role_may_export(world, actor):
    response = client_as(world, actor).get("/api/v1/donations/export/")

    if actor == ANONYMOUS or not may(actor, DONATION, Action.EXPORT):
        assert response.status_code == (401 if actor == ANONYMOUS else 403)
        return
    assert response.status_code == 200
    numbers = {row[0] for row in workbook_rows(response)}
    assert numbers == {world.donations[r].number for r in IN_SCOPE}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_report_answers_who_may_see_a_part_of_it_with_only_the_scope_in_it(world, actor):
    response = client_as(world, actor).get("/api/v1/donations/report/")

    sees = {label: may(actor, label, Action.VIEW) for label in (DONATION, COLLECTION, FUND)}
    if actor == ANONYMOUS or not any(sees.values()):
        assert response.status_code == (401 if actor == ANONYMOUS else 403)
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["donations"] is not None, body["collections"] is not None, body["funds"] is not None) == (
        sees[DONATION],
        sees[COLLECTION],
        sees[FUND],
    )
    if sees[DONATION]:
        units = {row["unit"] for row in body["donations"]["money"]}
        assert units == {world.units[r].pk for r in IN_SCOPE}
    if sees[FUND]:
        assert {f["id"] for f in body["funds"]["funds"]} == {world.funds[r].pk for r in IN_SCOPE}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_report_export_answers_who_may_export_a_part_of_it(world, actor):
    response = client_as(world, actor).get("/api/v1/donations/report/export/")

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    allowed = any(may(actor, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND))
    assert response.status_code == (200 if allowed else 403)


def _visible(actor: str, label: str, relation: str) -> bool:
    if not may(actor, label, Action.VIEW):
        return False
    # A collection organised above the actor's unit is seen by it (it takes part).
    return relation in IN_SCOPE or (label == COLLECTION and relation == "parent")


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("kind", ["collections", "funds"])
def test_a_collection_or_fund_export_is_found_only_where_visible_and_needs_the_export_right(
    world, kind, actor, relation
):
    label = COLLECTION if kind == "collections" else FUND
    obj = (world.collections if kind == "collections" else world.funds)[relation]

    response = client_as(world, actor).get(f"/api/v1/{kind}/{obj.pk}/export/")

    if actor == ANONYMOUS:
        expected = 401
    elif not _visible(actor, label, relation):
        expected = 404
    elif may(actor, label, Action.EXPORT) and relation in IN_SCOPE:
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected, response.content[:300]
    if expected == 200:
        assert obj.name in {str(row[0]) for row in workbook_rows(response)}
