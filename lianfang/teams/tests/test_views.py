"""The pages' permission matrix (office, liaison of A, leader of A, a called member, an outsider,
anonymous) and the call-up accepted on a phone, in Chinese by default."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from lianfang.org.choices import Role
from lianfang.teams import services
from lianfang.teams.models import Assignment
from lianfang.teams.tests.conftest import deploy, volunteer
from lianfang.testing import user_with_role

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


@pytest.fixture
def world(tree, office, team):
    """The group's team with a member of A1 called up for a deployment, and a team of B."""
    member = volunteer(team, office, tree.a1)
    deployment = deploy(office, team, needed=1)
    services.deployment_call_up(actor=office, deployment=deployment)
    team_b = services.team_create(actor=office, unit=tree.b, name="乙公司先锋队", kind="vanguard")
    return {
        "office": office,
        "liaison": user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a"),
        "leader": user_with_role(Role.LEADER, tree.a, username="leader-a"),
        "member": member.person.user,
        "outsider": user_with_role(None, None, username="outsider"),
        "team": team,
        "team_b": team_b,
        "deployment": deployment,
        "assignment": Assignment.objects.get(member=member),
    }


def client_for(world, who: str | None, lang: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    if who:
        client.force_login(world[who])
    return client


# who → which teams the list shows
LISTED = {
    "office": {"team", "team_b"},
    "liaison": set(),
    "leader": set(),
    "member": {"team"},
    "outsider": set(),
}


@pytest.mark.parametrize("who", sorted(LISTED))
def test_the_list_shows_exactly_the_teams_the_viewer_may_see(world, who):
    response = client_for(world, who).get(reverse("teams:list"))

    assert response.status_code == 200
    shown = {int(pk) for pk in re.findall(r'data-row="(\d+)"', response.content.decode())}
    assert shown == {world[name].pk for name in LISTED[who]}


@pytest.mark.parametrize("name", ["teams:list", "teams:mine", "teams:detail", "teams:deployment"])
def test_an_anonymous_visitor_is_sent_to_sign_in(world, name):
    args = {"teams:detail": [world["team"].pk], "teams:deployment": [world["deployment"].pk]}.get(name, [])
    response = Client().get(reverse(name, args=args))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


PAGE_STATUS = {"office": 200, "liaison": 404, "leader": 404, "member": 200, "outsider": 404}


@pytest.mark.parametrize("who", sorted(PAGE_STATUS))
@pytest.mark.parametrize("page", ["teams:detail", "teams:deployment"])
def test_a_team_or_deployment_page_opens_only_inside_the_scope_else_404(world, who, page):
    pk = world["team" if page == "teams:detail" else "deployment"].pk

    assert client_for(world, who).get(reverse(page, args=[pk])).status_code == PAGE_STATUS[who]


CALL_UP_STATUS = {"office": 302, "liaison": 404, "leader": 404, "member": 403, "outsider": 404}


@pytest.mark.parametrize("who", sorted(CALL_UP_STATUS))
def test_only_the_deployer_calls_up_and_a_refusal_changes_nothing(world, who, tree, office):
    volunteer(world["team"], office, tree.a2)  # a new member, not called yet
    before = Assignment.objects.count()

    response = client_for(world, who).post(reverse("teams:call_up", args=[world["deployment"].pk]))

    assert response.status_code == CALL_UP_STATUS[who]
    assert Assignment.objects.count() == (before + 1 if who == "office" else before)


# The home unit (A) sees its person's call-up but may not accept it for them; an outsider does not see it.
@pytest.mark.parametrize(("who", "status"), [("liaison", 403), ("leader", 403), ("outsider", 404)])
def test_someone_elses_call_up_is_refused_and_stays_unaccepted(world, who, status):
    response = client_for(world, who).post(reverse("teams:accept", args=[world["assignment"].pk]))

    assert response.status_code == status
    world["assignment"].refresh_from_db()
    assert world["assignment"].accepted_at is None


def test_a_called_member_accepts_on_a_phone_in_chinese(world):
    client = client_for(world, "member", lang="zh-hans")
    client.defaults["HTTP_USER_AGENT"] = PHONE
    mine = client.get(reverse("teams:mine"))
    assert mine.status_code == 200
    assert 'data-testid="accept"' in mine.content.decode()
    assert 'lang="zh-hans"' in mine.content.decode().lower() or "zh" in mine.get("Content-Language", "")

    response = client.post(reverse("teams:accept", args=[world["assignment"].pk]), follow=True)

    assert response.status_code == 200
    world["assignment"].refresh_from_db()
    assert world["assignment"].accepted_at is not None
    assert 'data-filled="1"' in response.content.decode()


def test_a_late_accept_is_told_it_is_full_and_nothing_is_written(world, tree, office):
    late = volunteer(world["team"], office, tree.a2)
    # The deployment was called before this member joined: call them by hand.
    Assignment.objects.create(
        deployment=world["deployment"], member=late, person=late.person, called_at=world["assignment"].called_at
    )
    services.assignment_accept(actor=world["member"], assignment=world["assignment"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(late.person.user)

    response = client.post(reverse("teams:accept", args=[Assignment.objects.get(member=late).pk]), follow=True)

    assert "full" in response.content.decode()
    assert Assignment.objects.get(member=late).accepted_at is None
