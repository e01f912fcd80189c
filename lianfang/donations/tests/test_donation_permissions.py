"""Permission matrix of every donation, collection and fund endpoint, API and pages: every role
(with anonymous and no role) × where the object sits.

Each role is held on A1 ("own"); donations, collections, funds and spending sit in A1, its child
A1S, its sibling A2 and its parent A (``lianfang.testing.SCOPE_RELATIONS``), and more sit in B to
catch leaks. Expectations come from ``ROLE_PERMISSIONS``: allowed and in scope → success; visible
but not allowed → 403; not visible → 404; a collection write by a role that may do it nowhere →
403, naming a unit outside the scope → 400 (API) or a field error (page). One exception by design:
a collection organised by a unit *above* the role's unit (the parent) is visible and open to the
unit's gifts, since the unit takes part (``Collection.scope_self``). On any refusal nothing changed.

The world is built once per module; each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.core.scoping import Action
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.models import Collection, Contribution, Donation, DonationLine, Fund, Spending
from lianfang.donations.services import collections as collection_services
from lianfang.donations.services import donations as donation_services
from lianfang.donations.services import funds as fund_services
from lianfang.notify.models import Message
from lianfang.org.models import RoleAssignment
from lianfang.org.roles import role_allows
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, Tree, make_tree

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
DAY = datetime.date(2026, 3, 2)
DONATION, COLLECTION, FUND, SPENDING = (
    "donations.donation",
    "donations.collection",
    "donations.fund",
    "donations.spending",
)
# The unit whose gift is recorded to the collection of each relation: the collection's own unit,
# or for the parent's collection the role's own unit, which takes part in it.
GIVER = {"own": "a1", "child": "a1s", "sibling": "a2", "parent": "a1"}


@dataclass
class World:
    tree: Tree
    users: dict[str, int]
    donations: dict[str, Donation] = field(default_factory=dict)
    collections: dict[str, Collection] = field(default_factory=dict)
    funds: dict[str, Fund] = field(default_factory=dict)
    requested: dict[str, Spending] = field(default_factory=dict)
    approved: dict[str, Spending] = field(default_factory=dict)

    def unit(self, rel: str):
        return getattr(self.tree, SCOPE_RELATIONS[rel])


def build_world() -> World:
    tree = make_tree()
    user_model = get_user_model()

    def user(username: str, **extra):
        u = user_model(username=username, **extra)
        u.set_unusable_password()
        u.save()
        return u

    root = user("matrix-root", is_superuser=True)
    world = World(tree=tree, users={NO_ROLE: user(NO_ROLE).pk})
    for role in ALL_ROLES:
        holder = user(f"holder-{role}")
        RoleAssignment.objects.create(user=holder, unit=tree.a1, role=role)
        world.users[role] = holder.pk
    for rel in [*RELATIONS, "other"]:
        unit = tree.b1 if rel == "other" else world.unit(rel)
        world.donations[rel] = donation_services.donation_record(
            actor=root,
            direction=Direction.IN,
            kind=DonationKind.MONEY,
            unit=unit,
            counterparty="某企业",
            date=DAY,
            amount="1000",
        )
        collection = collection_services.collection_open(
            actor=root, organiser=unit, name=f"募捐 {rel}", recipient="红十字会", opened_on=DAY
        )
        collection_services.contribution_record(actor=root, collection=collection, unit=unit, amount="500", date=DAY)
        world.collections[rel] = collection
        fund = fund_services.fund_open(actor=root, unit=unit, name=f"专项资金 {rel}", budget="1000", opened_on=DAY)
        world.funds[rel] = fund
        world.requested[rel] = fund_services.spending_request(actor=root, fund=fund, purpose="消杀用品", amount="100")
        approved = fund_services.spending_request(actor=root, fund=fund, purpose="额温枪", amount="200")
        world.approved[rel] = fund_services.spending_approve(actor=root, spending=approved)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def state():
    """Every row a refused request must leave as it was."""
    return (
        list(Donation.objects.order_by("pk").values()),
        list(DonationLine.objects.order_by("pk").values()),
        list(Collection.objects.order_by("pk").values()),
        list(Contribution.objects.order_by("pk").values()),
        list(Fund.objects.order_by("pk").values()),
        list(Spending.objects.order_by("pk").values()),
        ObjectChange.objects.count(),
        Message.objects.count(),
        AuditEvent.objects.exclude(kind=AuditKind.LOGIN).count(),
    )


# --- expectations -------------------------------------------------------------------------------


def role_of(actor: str) -> str | None:
    return actor if actor in ALL_ROLES else None


def allows(actor: str, model: str, action: str) -> bool:
    role = role_of(actor)
    return role is not None and role_allows(role, model, action)


def may(actor: str, model: str, action: str, rel: str) -> bool:
    return allows(actor, model, action) and rel in IN_SCOPE


def sees_collection(actor: str, action: str, rel: str) -> bool:
    """View and add reach collections organised above the role's unit too (the unit takes part)."""
    return allows(actor, COLLECTION, action) and (rel in IN_SCOPE or rel == "parent")


def detail_write(actor: str, model: str, action: str, rel: str, ok: int) -> set[int]:
    if actor == ANONYMOUS:
        return {401, 403}
    if may(actor, model, action, rel):
        return {ok}
    return {403} if may(actor, model, Action.VIEW, rel) else {404}


def collection_write(actor: str, model: str, action: str, rel: str, ok: int) -> set[int]:
    if actor == ANONYMOUS:
        return {401, 403}
    if may(actor, model, action, rel):
        return {ok}
    return {400} if allows(actor, model, action) else {403}


# --- clients ------------------------------------------------------------------------------------


def api(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(get_user_model().objects.get(pk=world.users[actor]))
    return client


def web(world: World, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world.users[actor]))
    return client


def listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def check(response, expected: set[int], before) -> None:
    assert response.status_code in expected, (response.status_code, response.content[:400])
    if response.status_code >= 400:
        assert state() == before


def check_page_write(response, actor: str, ok: bool, refused: bool, before, *, field_error: bool = False) -> None:
    """A page's POST: anonymous → login; out of view scope → 404; refused → 403 (nothing written);
    a field error → 200 with the form (nothing written); done → 302."""
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        assert state() == before
        return
    if ok:
        assert response.status_code == 302, response.content[:400]
        return
    if field_error:
        assert response.status_code == 200 and b"field-errors" in response.content
    else:
        assert response.status_code == (403 if refused else 404), response.status_code
    assert state() == before


# === API ========================================================================================


@pytest.mark.parametrize("actor", ACTORS)
def test_api_lists_hold_exactly_what_the_role_may_view(world, actor):
    client = api(world, actor)
    for name, objects, visible in (
        ("api:donation-list", world.donations, lambda rel: may(actor, DONATION, Action.VIEW, rel)),
        ("api:collection-list", world.collections, lambda rel: sees_collection(actor, Action.VIEW, rel)),
        ("api:fund-list", world.funds, lambda rel: may(actor, FUND, Action.VIEW, rel)),
    ):
        response = client.get(reverse(name), {"page_size": 500})
        if actor == ANONYMOUS:
            assert response.status_code in {401, 403}
            continue
        ids = {row["id"] for row in response.json()["results"]}
        assert ids == {objects[rel].pk for rel in RELATIONS if visible(rel)}, name
    response = client.get(reverse("api:spending-list"), {"page_size": 500})
    if actor != ANONYMOUS:
        ids = {row["id"] for row in response.json()["results"]}
        expected = {
            s.pk
            for rel in RELATIONS
            if may(actor, SPENDING, Action.VIEW, rel)
            for s in (world.requested[rel], world.approved[rel])
        }
        assert ids == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_api_details_are_200_in_scope_and_404_outside(world, actor):
    client = api(world, actor)
    for rel in [*RELATIONS, "other"]:
        cases = [
            ("api:donation-detail", world.donations[rel].pk, may(actor, DONATION, Action.VIEW, rel)),
            ("api:collection-detail", world.collections[rel].pk, sees_collection(actor, Action.VIEW, rel)),
            ("api:fund-detail", world.funds[rel].pk, may(actor, FUND, Action.VIEW, rel)),
            ("api:spending-detail", world.requested[rel].pk, may(actor, SPENDING, Action.VIEW, rel)),
        ]
        for name, pk, visible in cases:
            response = client.get(reverse(name, args=[pk]))
            expected = {401, 403} if actor == ANONYMOUS else {200 if visible else 404}
            assert response.status_code in expected, (name, rel, response.status_code)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_donation_create(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:donation-list"),
        {
            "direction": "out",
            "kind": "money",
            "unit": world.unit(rel).pk,
            "counterparty": "方舱医院",
            "date": DAY.isoformat(),
            "amount": "88.80",
        },
        format="json",
    )
    check(response, collection_write(actor, DONATION, Action.ADD, rel, 201), before)
    if response.status_code == 201:
        assert response.json()["number"].startswith("JZ-2026-")


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_donation_cancel(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:donation-cancel", args=[world.donations[rel].pk]), {"reason": "录错"}, format="json"
    )
    check(response, detail_write(actor, DONATION, Action.CHANGE, rel, 200), before)
    if response.status_code == 403 and actor != ANONYMOUS:
        assert "materials keeper or the group prevention office" in response.json()["detail"]
    if response.status_code == 200:
        assert response.json()["is_cancelled"]


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_collection_open(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:collection-list"),
        {"organiser": world.unit(rel).pk, "name": "新募捐", "recipient": "红十字会", "opened_on": DAY.isoformat()},
        format="json",
    )
    check(response, collection_write(actor, COLLECTION, Action.ADD, rel, 201), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_collection_contribution(world, actor, rel):
    before = state()
    giver = getattr(world.tree, GIVER[rel])
    response = api(world, actor).post(
        reverse("api:collection-contributions", args=[world.collections[rel].pk]),
        {"unit": giver.pk, "amount": "120", "date": DAY.isoformat(), "donors": 4},
        format="json",
    )
    if actor == ANONYMOUS:
        expected = {401, 403}
    elif sees_collection(actor, Action.ADD, rel):
        expected = {201}
    else:
        expected = {403} if sees_collection(actor, Action.VIEW, rel) else {404}
    check(response, expected, before)
    if response.status_code == 403 and actor != ANONYMOUS:
        assert "its liaison or the group prevention office" in response.json()["detail"]


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_collection_pass_on(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:collection-pass-on", args=[world.collections[rel].pk]),
        {"amount": "100", "date": DAY.isoformat()},
        format="json",
    )
    if actor == ANONYMOUS:
        expected = {401, 403}
    elif may(actor, COLLECTION, Action.CHANGE, rel):
        expected = {201}
    else:
        expected = {403} if sees_collection(actor, Action.VIEW, rel) else {404}
    check(response, expected, before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_fund_open(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:fund-list"),
        {"unit": world.unit(rel).pk, "name": "新专项资金", "budget": "5000", "opened_on": DAY.isoformat()},
        format="json",
    )
    check(response, collection_write(actor, FUND, Action.ADD, rel, 201), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_fund_budget(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:fund-budget", args=[world.funds[rel].pk]), {"increase": "100", "reason": "追加"}, format="json"
    )
    check(response, detail_write(actor, FUND, Action.CHANGE, rel, 200), before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_spending_request(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:spending-list"),
        {"fund": world.funds[rel].pk, "purpose": "口罩", "amount": "50"},
        format="json",
    )
    if actor == ANONYMOUS:
        expected = {401, 403}
    elif not allows(actor, SPENDING, Action.ADD):
        expected = {403}
    elif not may(actor, FUND, Action.VIEW, rel):
        expected = {400}  # a fund outside the scope "does not exist"
    else:
        expected = {201} if may(actor, SPENDING, Action.ADD, rel) else {403}
    check(response, expected, before)


@pytest.mark.parametrize("verb", ["approve", "reject"])
@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_spending_decide(world, actor, rel, verb):
    before = state()
    response = api(world, actor).post(
        reverse(f"api:spending-{verb}", args=[world.requested[rel].pk]), {"note": "按规定"}, format="json"
    )
    check(response, detail_write(actor, SPENDING, Action.APPROVE, rel, 200), before)
    if response.status_code == 403 and actor != ANONYMOUS:
        assert "needs the approve right on" in response.json()["detail"]


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_api_spending_pay(world, actor, rel):
    before = state()
    response = api(world, actor).post(
        reverse("api:spending-pay", args=[world.approved[rel].pk]),
        {"voucher_no": "记-01", "paid_on": timezone.localdate().isoformat()},
        format="json",
    )
    check(response, detail_write(actor, SPENDING, Action.CHANGE, rel, 200), before)


# === Pages ======================================================================================


@pytest.mark.parametrize("actor", ACTORS)
def test_pages_list_exactly_what_the_role_may_view(world, actor):
    client = web(world, actor)
    pages = [
        ("materials:donation-list", DONATION, world.donations, lambda rel: may(actor, DONATION, Action.VIEW, rel)),
        (
            "materials:collection-list",
            COLLECTION,
            world.collections,
            lambda rel: sees_collection(actor, Action.VIEW, rel),
        ),
        ("materials:fund-list", FUND, world.funds, lambda rel: may(actor, FUND, Action.VIEW, rel)),
    ]
    for name, label, objects, visible in pages:
        response = client.get(reverse(name))
        if actor == ANONYMOUS:
            assert is_login_redirect(response)
            continue
        if not allows(actor, label, Action.VIEW):
            assert response.status_code == 403, name
            continue
        assert response.status_code == 200, name
        assert listed(response) == {objects[rel].pk for rel in RELATIONS if visible(rel)}, name
    response = client.get(reverse("materials:spending-list"))
    if actor != ANONYMOUS:
        if not allows(actor, SPENDING, Action.VIEW):
            assert response.status_code == 403
        else:
            expected = {
                s.pk
                for rel in RELATIONS
                if may(actor, SPENDING, Action.VIEW, rel)
                for s in (world.requested[rel], world.approved[rel])
            }
            assert listed(response) == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_pages_of_one_object_are_200_in_scope_and_404_outside(world, actor):
    client = web(world, actor)
    for rel in [*RELATIONS, "other"]:
        cases = [
            ("materials:donation-detail", world.donations[rel].pk, may(actor, DONATION, Action.VIEW, rel)),
            ("materials:donation-receipt", world.donations[rel].pk, may(actor, DONATION, Action.VIEW, rel)),
            ("materials:collection-detail", world.collections[rel].pk, sees_collection(actor, Action.VIEW, rel)),
            ("materials:fund-detail", world.funds[rel].pk, may(actor, FUND, Action.VIEW, rel)),
            ("materials:spending-detail", world.requested[rel].pk, may(actor, SPENDING, Action.VIEW, rel)),
        ]
        for name, pk, visible in cases:
            response = client.get(reverse(name, args=[pk]))
            if actor == ANONYMOUS:
                assert is_login_redirect(response)
            else:
                assert response.status_code == (200 if visible else 404), (name, rel, response.status_code)


@pytest.mark.parametrize("actor", ACTORS)
def test_exports_need_the_export_right(world, actor):
    client = web(world, actor)
    before = state()
    for rel in [*RELATIONS, "other"]:
        for name, pk, label, visible in (
            ("materials:collection-export", world.collections[rel].pk, COLLECTION, sees_collection(actor, "view", rel)),
            ("materials:fund-export", world.funds[rel].pk, FUND, may(actor, FUND, Action.VIEW, rel)),
        ):
            response = client.get(reverse(name, args=[pk]))
            if actor == ANONYMOUS:
                assert is_login_redirect(response)
            elif not visible:
                assert response.status_code == 404
            elif may(actor, label, Action.EXPORT, rel):
                assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
            else:
                assert response.status_code == 403 and b"data-reason" in response.content
    response = client.get(reverse("materials:donation-export"))
    if actor == ANONYMOUS:
        assert is_login_redirect(response)
    else:
        assert response.status_code == (200 if allows(actor, DONATION, Action.EXPORT) else 403)
    response = client.get(reverse("materials:donation-report-export"))
    if actor != ANONYMOUS:
        may_export = any(allows(actor, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND))
        assert response.status_code == (200 if may_export else 403)
    response = client.get(reverse("materials:donation-report"))
    if actor != ANONYMOUS:
        may_view = any(allows(actor, label, Action.VIEW) for label in (DONATION, COLLECTION, FUND))
        assert response.status_code == (200 if may_view else 403)
    if actor == ANONYMOUS or not any(allows(actor, label, Action.EXPORT) for label in (DONATION, COLLECTION, FUND)):
        assert state() == before


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_donation_create(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:donation-create"),
        {
            "direction": "in",
            "kind": "money",
            "unit": world.unit(rel).pk,
            "counterparty": "某企业",
            "date": DAY.isoformat(),
            "amount": "66",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )
    ok = may(actor, DONATION, Action.ADD, rel)
    field_error = not ok and allows(actor, DONATION, Action.ADD)
    check_page_write(response, actor, ok, refused=True, before=before, field_error=field_error)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_donation_cancel(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:donation-cancel", args=[world.donations[rel].pk]), {"reason": "录错"}
    )
    ok = may(actor, DONATION, Action.CHANGE, rel)
    check_page_write(response, actor, ok, refused=may(actor, DONATION, Action.VIEW, rel), before=before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_collection_create(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:collection-create"),
        {"organiser": world.unit(rel).pk, "name": "新募捐", "recipient": "红十字会", "opened_on": DAY.isoformat()},
    )
    ok = may(actor, COLLECTION, Action.ADD, rel)
    field_error = not ok and allows(actor, COLLECTION, Action.ADD)
    check_page_write(response, actor, ok, refused=True, before=before, field_error=field_error)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_collection_contribute(world, actor, rel):
    before = state()
    giver = getattr(world.tree, GIVER[rel])
    response = web(world, actor).post(
        reverse("materials:collection-contribute", args=[world.collections[rel].pk]),
        {"unit": giver.pk, "amount": "99", "date": DAY.isoformat(), "donors": "3"},
    )
    ok = sees_collection(actor, Action.ADD, rel)
    check_page_write(response, actor, ok, refused=sees_collection(actor, Action.VIEW, rel), before=before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_collection_pass_on(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:collection-pass-on", args=[world.collections[rel].pk]),
        {"amount": "100", "date": DAY.isoformat()},
    )
    ok = may(actor, COLLECTION, Action.CHANGE, rel)
    check_page_write(response, actor, ok, refused=sees_collection(actor, Action.VIEW, rel), before=before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_fund_create(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:fund-create"),
        {"unit": world.unit(rel).pk, "name": "新专项资金", "budget": "5000", "opened_on": DAY.isoformat()},
    )
    ok = may(actor, FUND, Action.ADD, rel)
    field_error = not ok and allows(actor, FUND, Action.ADD)
    check_page_write(response, actor, ok, refused=True, before=before, field_error=field_error)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_fund_budget(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:fund-budget", args=[world.funds[rel].pk]), {"increase": "100", "reason": "追加"}
    )
    ok = may(actor, FUND, Action.CHANGE, rel)
    check_page_write(response, actor, ok, refused=may(actor, FUND, Action.VIEW, rel), before=before)


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_fund_request(world, actor, rel):
    before = state()
    fund = world.funds[rel]
    response = web(world, actor).post(
        reverse("materials:fund-request", args=[fund.pk]), {"unit": fund.unit_id, "purpose": "口罩", "amount": "50"}
    )
    ok = may(actor, FUND, Action.VIEW, rel) and may(actor, SPENDING, Action.ADD, rel)
    check_page_write(response, actor, ok, refused=may(actor, FUND, Action.VIEW, rel), before=before)


@pytest.mark.parametrize("verb", ["approve", "reject"])
@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_spending_decide(world, actor, rel, verb):
    before = state()
    response = web(world, actor).post(
        reverse(f"materials:spending-{verb}", args=[world.requested[rel].pk]), {"note": "按规定"}
    )
    ok = may(actor, SPENDING, Action.APPROVE, rel)
    check_page_write(response, actor, ok, refused=may(actor, SPENDING, Action.VIEW, rel), before=before)
    if response.status_code == 403:
        assert b"needs the approve right on" in response.content


@pytest.mark.parametrize("rel", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_spending_pay(world, actor, rel):
    before = state()
    response = web(world, actor).post(
        reverse("materials:spending-pay", args=[world.approved[rel].pk]),
        {"voucher_no": "记-01", "paid_on": timezone.localdate().isoformat()},
    )
    ok = may(actor, SPENDING, Action.CHANGE, rel)
    check_page_write(response, actor, ok, refused=may(actor, SPENDING, Action.VIEW, rel), before=before)
