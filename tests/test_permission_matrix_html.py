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
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import reverse

from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange
from lianfang.org.choices import Action, Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.roles import role_allows
from lianfang.people.models import Person
from lianfang.testing import ALL_ROLES, IN_SCOPE, SCOPE_RELATIONS, PersonFactory, Tree, add_unit, make_tree

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
NO_ROLE = "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
TARGET_USER = "role-target"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


# --- The world ----------------------------------------------------------------------------------


@dataclass
class World:
    tree: Tree
    users: dict[str, int]  # actor → user id
    units: dict[str, Unit]  # relation → the unit itself
    leaves: dict[str, Unit]  # relation → a leaf unit under it (the one the move tests move)
    people: dict[str, Person]
    assignments: dict[str, RoleAssignment]
    changes: dict[str, ObjectChange]
    events: dict[str, AuditEvent]
    destination: Unit  # a unit in A1's subtree where units can be moved to


def _build_world() -> World:
    tree = make_tree()
    user_model = get_user_model()

    def user(username: str):
        u = user_model(username=username)
        u.set_unusable_password()  # hashing a password per user would make the module slow to set up
        u.save()
        return u

    users = {NO_ROLE: user(NO_ROLE).pk}
    for role in ALL_ROLES:
        holder = user(f"holder-{role}")
        RoleAssignment.objects.create(user=holder, unit=tree.a1, role=role)
        users[role] = holder.pk
    target = user(TARGET_USER)
    unit_ct = ContentType.objects.get_for_model(Unit)

    def change(unit: Unit) -> ObjectChange:
        return ObjectChange.objects.create(
            request_id=ZERO_UUID,
            action=ChangeAction.UPDATE,
            content_type=unit_ct,
            object_id=unit.pk,
            object_repr=unit.name,
            unit=unit,
            prechange_data={"name": "旧名"},
            postchange_data={"name": unit.name},
        )

    units = {relation: getattr(tree, name) for relation, name in SCOPE_RELATIONS.items()}
    world = World(
        tree=tree,
        users=users,
        units=units,
        leaves={},
        people={},
        assignments={},
        changes={},
        events={},
        destination=add_unit(tree.a1, "A1D", "甲公司综合部二号站", "heat-station"),
    )
    for relation, unit in units.items():
        unit.refresh_from_db()  # numchild changed as units were added below it
        world.leaves[relation] = add_unit(unit, f"L-{relation}", f"{relation} 叶子")
        world.people[relation] = PersonFactory(unit=unit, name=f"{relation}-人员")
        world.assignments[relation] = RoleAssignment.objects.create(user=target, unit=unit, role=Role.LEADER)
        world.changes[relation] = change(unit)
        world.events[relation] = AuditEvent.objects.create(kind=AuditKind.EXPORT, request_id=ZERO_UUID, unit=unit)

    # Rows in the other subsidiary and on the group itself, which no role on A1 may ever see.
    for unit in (tree.b1, tree.group):
        PersonFactory(unit=unit, name="外人")
        RoleAssignment.objects.create(user=target, unit=unit, role=Role.LEADER)
        change(unit)
        AuditEvent.objects.create(kind=AuditKind.EXPORT, request_id=ZERO_UUID, unit=unit)
    AuditEvent.objects.create(kind=AuditKind.LOGIN, request_id=ZERO_UUID, user=target)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once in an outer transaction; each test's own transaction is a savepoint inside it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def client_as(world: World, actor: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        client.force_login(get_user_model().objects.get(pk=world.users[actor]))
    return client


def db_state() -> dict[str, list]:
    """Every row a page could write."""
    return {
        "units": list(Unit.objects.order_by("pk").values()),
        "people": list(Person.objects.order_by("pk").values()),
        "tags": list(Person.tags.through.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "changes": list(ObjectChange.objects.order_by("pk").values_list("pk", flat=True)),
        "events": list(AuditEvent.objects.exclude(kind=AuditKind.LOGIN).order_by("pk").values_list("pk", flat=True)),
    }


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
}


def expected_for_write(write: Write, actor: str, relation: str) -> int:
    if write.create:
        return expected_for_create(actor, write.label, relation)
    return expected_for_object(actor, write.label, write.action, relation, ok=write.ok, seen_as=write.seen_as)


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_succeeds_only_where_the_role_allows_it_and_a_refusal_changes_nothing(world, name, actor, relation):
    write = WRITES[name]
    client = client_as(world, actor)
    before = db_state()

    response = client.post(write.url(world, relation), write.data(world, relation))

    if actor == ANONYMOUS:
        assert is_login_redirect(response)
        assert db_state() == before
        return
    expected = expected_for_write(write, actor, relation)
    assert response.status_code == expected, response.content.decode()[:2000]
    if expected == write.ok:
        assert db_state() != before
    else:
        assert db_state() == before


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
