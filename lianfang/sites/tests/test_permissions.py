"""The permission matrix of disinfection, pages and API: every role (held on A1) × where the site sits (A1
itself, its child A1S, its sibling A2, its parent A) × anonymous and no role. What a role may do comes
from ``lianfang.org.roles``, so the matrix follows the table:

* a page or an answer about a site's rounds, plans or records is 200 in scope and 404 out of it;
* a write is refused with 403 when the site is visible but the action is not allowed, 404 when the
  site is not visible, and on any refusal nothing is written;
* a list holds exactly the rows of A1's subtree the role may view.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.roles import role_allows
from lianfang.sites import services
from lianfang.sites.defaults import ensure_default_disinfectants
from lianfang.sites.models import Disinfectant, DisinfectionLog, DisinfectionPlan, DisinfectionSlot
from lianfang.sites.tests.conftest import DAY, T0, Clock, local
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, make_tree, user_with_role

pytestmark = pytest.mark.django_db

ANONYMOUS, NO_ROLE = "anonymous", "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
PLAN, SLOT, LOG = "sites.disinfectionplan", "sites.disinfectionslot", "sites.disinfectionlog"


def may(actor: str, label: str, action: str) -> bool:
    return actor in ALL_ROLES and role_allows(actor, label, action)


def may_here(actor: str, label: str, action: str, relation: str) -> bool:
    return may(actor, label, action) and relation in IN_SCOPE


def expected(actor: str, label: str, action: str, relation: str, ok: int, seen_as: str = "") -> int:
    if not may_here(actor, seen_as or label, Action.VIEW, relation):
        return 404
    return ok if may_here(actor, label, action, relation) else 403


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A plan at each relation's unit (two rounds today), the first round of each logged at 09:00–09:40,
    and every role held on A1 by its own user. Built once for the module, in an outer transaction
    rolled back at the end; each test runs in a savepoint (at 12:00 on the plans' day)."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        clock = Clock(T0)
        patch.setattr(timezone, "now", clock)
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build(clock)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _build(clock) -> dict:
    tree = make_tree()
    ensure_default_disinfectants()
    chlorine = Disinfectant.objects.get(name="含氯消毒剂", concentration="500 mg/L")
    root = user_with_role(Role.GROUP_ADMIN, tree.group, username="matrix-office")
    plans, logs = {}, {}
    for relation, name in SCOPE_RELATIONS.items():
        unit = getattr(tree, name)
        clock.at("08:00", DAY)
        plans[relation] = services.plan_create(
            actor=root, site=unit, area="office", agent=chlorine, times=["10:00", "16:00"]
        )
        clock.at("12:00", DAY)
        first = DisinfectionSlot.objects.filter(plan=plans[relation], day=DAY).order_by("due_at").first()
        logs[relation] = services.log_record(
            actor=root, slot=first, started_at=local(DAY, "09:00"), ended_at=local(DAY, "09:40")
        )
    users = {NO_ROLE: user_with_role(None, None, username="matrix-nobody").pk}
    for role in ALL_ROLES:
        users[role] = user_with_role(role, tree.a1, username=f"matrix-{role}").pk
    return {
        "tree": tree,
        "plans": plans,
        "logs": logs,
        "users": users,
        "alcohol": Disinfectant.objects.get(concentration="75%"),
    }


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    """Every test at 12:00 on the plans' day: the 10:00 rounds are logged, the 16:00 ones still to do."""
    monkeypatch.setattr(timezone, "now", Clock(local(DAY, "12:00")))


def page_client(world, actor) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world["users"][actor]))
    return client


def api_client(world, actor) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_authenticate(get_user_model().objects.get(pk=world["users"][actor]))
    return client


def unit_of(world, relation):
    return getattr(world["tree"], SCOPE_RELATIONS[relation])


def open_round(world, relation) -> DisinfectionSlot:
    return (
        DisinfectionSlot.objects.filter(plan=world["plans"][relation], day=DAY, log__isnull=True)
        .order_by("due_at")
        .first()
    )


def state() -> tuple:
    return (
        DisinfectionLog.objects.count(),
        DisinfectionSlot.objects.count(),
        sorted(DisinfectionPlan.objects.values_list("pk", "times", "is_active")),
    )


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login/" in response["Location"]


# --- pages ------------------------------------------------------------------------------------------------


PAGES = {
    # name: (url, model label, action, the model whose view right makes it visible)
    "site day": (lambda w, r: reverse("sites:site-day", args=[unit_of(w, r).pk]), SLOT, Action.VIEW, ""),
    "record sheet": (lambda w, r: reverse("sites:site-print", args=[unit_of(w, r).pk]), SLOT, Action.VIEW, ""),
    "plan edit": (lambda w, r: reverse("sites:plan-edit", args=[w["plans"][r].pk]), PLAN, Action.CHANGE, ""),
    "photo": (lambda w, r: reverse("sites:log-photo", args=[w["logs"][r].pk]), LOG, Action.VIEW, ""),
}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_about_a_site_opens_only_inside_the_scope(world, name, actor, relation):
    url, label, action, seen_as = PAGES[name]

    response = page_client(world, actor).get(url(world, relation))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    ok = expected(actor, label, action, relation, ok=200, seen_as=seen_as)
    if name == "photo" and ok == 200:
        ok = 404  # the world's records have no photo: found, but nothing to show
    assert response.status_code == ok
    if ok != 200:
        assert unit_of(world, relation).name not in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
def test_the_plans_list_shows_exactly_the_plans_the_role_may_view(world, actor):
    response = page_client(world, actor).get(reverse("sites:plans"))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    if not may(actor, PLAN, Action.VIEW):
        assert response.status_code == 403
        return
    shown = {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}
    assert shown == {world["plans"][r].pk for r in IN_SCOPE}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_overview_counts_exactly_the_rounds_the_role_may_view(world, actor):
    response = page_client(world, actor).get(reverse("sites:disinfection"), {"date": "2026-12-07"})

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    if not may(actor, SLOT, Action.VIEW):
        assert response.status_code == 403
        return
    assert 'data-total="due">4<' in response.content.decode()  # two rounds at A1, two at A1S


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_starting_a_round_from_the_page_needs_the_right_to_log_at_the_site(world, actor, relation):
    slot = open_round(world, relation)
    before = state()

    response = page_client(world, actor).post(reverse("sites:round-start", args=[slot.pk]))

    if actor == ANONYMOUS:
        assert is_login_redirect(response) and state() == before
        return
    ok = expected(actor, LOG, Action.ADD, relation, ok=302, seen_as=SLOT)
    assert response.status_code == ok
    assert (state() != before) == (ok == 302)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_opening_a_terminal_disinfection_needs_the_right_to_add_rounds_at_the_site(world, actor, relation):
    before = state()

    response = page_client(world, actor).post(
        reverse("sites:terminal-open", args=[unit_of(world, relation).pk]),
        {"t-due_at": "2026-12-08T12:00", "t-note": "病例 BL-2026-0009 曾到"},
    )

    if actor == ANONYMOUS:
        assert is_login_redirect(response) and state() == before
        return
    ok = expected(actor, SLOT, Action.ADD, relation, ok=302)
    assert response.status_code == ok
    assert (state() != before) == (ok == 302)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_a_plan_is_changed_only_where_the_role_may_change_plans(world, actor, relation):
    plan = world["plans"][relation]
    before = state()
    data = {"kind": "disinfection", "area": "office", "agent": plan.agent_id, "frequency": "daily"}

    response = page_client(world, actor).post(
        reverse("sites:plan-edit", args=[plan.pk]), {**data, "times": "11:00", "is_active": "on"}
    )

    if actor == ANONYMOUS:
        assert is_login_redirect(response) and state() == before
        return
    ok = expected(actor, PLAN, Action.CHANGE, relation, ok=302)
    assert response.status_code == ok
    assert (state() != before) == (ok == 302)


# --- API --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("endpoint", "label", "per_relation"),
    [
        ("sites/disinfection-rounds", SLOT, 4),  # today's two and tomorrow's two
        ("sites/disinfection-plans", PLAN, 1),
        ("sites/disinfection-records", LOG, 1),
    ],
)
def test_an_api_list_holds_exactly_the_rows_the_role_may_view(world, actor, endpoint, label, per_relation):
    response = api_client(world, actor).get(f"/api/v1/{endpoint}/", {"page_size": 500})

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    assert response.json()["count"] == (per_relation * len(IN_SCOPE) if may(actor, label, Action.VIEW) else 0)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_an_api_round_is_found_and_started_only_where_the_role_may(world, actor, relation):
    slot = open_round(world, relation)
    api = api_client(world, actor)
    before = state()

    detail = api.get(f"/api/v1/sites/disinfection-rounds/{slot.pk}/")
    started = api.post(f"/api/v1/sites/disinfection-rounds/{slot.pk}/start/", {}, format="json")

    if actor == ANONYMOUS:
        assert (detail.status_code, started.status_code) == (401, 401)
        return
    assert detail.status_code == expected(actor, SLOT, Action.VIEW, relation, ok=200)
    ok = expected(actor, LOG, Action.ADD, relation, ok=200, seen_as=SLOT)
    assert started.status_code == ok, started.content
    assert (state() != before) == (ok == 200)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_an_api_plan_is_created_only_inside_the_add_scope(world, actor, relation):
    before = state()

    response = api_client(world, actor).post(
        "/api/v1/sites/disinfection-plans/",
        {
            "site": unit_of(world, relation).pk,
            "area": "lift",
            "agent": world["alcohol"].pk,
            "times": ["11:00"],
        },
        format="json",
    )

    if actor == ANONYMOUS:
        assert response.status_code == 401
    elif not may(actor, PLAN, Action.ADD):
        assert response.status_code == 403
    else:
        # A site outside the add scope is refused like a missing one: 400 on the field.
        assert response.status_code == (201 if relation in IN_SCOPE else 400)
    assert (state() != before) == (response.status_code == 201)
