"""Permission matrix of every request, offer, transfer and proposal endpoint, pages and API:
every role (and anonymous, and no role) held on A1 × where the object sits.

Transfers sit on three sides of A1: A1 sends (``sender``: A1 → B1), A1 receives (``receiver``:
B1 → A1), or neither (``unrelated``: A2 → B1). Requests, offers and proposals sit in A1's own unit,
its child A1S and its sibling A2. Expectations come from ``ROLE_PERMISSIONS``: allowed → success;
visible but not allowed → 403 with the reason; not visible → 404; and on any refusal nothing changed.
Approval needs the office above *both* units, which no role on A1 is for a transfer with B1.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.materials.models import MaterialRequest, Offer, RebalanceProposal, Transfer
from lianfang.materials.services import transfers as services
from lianfang.materials.tests.transfer_helpers import items, state, stock
from lianfang.org.choices import Role
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, add_unit, make_tree, user_with_role

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
SIDES = ["sender", "receiver", "unrelated"]
PLACES = ["own", "child", "sibling"]
TRANSFER, REQUEST, OFFER, PROPOSAL = (
    "materials.transfer",
    "materials.materialrequest",
    "materials.offer",
    "materials.rebalanceproposal",
)


class World:
    def __init__(self, actor: str):
        self.tree = t = make_tree()
        self.catalogue = items()
        self.mask = self.catalogue["surgical-mask"]
        for unit in (t.a1, t.a1s, t.a2, t.b1):
            stock(unit, self.mask, 1000)
        self.office = user_with_role(Role.GROUP_ADMIN, t.group, "office-matrix")
        self.role = actor if actor in ALL_ROLES else None
        self.user = None if actor == ANONYMOUS else user_with_role(self.role, t.a1, f"actor-{actor}")
        self.ends = {"sender": (t.a1, t.b1), "receiver": (t.b1, t.a1), "unrelated": (t.a2, t.b1)}
        self.places = {"own": t.a1, "child": t.a1s, "sibling": t.a2}

    def transfer(self, side: str, *, shipped: bool = False, approved: bool = True) -> Transfer:
        from_unit, to_unit = self.ends[side]
        transfer = services._create_transfer(
            actor=self.office,
            from_unit=from_unit,
            to_unit=to_unit,
            lines=[services.LineInput(self.mask, 10)],
            approved=approved,
            notify=False,
        )
        if shipped:
            services.transfer_ship(actor=self.office, transfer=transfer)
        return transfer

    def request(self, place: str) -> MaterialRequest:
        return services.request_create(
            actor=self.office, unit=self.places[place], item=self.mask, quantity=10, reason="r"
        )

    def offer(self, place: str) -> Offer:
        return services.offer_create(actor=self.office, unit=self.places[place], item=self.mask, quantity=10)

    def proposal(self, place: str) -> RebalanceProposal:
        scope = self.places[place]
        scope.refresh_from_db()
        leaf = add_unit(scope, f"P-{place}-{RebalanceProposal.objects.count()}", "叶子")
        stock(leaf, self.mask, 100)
        line = {"id": 1, "from": leaf.pk, "to": scope.pk, "item": self.mask.pk, "quantity": "5", "dropped": False}
        return RebalanceProposal.objects.create(
            scope_unit=scope, max_shipments=5, summary={"lines": [line], "levels": []}, created_by=self.office
        )

    def allows(self, label: str, action: str) -> bool:
        return self.role is not None and role_allows(self.role, label, action)

    def web(self) -> Client:
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            c.force_login(self.user)
        return c

    def api(self) -> APIClient:
        c = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if self.user is not None:
            c.force_authenticate(self.user)
        return c


def expected(world: World, *, visible: bool, allowed: bool, ok: int, web: bool) -> set[int]:
    if world.user is None:
        return {302} if web else {401, 403}
    if allowed:
        return {ok}
    return {403} if visible else {404}


def check(response, codes: set[int], before, *, web: bool) -> None:
    assert response.status_code in codes, response.content[:400]
    refused = response.status_code >= 400 or (codes == {302} and "/login" in response.get("Location", ""))
    if refused:
        assert state() == before, "a refused request changed something"
    if response.status_code == 403:
        # The refusal says why (a page with the reason, or the API's detail).
        body = response.content.decode()
        assert "You may not" in body or "Only" in body or "detail" in body


# --- transfers ----------------------------------------------------------------------------------


def _transfer_visible(world: World, side: str) -> bool:
    return world.allows(TRANSFER, Action.VIEW) and side != "unrelated"


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_transfer_is_seen_by_either_side_and_by_nobody_else(actor, side):
    world = World(actor)
    transfer = world.transfer(side)
    visible = _transfer_visible(world, side)
    before = state()
    page = world.web().get(reverse("materials:transfer-detail", args=[transfer.pk]))
    check(page, expected(world, visible=visible, allowed=visible, ok=200, web=True), before, web=True)
    note = world.web().get(reverse("materials:transfer-note", args=[transfer.pk]))
    check(note, expected(world, visible=visible, allowed=visible, ok=200, web=True), before, web=True)
    api = world.api().get(reverse("api:transfer-detail", args=[transfer.pk]))
    check(api, expected(world, visible=visible, allowed=visible, ok=200, web=False), before, web=False)
    listed = world.api().get(reverse("api:transfer-list"))
    if world.user is not None:
        ids = {row["id"] for row in listed.json()["results"]} if listed.status_code == 200 else set()
        assert (transfer.pk in ids) == visible


# Which side may take each step (role on A1, transfer between A1 and B1 or not touching A1).
STEPS = {
    "approve": (False, lambda side: False),
    "ship": (False, lambda side: side == "sender"),
    "receive": (True, lambda side: side == "receiver"),
    "reject": (False, lambda side: side == "sender"),
    "cancel": (False, lambda side: side == "receiver"),
}


def _step_body(step: str, transfer: Transfer, *, web: bool) -> dict:
    line = transfer.lines.get()
    if step == "receive":
        return {f"receive_{line.pk}": "10"} if web else {"quantities": {str(line.pk): "10"}}
    if step == "ship" and web:
        return {f"ship_{line.pk}": "10"}
    if step in ("reject", "cancel"):
        return {"reason": "不需要了"}
    return {}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_transfer_step_succeeds_only_for_the_side_that_takes_it(actor, side, step):
    shipped, who = STEPS[step]
    world = World(actor)
    visible = _transfer_visible(world, side)
    allowed = visible and who(side) and world.allows(TRANSFER, Action.CHANGE)
    for web in (True, False):
        transfer = world.transfer(side, shipped=shipped, approved=step != "approve")
        before = state()
        if web:
            response = world.web().post(
                reverse("materials:transfer-action", args=[transfer.pk, step]), _step_body(step, transfer, web=True)
            )
        else:
            response = world.api().post(
                reverse(f"api:transfer-{step}", args=[transfer.pk]),
                _step_body(step, transfer, web=False),
                format="json",
            )
        check(
            response,
            expected(world, visible=visible, allowed=allowed, ok=302 if web else 200, web=web),
            before,
            web=web,
        )


def test_the_office_above_both_units_approves():
    world = World(Role.GROUP_ADMIN)
    transfer = world.transfer("sender", approved=False)
    office = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    office.force_authenticate(world.office)
    response = office.post(reverse("api:transfer-approve", args=[transfer.pk]))
    assert response.status_code == 200 and response.json()["status"] == "approved"


def test_a_refused_approval_says_who_can_approve():
    world = World(Role.GROUP_ADMIN)  # the office of A1's subtree, not above B1
    transfer = world.transfer("sender", approved=False)
    before = state()
    response = world.api().post(reverse("api:transfer-approve", args=[transfer.pk]))
    assert response.status_code == 403
    assert "Only the group prevention office above" in response.json()["detail"]
    page = world.web().post(reverse("materials:transfer-action", args=[transfer.pk, "approve"]))
    assert page.status_code == 403 and "Only the group prevention office above" in page.content.decode()
    assert state() == before


@pytest.mark.parametrize("actor", ACTORS)
def test_proposing_a_transfer_from_a_unit_needs_add_there(actor):
    world = World(actor)
    t = world.tree
    allowed = world.allows(TRANSFER, Action.ADD)
    before = state()
    body = {"from_unit": t.a1.pk, "to_unit": t.a1s.pk, "lines": [{"item": world.mask.pk, "quantity": "5"}]}
    response = world.api().post(reverse("api:transfer-list"), body, format="json")
    if world.user is None:
        assert response.status_code in (401, 403)
    else:
        assert response.status_code == (201 if allowed else 403), response.content
    if response.status_code != 201:
        assert state() == before
    # Out of scope as the sending unit: "does not exist", nothing written.
    if allowed:
        before = state()
        body["from_unit"] = t.b1.pk
        response = world.api().post(reverse("api:transfer-list"), body, format="json")
        assert response.status_code == 400 and state() == before


# --- requests, offers, proposals ----------------------------------------------------------------


def _in_place(place: str) -> bool:
    return place in ("own", "child")


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_request_is_seen_and_cancelled_only_within_scope(actor, place):
    world = World(actor)
    visible = world.allows(REQUEST, Action.VIEW) and _in_place(place)
    allowed = visible and world.allows(REQUEST, Action.CHANGE)
    req = world.request(place)
    before = state()
    page = world.web().get(reverse("materials:request-detail", args=[req.pk]))
    check(page, expected(world, visible=visible, allowed=visible, ok=200, web=True), before, web=True)
    api = world.api().get(reverse("api:materialrequest-detail", args=[req.pk]))
    check(api, expected(world, visible=visible, allowed=visible, ok=200, web=False), before, web=False)
    response = world.web().post(reverse("materials:request-action", args=[req.pk, "cancel"]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=302, web=True), before, web=True)
    req2 = world.request(place)
    before = state()
    response = world.api().post(reverse("api:materialrequest-cancel", args=[req2.pk]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=200, web=False), before, web=False)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("actor", ACTORS)
def test_matching_a_request_is_for_the_office_above_both_units(actor, place):
    world = World(actor)
    visible = world.allows(REQUEST, Action.VIEW) and _in_place(place)
    # From A1S to the request's unit: a role on A1 covers both only for requests in A1's subtree.
    donor = world.tree.a1s if place != "child" else world.tree.a1
    allowed = visible and world.allows(TRANSFER, Action.APPROVE)
    req = world.request(place)
    before = state()
    response = world.api().post(
        reverse("api:materialrequest-match", args=[req.pk]), {"from_unit": donor.pk, "quantity": "5"}, format="json"
    )
    check(response, expected(world, visible=visible, allowed=allowed, ok=201, web=False), before, web=False)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("actor", ACTORS)
def test_an_offer_is_withdrawn_only_within_scope(actor, place):
    world = World(actor)
    visible = world.allows(OFFER, Action.VIEW) and _in_place(place)
    allowed = visible and world.allows(OFFER, Action.CHANGE)
    offer = world.offer(place)
    before = state()
    response = world.web().post(reverse("materials:offer-withdraw", args=[offer.pk]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=302, web=True), before, web=True)
    offer2 = world.offer(place)
    before = state()
    response = world.api().post(reverse("api:offer-withdraw", args=[offer2.pk]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=200, web=False), before, web=False)


@pytest.mark.parametrize("place", ["own", "sibling"])
@pytest.mark.parametrize("actor", ACTORS)
def test_a_proposal_is_accepted_only_by_the_office_of_its_subtree(actor, place):
    world = World(actor)
    visible = world.allows(PROPOSAL, Action.VIEW) and _in_place(place)
    allowed = visible and world.allows(PROPOSAL, Action.APPROVE) and world.allows(TRANSFER, Action.APPROVE)
    proposal = world.proposal(place)
    before = state()
    page = world.web().get(reverse("materials:rebalance-detail", args=[proposal.pk]))
    check(page, expected(world, visible=visible, allowed=visible, ok=200, web=True), before, web=True)
    response = world.web().post(reverse("materials:rebalance-action", args=[proposal.pk, "accept"]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=302, web=True), before, web=True)
    proposal2 = world.proposal(place)
    before = state()
    response = world.api().post(reverse("api:rebalanceproposal-accept", args=[proposal2.pk]))
    check(response, expected(world, visible=visible, allowed=allowed, ok=200, web=False), before, web=False)


LISTS = [
    ("materials:request-list", REQUEST),
    ("materials:offer-list", OFFER),
    ("materials:transfer-list", TRANSFER),
    ("materials:transfer-in-transit", TRANSFER),
    ("materials:flows", TRANSFER),
    ("materials:rebalance-list", PROPOSAL),
    ("materials:request-create", REQUEST),
    ("materials:offer-create", OFFER),
    ("materials:transfer-create", TRANSFER),
    ("materials:rebalance-create", PROPOSAL),
    ("materials:transfer-export", TRANSFER),
]
LIST_ACTIONS = {
    "materials:request-create": Action.ADD,
    "materials:offer-create": Action.ADD,
    "materials:transfer-create": Action.ADD,
    "materials:rebalance-create": Action.ADD,
    "materials:transfer-export": Action.EXPORT,
}


@pytest.mark.parametrize(("name", "label"), LISTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_page_opens_only_for_a_role_that_may_use_it(actor, name, label):
    world = World(actor)
    response = world.web().get(reverse(name))
    if world.user is None:
        assert response.status_code == 302
        return
    allowed = world.allows(label, LIST_ACTIONS.get(name, Action.VIEW))
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("actor", ACTORS)
def test_the_transfer_list_holds_exactly_the_transfers_of_either_side(actor):
    world = World(actor)
    shown = {side: world.transfer(side) for side in SIDES}
    response = world.web().get(reverse("materials:transfer-list"))
    if world.user is None or not world.allows(TRANSFER, Action.VIEW):
        return
    import re

    rows = {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}
    assert rows == {shown["sender"].pk, shown["receiver"].pk}
