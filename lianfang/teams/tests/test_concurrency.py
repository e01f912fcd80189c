"""Fifty members accept the same call-up with ten slots at the same moment, each on its own database
connection: exactly ten go, the forty others are told it is full. PostgreSQL only (row locks)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lianfang.org.choices import Role
from lianfang.teams import services
from lianfang.teams.choices import DeploymentStatus
from lianfang.teams.models import Assignment
from lianfang.teams.tests.conftest import FIVE, NINE, TODAY
from lianfang.testing import PersonFactory, make_tree, user_with_role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


def test_fifty_members_accepting_ten_slots_at_once_deploy_exactly_ten():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    team = services.team_create(actor=office, unit=tree.group, name="青年突击队", kind="commando")
    for n in range(50):
        person = PersonFactory(unit=tree.a1 if n % 2 else tree.b1, user=user_with_role(None, None))
        services.member_add(actor=office, team=team, person_id=person.pk, skills=["temperature"])
    deployment = services.deployment_create(
        actor=office,
        team=team,
        place_name="幸福里社区",
        contact_name="王主任",
        starts_on=TODAY + datetime.timedelta(days=400),
        ends_on=TODAY + datetime.timedelta(days=401),
        shift_start=NINE,
        shift_end=FIVE,
        people_needed=10,
    )
    assert services.deployment_call_up(actor=office, deployment=deployment) == 50
    assignments = list(Assignment.objects.select_related("person__user"))
    barrier = threading.Barrier(len(assignments))
    outcomes: list[str] = []
    lock = threading.Lock()

    def accept(assignment: Assignment) -> None:
        try:
            barrier.wait()
            services.assignment_accept(actor=assignment.person.user, assignment=assignment)
            result = "deployed"
        except services.DeploymentFull:
            result = "full"
        except ValidationError as e:
            result = f"refused: {e.messages}"
        except Exception as e:
            result = f"error: {e!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=accept, args=(a,)) for a in assignments]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(set(outcomes)) == ["deployed", "full"], outcomes
    assert outcomes.count("deployed") == 10
    assert outcomes.count("full") == 40
    assert Assignment.objects.filter(accepted_at__isnull=False).count() == 10
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FULL
