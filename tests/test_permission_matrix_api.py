"""The API permission matrix: every endpoint × every role × where the object sits.

Each role is held on ``tree.a1``; the objects sit in A1 (own), its child A1S, its sibling A2 and
its parent A (``lianfang.testing.SCOPE_RELATIONS``), and a few more sit in the other subsidiary
to catch leaks. What each role may do comes from ``lianfang.org.roles.ROLE_PERMISSIONS``, so the
matrix follows the table. For every cell:

* a list holds exactly the rows of A1's subtree that the role may view, nothing else;
* a detail is 200 in scope and 404 (not 403) outside it, so nothing can be discovered;
* a write is 2xx when allowed, 403 when the object is visible but the action is not allowed,
  404 when the object is not visible, 400 when a create names a unit outside the add scope;
  on any refusal, no row of any table changed.

The world is built once per module (users with hashed passwords are slow to make) and each test
runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from lianfang.core.models import AuditEvent, Job, ObjectChange
from lianfang.core.scoping import Action
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.roles import role_allows
from lianfang.outings.models import Outing
from lianfang.people.importer import HEADERS
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


def client_as(world: World, actor: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if actor != ANONYMOUS:
        # A fresh user object per test: role grants are cached on the object.
        client.force_authenticate(get_user_model().objects.get(pk=world.users[actor]))
    return client


# --- Expectations from ROLE_PERMISSIONS ---------------------------------------------------------


def may(actor: str, label: str, action: str) -> bool:
    """Does the actor's role (held on A1) allow the action on the model anywhere?"""
    return actor in ALL_ROLES and role_allows(actor, label, action)


def may_here(actor: str, label: str, action: str, relation: str) -> bool:
    return may(actor, label, action) and relation in IN_SCOPE


def expected_for_object(actor: str, label: str, action: str, relation: str, ok: int, seen_as: str = "") -> int:
    """404 unless the object is visible (``seen_as`` names the model that makes it visible), then ok or 403."""
    if actor == ANONYMOUS:
        return 401
    if not may_here(actor, seen_as or label, Action.VIEW, relation):
        return 404
    return ok if may_here(actor, label, action, relation) else 403


def expected_for_create(actor: str, label: str, relation: str) -> int:
    if actor == ANONYMOUS:
        return 401
    if not may(actor, label, Action.ADD):
        return 403
    # A unit outside the add scope is refused like a missing one: 400 on the field, not 403/404.
    return 201 if relation in IN_SCOPE else 400


# --- Lists --------------------------------------------------------------------------------------


def _in_a1(unit_field: str) -> Callable[[World], dict[str, Any]]:
    return lambda world: {f"{unit_field}__startswith": world.tree.a1.path}


LISTS: dict[str, tuple[str, Any, Callable[[World], dict[str, Any]]]] = {
    # endpoint: (model label, model, filter for "A1's subtree")
    "units": ("org.unit", Unit, _in_a1("path")),
    "people": ("people.person", Person, _in_a1("unit__path")),
    "role-assignments": ("org.roleassignment", RoleAssignment, _in_a1("unit__path")),
    "audit/changes": ("core.objectchange", ObjectChange, _in_a1("unit__path")),
    "audit/events": ("core.auditevent", AuditEvent, _in_a1("unit__path")),
    "outings": ("outings.outing", Outing, _in_a1("unit__path")),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", list(LISTS))
def test_a_list_holds_exactly_the_rows_the_role_may_view(world, endpoint, actor):
    label, model, in_scope = LISTS[endpoint]

    response = client_as(world, actor).get(f"/api/v1/{endpoint}/", {"page_size": 500})

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    expected = set()
    if may(actor, label, Action.VIEW):
        expected = set(model.objects.filter(**in_scope(world)).values_list("pk", flat=True))
    body = response.json()
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize("actor", ACTORS)
def test_a_list_of_jobs_holds_exactly_the_users_own_jobs(world, actor):
    response = client_as(world, actor).get("/api/v1/jobs/")

    if actor == ANONYMOUS:
        assert response.status_code == 401
        return
    assert [row["id"] for row in response.json()["results"]] == [world.own_jobs[actor].pk]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", ["unit-kinds", "tags"])
def test_reference_data_is_open_to_every_signed_in_user_and_nobody_else(world, endpoint, actor):
    response = client_as(world, actor).get(f"/api/v1/{endpoint}/")

    assert response.status_code == (401 if actor == ANONYMOUS else 200)


# --- Details ------------------------------------------------------------------------------------


DETAILS: dict[str, tuple[str, Callable[[World, str], Any]]] = {
    "units": ("org.unit", lambda w, r: w.units[r]),
    "people": ("people.person", lambda w, r: w.people[r]),
    "role-assignments": ("org.roleassignment", lambda w, r: w.assignments[r]),
    "audit/changes": ("core.objectchange", lambda w, r: w.changes[r]),
    "audit/events": ("core.auditevent", lambda w, r: w.events[r]),
    "outings": ("outings.outing", lambda w, r: w.outings[r]),
}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", list(DETAILS))
def test_a_detail_is_found_only_inside_the_view_scope(world, endpoint, actor, relation):
    label, pick = DETAILS[endpoint]
    obj = pick(world, relation)

    response = client_as(world, actor).get(f"/api/v1/{endpoint}/{obj.pk}/")

    assert response.status_code == expected_for_object(actor, label, Action.VIEW, relation, ok=200)
    if response.status_code == 200:
        assert response.json()["id"] == obj.pk
    else:
        assert str(getattr(obj, "name", "\0")) not in response.content.decode()


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_someone_elses_job_is_never_found(world, actor, relation):
    response = client_as(world, actor).get(f"/api/v1/jobs/{world.jobs[relation].pk}/")

    assert response.status_code == (401 if actor == ANONYMOUS else 404)


# --- Writes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """A write on the object of a relation (or, for a create, naming the relation's unit)."""

    label: str
    action: str
    method: str
    url: Callable[[World, str], str]
    body: Callable[[World, str], dict] | None = None
    ok: int = 200
    create: bool = False
    always: int | None = None  # a status every signed-in user gets (endpoints that do not exist)
    prepare: Callable[[World, str], None] | None = None
    also: tuple[tuple[str, str], ...] = ()  # (label, action) the write needs too, else 403
    writes: bool = True  # False for a read that is checked like a write (it must change nothing)
    # The roles among those the table allows that the service lets do it (None: all of them); the
    # others are refused (403). An outing's step is decided by its own role or the office above it.
    roles: frozenset[str] | None = None
    seen_as: str = ""  # the model whose view right makes the object visible, if not ``label``


# Deciding a step waiting for the unit's leader: the leader, or the office in the leader's place.
OUTING_DECIDERS = frozenset({Role.LEADER.value, Role.GROUP_ADMIN.value})


def _deactivate(world: World, relation: str) -> None:
    Unit.objects.filter(pk=world.units[relation].pk).update(is_active=False)


def _open_account(world: World, relation: str) -> None:
    person = world.people[relation]
    user = get_user_model().objects.create(username=f"account-{relation}")
    Person.objects.filter(pk=person.pk).update(user=user)


WRITES: dict[str, Write] = {
    "units: update": Write(
        label="org.unit",
        action=Action.CHANGE,
        method="patch",
        url=lambda w, r: f"/api/v1/units/{w.units[r].pk}/",
        body=lambda w, r: {"short_name": "改"},
    ),
    "units: move": Write(
        label="org.unit",
        action=Action.CHANGE,
        method="post",
        url=lambda w, r: f"/api/v1/units/{w.leaves[r].pk}/move/",
        body=lambda w, r: {"parent": w.destination.pk},
    ),
    "units: deactivate": Write(
        label="org.unit",
        action=Action.CHANGE,
        method="post",
        url=lambda w, r: f"/api/v1/units/{w.units[r].pk}/deactivate/",
    ),
    "units: activate": Write(
        label="org.unit",
        action=Action.CHANGE,
        method="post",
        url=lambda w, r: f"/api/v1/units/{w.units[r].pk}/activate/",
        prepare=_deactivate,
    ),
    "units: delete": Write(
        label="org.unit",
        action=Action.DELETE,
        method="delete",
        url=lambda w, r: f"/api/v1/units/{w.units[r].pk}/",
        always=405,
    ),
    "units: create": Write(
        label="org.unit",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/units/",
        body=lambda w, r: {"parent": w.units[r].pk, "code": f"N-{r}", "name": "新单位", "kind": w.units[r].kind_id},
        ok=201,
        create=True,
    ),
    "people: update": Write(
        label="people.person",
        action=Action.CHANGE,
        method="patch",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/",
        body=lambda w, r: {"name": "改名"},
    ),
    "people: move to A1": Write(
        label="people.person",
        action=Action.CHANGE,
        method="patch",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/",
        body=lambda w, r: {"unit": w.destination.pk},
    ),
    "people: reveal": Write(
        label="people.person",
        action=Action.UNMASK,
        method="get",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/reveal/?field=id_number",
    ),
    "people: delete": Write(
        label="people.person",
        action=Action.DELETE,
        method="delete",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/",
        always=405,
    ),
    "people: create": Write(
        label="people.person",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/people/",
        body=lambda w, r: {"unit": w.units[r].pk, "name": "新人", "employee_no": f"NEW-{r}"},
        ok=201,
        create=True,
    ),
    "people: open an account": Write(
        label="people.person",
        action=Action.CHANGE,
        method="post",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/account/",
        body=lambda w, r: {},
        ok=201,
        # Opening an account grants the employee role: adding people (the action's check) and roles.
        also=(("people.person", Action.ADD), ("org.roleassignment", Action.ADD)),
    ),
    "people: show the account": Write(
        label="people.person",
        action=Action.VIEW,
        method="get",
        url=lambda w, r: f"/api/v1/people/{w.people[r].pk}/account/",
        prepare=_open_account,
        writes=False,
    ),
    "role-assignments: revoke": Write(
        label="org.roleassignment",
        action=Action.DELETE,
        method="delete",
        url=lambda w, r: f"/api/v1/role-assignments/{w.assignments[r].pk}/",
        ok=204,
    ),
    "role-assignments: grant": Write(
        label="org.roleassignment",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/role-assignments/",
        body=lambda w, r: {"user": TARGET_USER, "unit": w.units[r].pk, "role": Role.INSPECTOR},
        ok=201,
        create=True,
    ),
    "role-assignments: edit": Write(
        label="org.roleassignment",
        action=Action.CHANGE,
        method="patch",
        url=lambda w, r: f"/api/v1/role-assignments/{w.assignments[r].pk}/",
        body=lambda w, r: {"role": Role.GROUP_ADMIN},
        always=405,
    ),
    "audit/changes: delete": Write(
        label="core.objectchange",
        action=Action.DELETE,
        method="delete",
        url=lambda w, r: f"/api/v1/audit/changes/{w.changes[r].pk}/",
        always=405,
    ),
    "audit/changes: create": Write(
        label="core.objectchange",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/audit/changes/",
        body=lambda w, r: {"unit": w.units[r].pk, "object_repr": "x"},
        always=405,
    ),
    "jobs: create": Write(
        label="core.job",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/jobs/",
        body=lambda w, r: {"kind": "roster_import", "unit": w.units[r].pk},
        always=405,
    ),
    "audit/events: delete": Write(
        label="core.auditevent",
        action=Action.DELETE,
        method="delete",
        url=lambda w, r: f"/api/v1/audit/events/{w.events[r].pk}/",
        always=405,
    ),
    "outings: approve": Write(
        label="outings.outing",
        action=Action.APPROVE,
        method="post",
        url=lambda w, r: f"/api/v1/outings/{w.outings[r].pk}/approve/",
        body=lambda w, r: {"note": "同意"},
        roles=OUTING_DECIDERS,
    ),
    "outings: refuse": Write(
        label="outings.outing",
        action=Action.APPROVE,
        method="post",
        url=lambda w, r: f"/api/v1/outings/{w.outings[r].pk}/reject/",
        body=lambda w, r: {"reason": "非必要不外出"},
        roles=OUTING_DECIDERS,
    ),
    "outings: acknowledge (nothing filed)": Write(
        label="outings.outing",
        action=Action.APPROVE,
        method="post",
        url=lambda w, r: f"/api/v1/outings/{w.outings[r].pk}/acknowledge/",
        body=lambda w, r: {},
        ok=400,
        writes=False,
    ),
    # Only the person (or who asked for them) withdraws or confirms a return: no role on A1 withdraws.
    "outings: withdraw": Write(
        label="outings.outing",
        action=Action.CHANGE,
        method="post",
        url=lambda w, r: f"/api/v1/outings/{w.outings[r].pk}/cancel/",
        roles=frozenset(),
    ),
    "outings: ask for someone": Write(
        label="outings.outing",
        action=Action.ADD,
        method="post",
        url=lambda w, r: "/api/v1/outings/",
        body=lambda w, r: {
            "person": w.people[r].pk,
            "place_code": "110105",
            "date_from": str(timezone.localdate() + datetime.timedelta(days=10)),
            "date_to": str(timezone.localdate() + datetime.timedelta(days=11)),
            "reason": "出差",
            "transport": "train",
        },
        ok=201,
        # The person named must be visible (404 otherwise), and the actor must add outings of their unit.
        seen_as="people.person",
    ),
}


def expected_for_write(write: Write, actor: str, relation: str) -> int:
    if actor == ANONYMOUS:
        return 401
    if write.always is not None:
        return write.always
    if write.create:
        return expected_for_create(actor, write.label, relation)
    expected = expected_for_object(actor, write.label, write.action, relation, ok=write.ok, seen_as=write.seen_as)
    if expected == write.ok and not all(may_here(actor, label, action, relation) for label, action in write.also):
        return 403
    if write.roles is not None and expected == write.ok and actor not in write.roles:
        return 403
    return expected


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("name", list(WRITES))
def test_a_write_succeeds_only_where_the_role_allows_it_and_a_refusal_changes_nothing(world, name, actor, relation):
    write = WRITES[name]
    if write.prepare:
        write.prepare(world, relation)
    before = db_state()
    client = client_as(world, actor)
    body = write.body(world, relation) if write.body else None

    response = getattr(client, write.method)(write.url(world, relation), body, format="json")

    expected = expected_for_write(write, actor, relation)
    assert response.status_code == expected, response.content
    if 200 <= expected < 300 and write.writes:
        assert db_state() != before
    else:
        assert db_state() == before
        assert "holder-" not in response.content.decode()


# --- Import and export --------------------------------------------------------------------------


@pytest.fixture
def jobs_run_immediately():
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


def _roster_file(unit_code: str, employee_no: str) -> SimpleUploadedFile:
    workbook = Workbook()
    workbook.active.append(list(HEADERS))
    row = {"姓名": "导入", "工号": employee_no, "单位编码": unit_code}
    workbook.active.append([row.get(header) for header in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("actor", ACTORS)
def test_an_import_writes_only_into_units_of_the_import_scope(
    world, actor, relation, jobs_run_immediately, django_capture_on_commit_callbacks
):
    before = db_state()
    employee_no = f"IMP-{relation}"

    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(world, actor).post(
            "/api/v1/people/import/",
            {"file": _roster_file(world.units[relation].code, employee_no)},
            format="multipart",
        )

    if actor == ANONYMOUS or not may(actor, "people.person", Action.IMPORT):
        assert response.status_code == (401 if actor == ANONYMOUS else 403)
        assert db_state() == before
        return
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["id"])
    imported = Person.objects.filter(employee_no=employee_no).exists()
    # A unit code outside the import scope reads as unknown: the job fails and writes nobody.
    assert imported == (relation in IN_SCOPE)
    assert job.status == ("succeeded" if relation in IN_SCOPE else "failed")


@pytest.mark.parametrize("actor", ACTORS)
def test_an_export_holds_exactly_the_people_the_role_may_export(world, actor):
    response = client_as(world, actor).get("/api/v1/people/export/")

    if actor == ANONYMOUS or not may(actor, "people.person", Action.EXPORT):
        assert response.status_code == (401 if actor == ANONYMOUS else 403)
        return
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    exported = {row[HEADERS.index("工号")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    expected = set(
        Person.objects.filter(unit__path__startswith=world.tree.a1.path).values_list("employee_no", flat=True)
    )
    assert exported == expected
