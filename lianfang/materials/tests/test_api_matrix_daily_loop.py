"""The permission matrix of the materials endpoints added by issue 10, the way
``tests/test_permission_matrix_api.py`` tests the others: every role (and anonymous, and no role)
held on A1 × where the object sits (A1, its child A1S, its sibling A2, its parent A).

* the exports (stock, movements, transfers) answer 403 to who may export nowhere and otherwise hold
  exactly the rows of A1's subtree;
* in transit and the flows hold exactly the transfers touching A1's subtree for who may see
  transfers, nothing for the others;
* a request's donors are found only inside the view scope (404 outside) and list only units of A1's
  subtree;
* sending to several units succeeds only from a unit of the add scope (400 outside it, 403 for who
  may add transfers nowhere), and a refusal writes nothing.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.materials.models import MaterialRequest, Movement, Stock, Transfer
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, state, stock
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, IN_SCOPE, user_with_role
from tests.matrix_world import ACTORS, ANONYMOUS, RELATIONS, World, module_world

pytestmark = pytest.mark.django_db
TRANSFER, STOCK, MOVEMENT, REQUEST = (
    "materials.transfer",
    "materials.stock",
    "materials.movement",
    "materials.materialrequest",
)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    for base in module_world(django_db_blocker):
        with django_db_blocker.unblock():
            _add_materials(base)
        yield base


def _add_materials(world: World) -> None:
    """Stock everywhere, a request in each place, and shipped transfers touching each place."""
    tree = world.tree
    catalogue = items()
    mask = catalogue["surgical-mask"]
    office = user_with_role(Role.GROUP_ADMIN, tree.group, "matrix-office")
    world.mask = mask  # type: ignore[attr-defined]
    world.requests = {}  # type: ignore[attr-defined]
    for relation, unit in world.units.items():
        stock(unit, mask, 1000)
        world.requests[relation] = services.request_create(  # type: ignore[attr-defined]
            actor=office, unit=unit, item=mask, quantity=10, reason=f"{relation}"
        )
    for unit in (tree.b1, world.destination):
        stock(unit, mask, 1000)
    day = timezone.localdate() - datetime.timedelta(days=1)
    for from_unit, to_unit in ((tree.b1, tree.a1), (tree.a1s, tree.b1), (tree.a2, tree.b1), (tree.b1, tree.a)):
        transfer = services._create_transfer(
            actor=office, from_unit=from_unit, to_unit=to_unit, lines=[services.LineInput(mask, 5)], approved=True
        )
        services.transfer_ship(actor=office, transfer=transfer, date=day)
        if from_unit == tree.b1 and to_unit == tree.a1:
            services.transfer_receive(actor=office, transfer=transfer, quantities={transfer.lines.get().pk: 5})


def client_as(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(get_user_model().objects.get(pk=world.users[actor]))
    return client


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def in_a1(world: World, field: str) -> dict:
    return {f"{field}__path__startswith": world.tree.a1.path}


def touching_a1(world: World):
    return Transfer.objects.filter(**in_a1(world, "from_unit")) | Transfer.objects.filter(**in_a1(world, "to_unit"))


def sheet_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(min_row=2, values_only=True))


EXPORTS = {
    # endpoint: (model label, expected rows from the world, the row's key)
    "stock": (STOCK, lambda w: set(Stock.objects.filter(**in_a1(w, "unit")).values_list("unit__code", "item__code"))),
    "movements": (MOVEMENT, lambda w: Movement.objects.filter(**in_a1(w, "unit")).count()),
    "transfers": (TRANSFER, lambda w: set(touching_a1(w).values_list("number", flat=True))),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", list(EXPORTS))
def test_an_api_export_holds_exactly_the_rows_the_role_may_export(world, endpoint, actor):
    label, expected = EXPORTS[endpoint]

    response = client_as(world, actor).get(f"/api/v1/{endpoint}/export/")

    if actor == ANONYMOUS or not may(actor, label, Action.EXPORT):
        assert response.status_code == (401 if actor == ANONYMOUS else 403)
        return
    assert response.status_code == 200
    rows = sheet_rows(response)
    if endpoint == "stock":
        assert {(r[0], r[2]) for r in rows} == expected(world)
    elif endpoint == "movements":
        assert len(rows) == expected(world)
    else:
        assert {r[0] for r in rows} == expected(world)


@pytest.mark.parametrize("actor", ACTORS)
def test_in_transit_and_the_flows_hold_exactly_the_transfers_the_role_may_see(world, actor):
    client = client_as(world, actor)

    transit = client.get("/api/v1/transfers/in-transit/")
    flows = client.get("/api/v1/transfers/flows/", {"date_from": "2000-01-01", "item": world.mask.pk})

    if actor == ANONYMOUS:
        assert (transit.status_code, flows.status_code) == (401, 401)
        return
    assert (transit.status_code, flows.status_code) == (200, 200)
    visible = may(actor, TRANSFER, Action.VIEW)
    moving = touching_a1(world).filter(status__in=["shipped", "partly_received"])
    expected = set(moving.values_list("number", flat=True)) if visible else set()
    assert {line["number"] for line in transit.json()["lines"]} == expected
    arrived = {(f["from_unit"], f["to_unit"]) for f in flows.json()["flows"]}
    assert arrived == ({(world.tree.b1.pk, world.tree.a1.pk)} if visible else set())


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_requests_donors_are_found_only_inside_the_view_scope(world, actor, relation):
    request = world.requests[relation]

    response = client_as(world, actor).get(f"/api/v1/material-requests/{request.pk}/donors/?for=pledge")

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    if not (may(actor, REQUEST, Action.VIEW) and relation in IN_SCOPE):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    units = {d["unit"] for d in response.json()}
    allowed = set(Unit.objects.filter(path__startswith=world.tree.a1.path).values_list("pk", flat=True))
    assert units <= allowed
    assert bool(units) == may(actor, TRANSFER, Action.ADD)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_sending_to_several_units_succeeds_only_from_the_add_scope_and_a_refusal_writes_nothing(world, actor, relation):
    body = {
        "from_unit": world.units[relation].pk,
        "receivers": [{"to_unit": world.destination.pk, "lines": [{"item": world.mask.pk, "quantity": "1"}]}],
    }
    before = state()

    response = client_as(world, actor).post("/api/v1/transfers/distribute/", body, format="json")

    if actor == ANONYMOUS:
        expected = 401
    elif not may(actor, TRANSFER, Action.ADD):
        expected = 403
    else:
        expected = 201 if relation in IN_SCOPE else 400
    assert response.status_code == expected, response.content
    if expected == 201:
        assert [t["to_unit"] for t in response.json()] == [world.destination.pk]
    else:
        assert state() == before
    assert MaterialRequest.objects.count() == len(RELATIONS)
