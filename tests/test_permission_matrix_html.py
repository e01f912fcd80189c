"""The HTML permission matrix: every page × every role × where the object sits.

Each role is held on ``tree.a1``; the objects sit in A1 (own), its child A1S, its sibling A2 and
its parent A (``lianfang.testing.SCOPE_RELATIONS``), and more sit in the other subsidiary and on
the group itself to catch leaks. What a role may do comes from ``lianfang.org.roles``, so the
matrix follows the table. For every cell:

* a list shows exactly the rows of A1's subtree that the role may view, and says how many;
* a page about one object is 200 in scope, 403 when the object is visible but the action is not
  allowed, and 404 (not 403) when the object is not visible, so nothing can be discovered;
* a form that names a unit outside the add scope is refused on the field (200, form error);
* an anonymous visitor is sent to the login page;
* on any refusal, no row of any table changed.

The world is built once per module and each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind, ObjectChange
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.org.roles import role_allows
from lianfang.outings.models import Outing
from lianfang.people.models import Person
from lianfang.testing import ALL_ROLES, IN_SCOPE
from tests.matrix_world import (
    ACTORS,
    ANONYMOUS,
    RELATIONS,
    TARGET_USER,
    World,
    db_state,
    module_world,
)

pytestmark = pytest.mark.django_db


# --- The world ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    yield from module_world(django_db_blocker)


def client_as(world: World, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world.users[actor]))
    return client


def listed(response, attribute: str = "data-row") -> set[int]:
    return {int(pk) for pk in re.findall(rf'{attribute}="(\d+)"', response.content.decode())}


def shown_total(response) -> int:
    match = re.search(r'data-total="(\d+)"', response.content.decode())
    assert match, "the page does not say how many rows it lists"
    return int(match.group(1))


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Expectations from ROLE_PERMISSIONS ---------------------------------------------------------


def may(actor: str, label: str, action: str) -> bool:
    """Does the actor's role (held on A1) allow the action on the model anywhere?"""
    return actor in ALL_ROLES and role_allows(actor, label, action)


def may_here(actor: str, label: str, action: str, relation: str) -> bool:
    return may(actor, label, action) and relation in IN_SCOPE


def expected_for_object(actor: str, label: str, action: str, relation: str, ok: int = 200, seen_as: str = "") -> int:
    """404 unless the object is visible (``seen_as`` names the model that makes it visible), then ok or 403."""
    if not may_here(actor, seen_as or label, Action.VIEW, relation):
        return 404
    return ok if may_here(actor, label, action, relation) else 403


def expected_for_create(actor: str, label: str, relation: str) -> int:
    if not may(actor, label, Action.ADD):
        return 403
    # A unit outside the add scope is not among the choices: the form says so on the field.
    return 302 if relation in IN_SCOPE else 200


# --- Pages that are not about one object ---------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_the_health_check_answers_everyone(world, actor):
    response = client_as(world, actor).get(reverse("healthz"))

    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.parametrize("actor", ACTORS)
def test_the_login_page_shows_to_visitors_and_sends_signed_in_users_home(world, actor):
    response = client_as(world, actor).get(reverse("login"))

    if actor == ANONYMOUS:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == reverse("home")


@pytest.mark.parametrize("actor", ACTORS)
def test_my_sign_ins_opens_for_everyone_signed_in_and_lists_only_their_own(world, actor):
    response = client_as(world, actor).get(reverse("accounts:sign-ins"))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
    else:
        assert response.status_code == 200
        assert {s.user_id for s in response.context["sessions"]} <= {world.users[actor]}


@pytest.mark.parametrize("actor", ACTORS)
def test_the_sign_in_security_page_opens_only_for_a_role_that_may_see_service_tokens(world, actor):
    client = client_as(world, actor)
    before = db_state()
    response = client.get(reverse("accounts:security"))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
    elif may(actor, "accounts.servicetoken", Action.VIEW):
        assert response.status_code == 200
    else:
        assert response.status_code == 403
    assert db_state() == before


@pytest.mark.parametrize("actor", ACTORS)
def test_the_home_page_counts_exactly_the_units_the_role_may_view(world, actor):
    response = client_as(world, actor).get(reverse("home"))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    assert response.status_code == 200
    page = response.content.decode()
    if may(actor, "org.unit", Action.VIEW):
        expected = Unit.objects.filter(path__startswith=world.tree.a1.path, is_active=True).count()
        assert f'data-stat="units">{expected}<' in page
    else:
        assert 'data-stat="units"' not in page
    if may(actor, "people.person", Action.VIEW):
        expected = Person.objects.filter(unit__path__startswith=world.tree.a1.path).count()
        assert f'data-stat="people">{expected}<' in page
    else:
        assert 'data-stat="people"' not in page


LISTS: dict[str, tuple[str, Callable[[World], set[int]], str, bool]] = {
    # url name: (model label, ids of A1's subtree, row attribute, forbidden without the view right)
    "org:tree": (
        "org.unit",
        lambda w: set(Unit.objects.filter(path__startswith=w.tree.a1.path).values_list("pk", flat=True)),
        "data-unit",
        True,
    ),
    "people:list": (
        "people.person",
        lambda w: set(Person.objects.filter(unit__path__startswith=w.tree.a1.path).values_list("pk", flat=True)),
        "data-row",
        # Everyone may open the roster: without the right it holds only their own record (none here).
        False,
    ),
    "audit-changes": (
        "core.objectchange",
        lambda w: set(ObjectChange.objects.filter(unit__path__startswith=w.tree.a1.path).values_list("pk", flat=True)),
        "data-row",
        True,
    ),
    "audit-events": (
        "core.auditevent",
        lambda w: set(AuditEvent.objects.filter(unit__path__startswith=w.tree.a1.path).values_list("pk", flat=True)),
        "data-row",
        True,
    ),
    "outings:list": (
        "outings.outing",
        lambda w: set(Outing.objects.filter(unit__path__startswith=w.tree.a1.path).values_list("pk", flat=True)),
        "data-row",
        True,
    ),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(LISTS))
def test_a_list_shows_exactly_the_rows_the_role_may_view(world, name, actor):
    label, in_a1_subtree, attribute, forbidden_without_view = LISTS[name]

    response = client_as(world, actor).get(reverse(name))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    if not may(actor, label, Action.VIEW) and forbidden_without_view:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    expected = in_a1_subtree(world) if may(actor, label, Action.VIEW) else set()
    assert listed(response, attribute) == expected
    assert shown_total(response) == len(expected)
    assert "外人" not in response.content.decode()


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("name", "label"), [("org:create", "org.unit"), ("people:create", "people.person")])
def test_a_create_form_opens_only_for_a_role_that_may_add(world, name, label, actor):
    response = client_as(world, actor).get(reverse(name))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
    else:
        assert response.status_code == (200 if may(actor, label, Action.ADD) else 403)


# --- Pages about one object --------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectPage:
    label: str  # the model whose rule decides
    action: str
    url: Callable[[World, str], str]
    seen_as: str = ""  # the model whose view right makes the object visible, if not ``label``


OBJECT_PAGES: dict[str, ObjectPage] = {
    "unit detail": ObjectPage("org.unit", Action.VIEW, lambda w, r: reverse("org:detail", args=[w.units[r].pk])),
    "unit edit": ObjectPage("org.unit", Action.CHANGE, lambda w, r: reverse("org:edit", args=[w.units[r].pk])),
    "unit move": ObjectPage("org.unit", Action.CHANGE, lambda w, r: reverse("org:move", args=[w.leaves[r].pk])),
    "unit (de)activate": ObjectPage(
        "org.unit", Action.CHANGE, lambda w, r: reverse("org:set-active", args=[w.units[r].pk])
    ),
    "unit roles": ObjectPage(
        "org.roleassignment",
        Action.ADD,
        lambda w, r: reverse("org:role-assign", args=[w.units[r].pk]),
        seen_as="org.unit",
    ),
    "role revoke": ObjectPage(
        "org.roleassignment", Action.DELETE, lambda w, r: reverse("org:role-revoke", args=[w.assignments[r].pk])
    ),
    "person detail": ObjectPage(
        "people.person", Action.VIEW, lambda w, r: reverse("people:detail", args=[w.people[r].pk])
    ),
    "person edit": ObjectPage(
        "people.person", Action.CHANGE, lambda w, r: reverse("people:edit", args=[w.people[r].pk])
    ),
    "change detail": ObjectPage(
        "core.objectchange", Action.VIEW, lambda w, r: reverse("audit-change-detail", args=[w.changes[r].pk])
    ),
    "outing detail": ObjectPage(
        "outings.outing", Action.VIEW, lambda w, r: reverse("outings:detail", args=[w.outings[r].pk])
    ),
}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(OBJECT_PAGES))
def test_a_page_about_an_object_opens_only_inside_the_scope(world, name, actor, relation):
    page = OBJECT_PAGES[name]

    response = client_as(world, actor).get(page.url(world, relation))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        return
    expected = expected_for_object(actor, page.label, page.action, relation, seen_as=page.seen_as)
    assert response.status_code == expected
    if expected != 200:
        # Neither the object nor anyone holding a role shows through a refusal.
        content = response.content.decode()
        assert f"{relation}-人员" not in content
        assert world.units[relation].name not in content


# --- Writes -------------------------------------------------------------------------------------


def _unit_form(unit: Unit, **changes: Any) -> dict[str, Any]:
    data = {
        "code": unit.code,
        "name": unit.name,
        "short_name": unit.short_name,
        "kind": unit.kind_id,
        "address": unit.address,
        "person_in_charge": "",
        "person_in_charge_phone": "",
        "liaison": "",
        "liaison_phone": "",
    }
    return {**data, **changes}


def _person_form(person: Person | None, unit: Unit, **changes: Any) -> dict[str, Any]:
    data = {
        "name": person.name if person else "新人",
        "gender": "",
        "employee_no": person.employee_no if person else "NEW-1",
        "unit": unit.pk,
        "category": "employee",
        "employment_status": "active",
        "whereabouts": "stayed",
        "id_number": "",
        "phone": "",
    }
    return {**data, **changes}


@dataclass(frozen=True)
class Write:
    """A POST about the object of a relation (or, for a create, naming the relation's unit)."""

    label: str
    action: str
    url: Callable[[World, str], str]
    data: Callable[[World, str], dict[str, Any]] = lambda w, r: {}
    ok: int = 302
    create: bool = False
    seen_as: str = ""
    # The roles among those the table allows that the service lets do it (None: all of them); the
    # others are refused (403). An outing's step is decided by its own role or the office above it.
    roles: frozenset[str] | None = None


# Deciding a step waiting for the unit's leader: the leader, or the office in the leader's place.
OUTING_DECIDERS = frozenset({Role.LEADER.value, Role.GROUP_ADMIN.value})

WRITES: dict[str, Write] = {
    "unit create": Write(
        "org.unit",
        Action.ADD,
        lambda w, r: reverse("org:create"),
        lambda w, r: {
            **_unit_form(w.units[r], code=f"N-{r}", name="新单位", kind=w.leaves[r].kind_id),
            "parent": w.units[r].pk,
        },
        create=True,
    ),
    "unit edit": Write(
        "org.unit",
        Action.CHANGE,
        lambda w, r: reverse("org:edit", args=[w.units[r].pk]),
        lambda w, r: _unit_form(w.units[r], short_name="改"),
    ),
    "unit move": Write(
        "org.unit",
        Action.CHANGE,
        lambda w, r: reverse("org:move", args=[w.leaves[r].pk]),
        lambda w, r: {"new_parent": w.destination.pk},
    ),
    "unit deactivate": Write(
        "org.unit",
        Action.CHANGE,
        lambda w, r: reverse("org:set-active", args=[w.units[r].pk]),
        lambda w, r: {"active": "0"},
    ),
    "role grant": Write(
        "org.roleassignment",
        Action.ADD,
        lambda w, r: reverse("org:role-assign", args=[w.units[r].pk]),
        lambda w, r: {"username": TARGET_USER, "role": Role.INSPECTOR},
        seen_as="org.unit",
    ),
    "role revoke": Write(
        "org.roleassignment", Action.DELETE, lambda w, r: reverse("org:role-revoke", args=[w.assignments[r].pk])
    ),
    "person create": Write(
        "people.person",
        Action.ADD,
        lambda w, r: reverse("people:create"),
        lambda w, r: _person_form(None, w.units[r], employee_no=f"NEW-{r}"),
        create=True,
    ),
    "person edit": Write(
        "people.person",
        Action.CHANGE,
        lambda w, r: reverse("people:edit", args=[w.people[r].pk]),
        lambda w, r: _person_form(w.people[r], w.people[r].unit, name="改名"),
    ),
    "person reveal": Write(
        "people.person",
        Action.UNMASK,
        lambda w, r: reverse("people:reveal", args=[w.people[r].pk, "id_number"]),
        ok=200,
    ),
    "outing approve": Write(
        "outings.outing",
        Action.APPROVE,
        lambda w, r: reverse("outings:act", args=[w.outings[r].pk, "approve"]),
        lambda w, r: {"note": "同意"},
        roles=OUTING_DECIDERS,
    ),
    "outing refuse": Write(
        "outings.outing",
        Action.APPROVE,
        lambda w, r: reverse("outings:act", args=[w.outings[r].pk, "reject"]),
        lambda w, r: {"note": "非必要不外出"},
        roles=OUTING_DECIDERS,
    ),
    # Only the person (or who asked for them) withdraws: no role may, wherever it sits.
    "outing withdraw": Write(
        "outings.outing",
        Action.CHANGE,
        lambda w, r: reverse("outings:act", args=[w.outings[r].pk, "cancel"]),
        roles=frozenset(),
    ),
}


def expected_for_write(write: Write, actor: str, relation: str) -> int:
    if write.create:
        return expected_for_create(actor, write.label, relation)
    expected = expected_for_object(actor, write.label, write.action, relation, ok=write.ok, seen_as=write.seen_as)
    if write.roles is not None and expected == write.ok and actor not in write.roles:
        return 403
    return expected


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_succeeds_only_where_the_role_allows_it_and_a_refusal_changes_nothing(world, name, actor, relation):
    write = WRITES[name]
    client = client_as(world, actor)
    before = db_state(with_logins=False)

    response = client.post(write.url(world, relation), write.data(world, relation))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        assert db_state(with_logins=False) == before
        return
    expected = expected_for_write(write, actor, relation)
    assert response.status_code == expected, response.content.decode()[:2000]
    if expected == write.ok:
        assert db_state(with_logins=False) != before
    else:
        assert db_state(with_logins=False) == before


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ALL_ROLES)
def test_a_reveal_is_audited_exactly_when_it_shows_the_value(world, actor, relation):
    person = world.people[relation]
    client = client_as(world, actor)
    unmasks = AuditEvent.objects.filter(kind=AuditKind.UNMASK).count()

    response = client.post(reverse("people:reveal", args=[person.pk, "id_number"]), HTTP_HX_REQUEST="true")

    if may_here(actor, "people.person", Action.UNMASK, relation):
        assert person.id_number in response.content.decode()
        assert AuditEvent.objects.filter(kind=AuditKind.UNMASK).count() == unmasks + 1
    else:
        assert person.id_number not in response.content.decode()
        assert AuditEvent.objects.filter(kind=AuditKind.UNMASK).count() == unmasks
