"""Permission matrix of every stock endpoint, pages and API: role × where the object sits.

Each role is held on A1 ("own"); stock, movements and stock-takes sit in A1, its child A1S, its
sibling A2 and its parent A (``lianfang.testing.SCOPE_RELATIONS``), and more in B1 to catch leaks.
Expectations come from ``ROLE_PERMISSIONS``: allowed and in scope → success; visible but not
allowed → 403; not visible → 404; a collection write by a role that may do it nowhere → 403, and
one naming a unit outside the add scope → 400 (API) or a form error (page). The catalogue is
group-wide: whoever holds the action somewhere may use it. On any refusal nothing changed.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.models import ObjectChange
from lianfang.core.scoping import Action
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item, Movement, Stock, StockTake, StockTakeLine
from lianfang.materials.services import stock
from lianfang.materials.tests.stock_helpers import items, put
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, UserFactory, make_tree, user_with_role

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
ITEM, STOCK, MOVEMENT, STOCKTAKE = "materials.item", "materials.stock", "materials.movement", "materials.stocktake"
TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


class World:
    def __init__(self, actor: str):
        self.tree = make_tree()
        self.items = items()
        self.masks = self.items["surgical-mask"]
        self.units = {rel: getattr(self.tree, attr) for rel, attr in SCOPE_RELATIONS.items()}
        robot = UserFactory(username="set-up", is_superuser=True)
        self.movements, self.stocks, self.stocktakes = {}, {}, {}
        for rel, unit in {**self.units, "outside": self.tree.b1}.items():
            self.movements[rel] = put(unit, self.masks, MovementKind.PURCHASE, 100, date=YESTERDAY)
            self.stocks[rel] = Stock.objects.get(unit=unit, item=self.masks)
            self.stocktakes[rel] = stock.stocktake_record(
                actor=robot, unit=unit, date=YESTERDAY, counts={self.masks: 100}
            )
        self.role = actor if actor in ALL_ROLES else None
        self.user = None if actor == ANONYMOUS else user_with_role(self.role, self.tree.a1, f"actor-{actor}")

    def may(self, model: str, action: str, rel: str) -> bool:
        return self.role is not None and role_allows(self.role, model, action) and rel in IN_SCOPE

    def may_anywhere(self, model: str, action: str) -> bool:
        return self.role is not None and role_allows(self.role, model, action)

    def api(self) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            client.force_authenticate(self.user)
        return client

    def web(self) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            client.force_login(self.user)
        return client


def state():
    """Everything a refused request must leave as it was."""
    return (
        list(Item.objects.order_by("pk").values()),
        list(Stock.objects.order_by("pk").values()),
        list(Movement.objects.order_by("pk").values_list("pk", flat=True)),
        list(StockTake.objects.order_by("pk").values_list("pk", flat=True)),
        list(StockTakeLine.objects.order_by("pk").values_list("pk", flat=True)),
        ObjectChange.objects.count(),
    )


def expect_write(world: World, model: str, action: str, rel: str, ok: int, *, collection: bool = False) -> set[int]:
    if world.user is None:
        return {401, 403}
    if world.may(model, action, rel):
        return {ok}
    if collection:
        return {400} if world.may_anywhere(model, action) else {403}
    return {403} if world.may(model, Action.VIEW, rel) else {404}


def expect_page(world: World, model: str, action: str) -> set[int]:
    if world.user is None:
        return {302}  # to the login page
    return {200} if world.may_anywhere(model, action) else {403}


def check(response, expected: set[int], before):
    assert response.status_code in expected, response.content[:300]
    if response.status_code >= 400 or (response.status_code == 200 and response.request["REQUEST_METHOD"] == "POST"):
        assert state() == before


def visible(world: World, model: str) -> set[str]:
    return {rel for rel in RELATIONS if world.may(model, Action.VIEW, rel)}


ITEM_DATA = {
    "code": "kid-mask",
    "name": "儿童口罩",
    "category": "masks",
    "measure": "piece",
    "pack_size": 50,
    "reorder_threshold": "100",
    "target_days": 14,
    "daily_use_per_person": "0",
    "sort": 15,
    "is_active": True,
}


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "model", "action"),
    [
        ("materials:items", ITEM, Action.VIEW),
        ("materials:item-add", ITEM, Action.ADD),
        ("materials:stock", STOCK, Action.VIEW),
        ("materials:stock-export", STOCK, Action.EXPORT),
        ("materials:movements", MOVEMENT, Action.VIEW),
        ("materials:movements-export", MOVEMENT, Action.EXPORT),
        ("materials:movement-add", MOVEMENT, Action.ADD),
        ("materials:stocktakes", STOCKTAKE, Action.VIEW),
    ],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_opens_for_exactly_the_roles_that_hold_the_action(actor, name, model, action):
    world = World(actor)
    response = world.web().get(reverse(name))
    assert response.status_code in expect_page(world, model, action)


@pytest.mark.parametrize("actor", ACTORS)
def test_page_stock_report_lists_exactly_the_stock_in_scope(actor):
    world = World(actor)
    response = world.web().get(reverse("materials:stock"))
    if response.status_code != 200:
        return
    units = {row.unit.pk for row in response.context["page"].object_list}
    assert units == {world.units[rel].pk for rel in visible(world, STOCK)}


@pytest.mark.parametrize("actor", ACTORS)
def test_page_movements_lists_exactly_the_movements_in_scope(actor):
    world = World(actor)
    response = world.web().get(reverse("materials:movements"))
    if response.status_code != 200:
        return
    ids = {m.pk for m in response.context["page"].object_list if m.kind == MovementKind.PURCHASE}
    assert ids == {world.movements[rel].pk for rel in visible(world, MOVEMENT)}


@pytest.mark.parametrize("actor", ACTORS)
def test_page_stocktakes_lists_exactly_the_stocktakes_in_scope(actor):
    world = World(actor)
    response = world.web().get(reverse("materials:stocktakes"))
    if response.status_code != 200:
        return
    ids = {st.pk for st in response.context["page"].object_list}
    assert ids == {world.stocktakes[rel].pk for rel in visible(world, STOCKTAKE)}


@pytest.mark.parametrize("actor", ACTORS)
def test_page_item_add_and_edit(actor):
    world = World(actor)
    before = state()
    response = world.web().post(reverse("materials:item-add"), ITEM_DATA)
    check(response, {302} if world.user is None or world.may_anywhere(ITEM, Action.ADD) else {403}, before)
    before = state()
    response = world.web().post(
        reverse("materials:item-edit", args=[world.masks.pk]),
        {**ITEM_DATA, "code": world.masks.code, "reorder_threshold": "600"},
    )
    if world.user is None:
        assert response.status_code == 302 and state() == before
    else:
        check(response, {302} if world.may_anywhere(ITEM, Action.CHANGE) else {403}, before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_ledger(actor, rel):
    world = World(actor)
    response = world.web().get(reverse("materials:ledger", args=[world.units[rel].pk, world.masks.pk]))
    if world.user is None:
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if world.may(MOVEMENT, Action.VIEW, rel) else 404)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_stocktake_detail(actor, rel):
    world = World(actor)
    response = world.web().get(reverse("materials:stocktake-detail", args=[world.stocktakes[rel].pk]))
    if world.user is None:
        assert response.status_code == 302
    else:
        assert response.status_code == (200 if world.may(STOCKTAKE, Action.VIEW, rel) else 404)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_stock_levels(actor, rel):
    world = World(actor)
    before = state()
    response = world.web().post(
        reverse("materials:stock-levels", args=[world.units[rel].pk, world.masks.pk]), {"reorder_threshold": "700"}
    )
    if world.user is None:
        assert response.status_code == 302 and state() == before
        return
    check(
        response,
        {302} if world.may(STOCK, Action.CHANGE, rel) else ({403} if world.may(STOCK, Action.VIEW, rel) else {404}),
        before,
    )


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_movement_add(actor, rel):
    world = World(actor)
    before = state()
    response = world.web().post(
        reverse("materials:movement-add"),
        {
            "kind": "issue",
            "unit": world.units[rel].pk,
            "item": world.masks.pk,
            "quantity": "5",
            "date": TODAY.isoformat(),
        },
    )
    if world.user is None:
        assert response.status_code == 302 and state() == before
        return
    if not world.may_anywhere(MOVEMENT, Action.ADD):
        check(response, {403}, before)
    elif world.may(MOVEMENT, Action.ADD, rel):
        assert response.status_code == 302
    else:  # a unit outside the add scope is not among the choices
        check(response, {200}, before)
        assert "unit" in response.context["form"].errors


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_stocktake_add(actor, rel):
    world = World(actor)
    before = state()
    unit = world.units[rel]
    response = world.web().post(
        reverse("materials:stocktake-add") + f"?unit={unit.pk}",
        {"unit": unit.pk, "date": TODAY.isoformat(), f"count_{world.masks.pk}": "90"},
    )
    if world.user is None:
        assert response.status_code == 302 and state() == before
        return
    if not world.may_anywhere(STOCKTAKE, Action.ADD):
        expected = {403}
    elif world.may(STOCKTAKE, Action.ADD, rel):
        expected = {302}
    else:
        expected = {403} if world.may(STOCKTAKE, Action.VIEW, rel) else {404}
    check(response, expected, before)


# --- API ----------------------------------------------------------------------------------------


def api_list_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("actor", ACTORS)
def test_api_items(actor):
    world = World(actor)
    response = world.api().get(reverse("api:materialitem-list"))
    if world.user is None:
        assert response.status_code in {401, 403}
        return
    assert response.status_code == (200 if world.may_anywhere(ITEM, Action.VIEW) else 403)

    before = state()
    response = world.api().post(reverse("api:materialitem-list"), ITEM_DATA, format="json")
    check(response, {201} if world.may_anywhere(ITEM, Action.ADD) else {403}, before)
    before = state()
    response = world.api().patch(
        reverse("api:materialitem-detail", args=[world.masks.pk]), {"reorder_threshold": "600"}, format="json"
    )
    check(response, {200} if world.may_anywhere(ITEM, Action.CHANGE) else {403}, before)


@pytest.mark.parametrize(
    ("basename", "model", "objects"),
    [("stock", STOCK, "stocks"), ("movement", MOVEMENT, "movements"), ("stocktake", STOCKTAKE, "stocktakes")],
)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_list_holds_exactly_what_the_role_may_view(actor, basename, model, objects):
    world = World(actor)
    response = world.api().get(reverse(f"api:{basename}-list"), {"page_size": 500})
    if world.user is None:
        assert response.status_code in {401, 403}
        return
    assert response.status_code == 200
    ids = api_list_ids(response)
    if basename == "movement":
        ids = {row["id"] for row in response.json()["results"] if row["kind"] == "purchase"}
    assert ids == {getattr(world, objects)[rel].pk for rel in visible(world, model)}


@pytest.mark.parametrize(
    ("basename", "model", "objects"),
    [("stock", STOCK, "stocks"), ("movement", MOVEMENT, "movements"), ("stocktake", STOCKTAKE, "stocktakes")],
)
@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_detail(actor, rel, basename, model, objects):
    world = World(actor)
    response = world.api().get(reverse(f"api:{basename}-detail", args=[getattr(world, objects)[rel].pk]))
    expected = {401, 403} if world.user is None else {200 if world.may(model, Action.VIEW, rel) else 404}
    assert response.status_code in expected


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_stock_levels(actor, rel):
    world = World(actor)
    before = state()
    response = world.api().patch(
        reverse("api:stock-detail", args=[world.stocks[rel].pk]), {"reorder_threshold": "700"}, format="json"
    )
    check(response, expect_write(world, STOCK, Action.CHANGE, rel, 200), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_movement_create(actor, rel):
    world = World(actor)
    before = state()
    response = world.api().post(
        reverse("api:movement-list"),
        {"unit": world.units[rel].pk, "item": world.masks.pk, "kind": "issue", "quantity": 5},
        format="json",
    )
    check(response, expect_write(world, MOVEMENT, Action.ADD, rel, 201, collection=True), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_stocktake_create(actor, rel):
    world = World(actor)
    before = state()
    response = world.api().post(
        reverse("api:stocktake-list"),
        {"unit": world.units[rel].pk, "lines": [{"item": world.masks.pk, "counted": 90}]},
        format="json",
    )
    check(response, expect_write(world, STOCKTAKE, Action.ADD, rel, 201, collection=True), before)
