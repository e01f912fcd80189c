"""The demo's teams load through the services on top of the demo group: the seeds' figures."""

import pytest
from django.contrib.auth import get_user_model

from lianfang.teams import selectors
from lianfang.teams.choices import DeploymentStatus, TeamKind
from lianfang.teams.models import Assignment, Deployment, Team

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_commando_team_of_fifty_thirty_deployed_today_and_a_reserve_of_150():
    from lianfang.demo import loader as demo

    demo.load()

    commando = Team.objects.get(kind=TeamKind.COMMANDO)
    assert selectors.members_of(commando).count() == 50
    assert Team.objects.filter(kind=TeamKind.VANGUARD).count() == 4
    assert selectors.members_of(Team.objects.get(kind=TeamKind.RESERVE)).count() == 150
    assert selectors.deployed_now(teams=[commando]).count() == 30
    assert Deployment.objects.filter(status=DeploymentStatus.UNDER_WAY).count() == 4
    ended = Deployment.objects.get(status=DeploymentStatus.ENDED)
    assert ended.report and ended.people_served
    # The employee persona has a call-up still open, with the accept button.
    employee = get_user_model().objects.get(username="employee")
    assert Assignment.objects.filter(
        person__user=employee, accepted_at__isnull=True, deployment__status=DeploymentStatus.OPEN
    ).exists()
