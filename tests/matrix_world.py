"""The world both permission matrices (API and pages) test against.

Every role is held on ``tree.a1`` by its own user; objects of each kind sit in A1 (own), its child
A1S, its sibling A2 and its parent A (``lianfang.testing.SCOPE_RELATIONS``), and more sit in the
other subsidiary and on the group itself to catch leaks. Built once per module in an outer
transaction (see :func:`module_world`); each test runs in a savepoint that is rolled back.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, Job, ObjectChange
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.outings.choices import StepKind
from lianfang.outings.models import Outing, OutingStep
from lianfang.people.models import Person
from lianfang.testing import ALL_ROLES, SCOPE_RELATIONS, PersonFactory, Tree, add_unit, make_tree

ANONYMOUS = "anonymous"
NO_ROLE = "no-role"
ACTORS = [ANONYMOUS, NO_ROLE, *ALL_ROLES]
RELATIONS = list(SCOPE_RELATIONS)
TARGET_USER = "role-target"
OTHER_USER = "someone-else"
ZERO_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass
class World:
    tree: Tree
    users: dict[str, int]  # actor → user id
    units: dict[str, Unit]  # relation → the unit itself
    destination: Unit  # a unit in A1's subtree where people and units can be moved to
    leaves: dict[str, Unit] = field(default_factory=dict)  # relation → a leaf under it (moved by move tests)
    people: dict[str, Person] = field(default_factory=dict)
    assignments: dict[str, RoleAssignment] = field(default_factory=dict)
    changes: dict[str, ObjectChange] = field(default_factory=dict)
    events: dict[str, AuditEvent] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)  # relation → a job someone else started there
    own_jobs: dict[str, Job] = field(default_factory=dict)  # actor → the job they started
    outings: dict[str, Outing] = field(default_factory=dict)  # relation → an outing waiting for its leader


def build_world() -> World:
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
    target, other = user(TARGET_USER), user(OTHER_USER)
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

    def outing(person: Person, unit: Unit) -> Outing:
        """A request of the person waiting for the leader of its unit (the target holds the role there)."""
        today = timezone.localdate()
        row = Outing.objects.create(
            person=person,
            unit=unit,
            place_code="110105",
            place_name="北京市朝阳区",
            date_from=today + datetime.timedelta(days=1),
            date_to=today + datetime.timedelta(days=2),
            reason="探亲",
            transport="train",
            submitted_at=timezone.now(),
            last_day=today + datetime.timedelta(days=2),
        )
        OutingStep.objects.create(
            outing=row,
            seq=1,
            kind=StepKind.LEADER,
            unit=unit,
            role=Role.LEADER,
            opened_at=timezone.now(),
            due_at=timezone.now() + datetime.timedelta(days=2),
        )
        return row

    def event(unit: Unit) -> AuditEvent:
        return AuditEvent.objects.create(kind=AuditKind.EXPORT, request_id=ZERO_UUID, unit=unit, user=other)

    world = World(
        tree=tree,
        users=users,
        units={relation: getattr(tree, name) for relation, name in SCOPE_RELATIONS.items()},
        destination=add_unit(tree.a1, "A1D", "甲公司综合部二号站", "heat-station"),
    )
    for relation, unit in world.units.items():
        unit.refresh_from_db()  # numchild changed as units were added below it
        world.leaves[relation] = add_unit(unit, f"L-{relation}", f"{relation} 叶子")
        world.people[relation] = PersonFactory(unit=unit, name=f"{relation}-人员")
        world.assignments[relation] = RoleAssignment.objects.create(user=target, unit=unit, role=Role.LEADER)
        world.changes[relation] = change(unit)
        world.events[relation] = event(unit)
        world.jobs[relation] = Job.objects.create(kind="roster_import", created_by=other, unit=unit)
        world.outings[relation] = outing(world.people[relation], unit)
    for actor, user_id in users.items():
        world.own_jobs[actor] = Job.objects.create(kind="roster_import", created_by_id=user_id, unit=tree.a1)

    # Rows in the other subsidiary and on the group itself, which no role on A1 may ever see.
    for unit in (tree.b1, tree.group):
        outing(PersonFactory(unit=unit, name="外人"), unit)
        RoleAssignment.objects.create(user=target, unit=unit, role=Role.LEADER)
        change(unit)
        event(unit)
    AuditEvent.objects.create(kind=AuditKind.LOGIN, request_id=ZERO_UUID, user=other)
    return world


def module_world(django_db_blocker) -> Iterator[World]:
    """The body of a module-scoped fixture: the world inside an outer transaction, rolled back after."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def db_state(*, with_logins: bool = True) -> dict[str, list]:
    """Every row a write could touch (logins aside, for pages: signing in writes one)."""
    events = AuditEvent.objects.all() if with_logins else AuditEvent.objects.exclude(kind=AuditKind.LOGIN)
    return {
        "units": list(Unit.objects.order_by("pk").values()),
        "people": list(Person.objects.order_by("pk").values()),
        "tags": list(Person.tags.through.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "changes": list(ObjectChange.objects.order_by("pk").values_list("pk", flat=True)),
        "events": list(events.order_by("pk").values_list("pk", flat=True)),
        "jobs": list(Job.objects.order_by("pk").values_list("pk", flat=True)),
        "outings": list(Outing.objects.order_by("pk").values()),
        "outing steps": list(OutingStep.objects.order_by("pk").values()),
    }
