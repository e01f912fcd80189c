"""Teams, members, deployments: the call-up, first-come acceptance, the conflicts refused with their
reason, the state machine, hours credited home, with time frozen."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from lianfang.core.extensions import feed_counts
from lianfang.duty.models import Shift, ShiftMember
from lianfang.duty.tests.factories import make_post
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.teams import selectors, services
from lianfang.teams.choices import DeploymentStatus, Skill
from lianfang.teams.models import Assignment, Deployment, TeamMember
from lianfang.teams.tests.conftest import FIVE, NINE, day, deploy, volunteer
from lianfang.testing import PersonFactory, user_with_role

pytestmark = pytest.mark.django_db


def accept(member, deployment):
    assignment = Assignment.objects.get(deployment=deployment, member=member)
    return services.assignment_accept(actor=member.person.user, assignment=assignment)


def refusal(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- teams and members -------------------------------------------------------------------------


def test_the_office_takes_in_members_from_anywhere_in_the_group(tree, office, team):
    a = volunteer(team, office, tree.a1s)
    b = volunteer(team, office, tree.b1)

    assert set(selectors.members_of(team)) == {a, b}


def test_a_liaison_cannot_add_a_person_they_cannot_see_it_is_404(tree, clock):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")
    own = services.team_create(actor=liaison, unit=tree.a, name="甲公司先锋队", kind="vanguard")
    outsider = PersonFactory(unit=tree.b1)

    with pytest.raises(Http404):
        services.member_add(actor=liaison, team=own, person_id=outsider.pk)
    assert not TeamMember.objects.exists()


def test_a_liaison_cannot_create_a_team_for_the_group(tree, clock):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")

    with pytest.raises(PermissionDenied):
        services.team_create(actor=liaison, unit=tree.group, name="集团突击队", kind="commando")


def test_an_unknown_skill_is_refused_on_the_field(tree, office, team):
    person = PersonFactory(unit=tree.a1)

    with pytest.raises(ValidationError) as excinfo:
        services.member_add(actor=office, team=team, person_id=person.pk, skills=["flying"])
    assert "skills" in excinfo.value.message_dict


def test_the_home_unit_holds_its_person_back_and_another_unit_cannot(tree, office, team, liaison_b):
    member = volunteer(team, office, tree.b1)
    liaison_a = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")

    with pytest.raises(PermissionDenied):
        services.member_hold(actor=liaison_a, member=member, held=True, reason="热力站值守")
    services.member_hold(actor=liaison_b, member=member, held=True, reason="热力站值守")

    member.refresh_from_db()
    assert member.held_back and member.held_reason == "热力站值守"


# --- creating a deployment ----------------------------------------------------------------------


def test_a_deployment_ending_before_it_starts_is_refused_naming_the_last_day(office, team):
    with pytest.raises(ValidationError) as excinfo:
        deploy(office, team, first=3, last=1)

    assert list(excinfo.value.message_dict) == ["ends_on"]
    assert "cannot be before the first day" in excinfo.value.message_dict["ends_on"][0]
    assert not Deployment.objects.exists()


def test_a_shift_ending_before_it_starts_is_refused_naming_the_end(office, team):
    with pytest.raises(ValidationError) as excinfo:
        deploy(office, team, start=FIVE, end=NINE)

    assert list(excinfo.value.message_dict) == ["shift_end"]


def test_a_deployment_needs_a_place(office, team):
    with pytest.raises(ValidationError) as excinfo:
        deploy(office, team, place_name="", contact_name="")

    assert "place_name" in excinfo.value.message_dict


def test_a_site_outside_the_deployers_view_is_404(tree, clock):
    liaison = user_with_role(Role.UNIT_ADMIN, tree.a, username="liaison-a")
    own = services.team_create(actor=liaison, unit=tree.a, name="甲公司先锋队", kind="vanguard")

    with pytest.raises(Http404):
        deploy(liaison, own, site=tree.b1, place_name="")


# --- the call-up ------------------------------------------------------------------------------------


def test_the_call_up_messages_every_eligible_member_and_no_one_else(tree, office, team, liaison_b):
    ready = volunteer(team, office, tree.a1)
    driver = volunteer(team, office, tree.a2, skills=[Skill.DRIVING])
    held = volunteer(team, office, tree.b1)
    services.member_hold(actor=liaison_b, member=held, held=True, reason="本单位需要")
    away = volunteer(team, office, tree.a1)
    away.unavailable_from, away.unavailable_to = day(2), day(5)
    away.save()
    deployment = deploy(office, team, skills_needed=[Skill.TEMPERATURE])

    called = services.deployment_call_up(actor=office, deployment=deployment)

    assert called == 1
    assert list(Assignment.objects.values_list("member", flat=True)) == [ready.pk]
    assert Message.objects.filter(recipient=ready.person.user, kind="teams_call_up").count() == 1
    for other in (driver, held, away):
        assert not Message.objects.filter(recipient=other.person.user).exists()


def test_members_accept_first_come_and_the_late_one_is_told_it_is_full(tree, office, team):
    first, second, late = (volunteer(team, office, tree.a1) for _ in range(3))
    deployment = deploy(office, team, needed=2)
    services.deployment_call_up(actor=office, deployment=deployment)

    accept(first, deployment)
    accept(second, deployment)
    with pytest.raises(ValidationError) as excinfo:
        accept(late, deployment)

    assert "full" in refusal(excinfo)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.FULL
    assert set(selectors.accepted(deployment).values_list("member", flat=True)) == {first.pk, second.pk}
    assert Assignment.objects.get(member=late).accepted_at is None


def test_someone_else_cannot_accept_a_members_call_up(tree, office, team):
    member = volunteer(team, office, tree.a1)
    stranger = user_with_role(None, None, username="stranger")
    deployment = deploy(office, team)
    services.deployment_call_up(actor=office, deployment=deployment)

    with pytest.raises(PermissionDenied):
        services.assignment_accept(actor=stranger, assignment=Assignment.objects.get(member=member))


def test_the_same_person_in_two_deployments_at_once_is_refused_with_the_other_place(tree, office, team):
    member = volunteer(team, office, tree.a1)
    here = deploy(office, team, first=1, last=3)
    there = deploy(office, team, first=3, last=4, place_name="和平街道办", start=datetime.time(16, 0), end=FIVE)
    services.deployment_call_up(actor=office, deployment=here)
    services.deployment_call_up(actor=office, deployment=there)
    accept(member, here)

    with pytest.raises(ValidationError) as excinfo:
        accept(member, there)

    assert "already deployed at the same time: 幸福里社区" in refusal(excinfo)


def test_two_deployments_on_the_same_days_at_other_hours_do_not_conflict(tree, office, team):
    member = volunteer(team, office, tree.a1)
    morning = deploy(office, team, start=datetime.time(7, 0), end=datetime.time(11, 0))
    evening = deploy(office, team, start=datetime.time(18, 0), end=datetime.time(22, 0), place_name="和平街道办")
    for d in (morning, evening):
        services.deployment_call_up(actor=office, deployment=d)

    accept(member, morning)
    accept(member, evening)

    assert Assignment.objects.filter(person=member.person, accepted_at__isnull=False).count() == 2


def test_a_person_on_a_duty_shift_at_that_time_is_refused(tree, office, team):
    member = volunteer(team, office, tree.a)
    post = make_post(tree.a, phone="0913-2100000")
    from django.utils import timezone

    starts = timezone.make_aware(datetime.datetime.combine(day(2), datetime.time(8, 0)))
    shift = Shift.objects.create(post=post, starts_at=starts, ends_at=starts + datetime.timedelta(hours=24))
    ShiftMember.objects.create(shift=shift, person=member.person)
    deployment = deploy(office, team)
    services.deployment_call_up(actor=office, deployment=deployment)

    with pytest.raises(ValidationError) as excinfo:
        accept(member, deployment)

    assert "on duty at that time" in refusal(excinfo)


def test_a_person_the_check_in_guard_keeps_from_work_is_refused_with_its_label(tree, office, team, kept_from_work):
    member = volunteer(team, office, tree.a1)
    kept_from_work.add(member.person.pk)
    deployment = deploy(office, team)
    services.deployment_call_up(actor=office, deployment=deployment)

    with pytest.raises(ValidationError) as excinfo:
        accept(member, deployment)

    assert "居家隔离中，不得到岗" in refusal(excinfo)
    assert not selectors.accepted(deployment).exists()


def test_a_person_held_back_after_the_call_up_cannot_accept(tree, office, team, liaison_b):
    member = volunteer(team, office, tree.b1)
    deployment = deploy(office, team)
    services.deployment_call_up(actor=office, deployment=deployment)
    services.member_hold(actor=liaison_b, member=member, held=True, reason="本单位需要")

    with pytest.raises(ValidationError) as excinfo:
        accept(member, deployment)

    assert "holds them back: 本单位需要" in refusal(excinfo)


# --- the state machine, hours and the report ------------------------------------------------------


def test_a_deployment_runs_from_open_to_ended_with_hours_credited_home(tree, office, team, clock):
    member = volunteer(team, office, tree.b1)
    deployment = deploy(office, team, first=1, last=2, needed=1)
    services.deployment_call_up(actor=office, deployment=deployment)
    accept(member, deployment)

    with pytest.raises(ValidationError):  # not before its first day
        services.deployment_start(actor=office, deployment=deployment)
    clock.advance(days=1)
    services.deployment_start(actor=office, deployment=deployment)
    assignment = Assignment.objects.get(member=member)
    services.hours_record(actor=office, assignment=assignment, date=day(1), hours="8")
    clock.advance(days=1)
    services.hours_record(actor=office, assignment=assignment, date=day(2), hours=7.5)
    services.hours_record(actor=office, assignment=assignment, date=day(2), hours=6)
    with pytest.raises(ValidationError) as excinfo:
        services.deployment_end(actor=office, deployment=deployment, report="", people_served=10)
    assert list(excinfo.value.message_dict) == ["report"]
    services.deployment_end(actor=office, deployment=deployment, report="两个卡口测温", people_served=1200)

    deployment.refresh_from_db()
    assignment.refresh_from_db()
    assert deployment.status == DeploymentStatus.ENDED
    assert deployment.people_served == 1200
    assert assignment.hours == Decimal("14.0")
    assert assignment.home_unit == tree.b1


def test_hours_for_a_day_still_to_come_are_refused_naming_the_date(tree, office, team, clock):
    member = volunteer(team, office, tree.a1)
    deployment = deploy(office, team, first=0, last=3, needed=1)
    services.deployment_call_up(actor=office, deployment=deployment)
    accept(member, deployment)
    services.deployment_start(actor=office, deployment=deployment)

    with pytest.raises(ValidationError) as excinfo:
        services.hours_record(actor=office, assignment=Assignment.objects.get(member=member), date=day(2), hours=8)
    assert list(excinfo.value.message_dict) == ["date"]


def test_a_cancelled_deployment_takes_no_one_and_tells_the_called(tree, office, team):
    member = volunteer(team, office, tree.a1)
    deployment = deploy(office, team)
    services.deployment_call_up(actor=office, deployment=deployment)
    services.deployment_cancel(actor=office, deployment=deployment)

    with pytest.raises(ValidationError):
        accept(member, deployment)
    assert Message.objects.filter(recipient=member.person.user, kind="teams_deployment_cancelled").exists()


def test_the_feed_counts_people_deployed_today_by_their_home_unit(tree, office, team, clock):
    a_member, b_member = volunteer(team, office, tree.a1), volunteer(team, office, tree.b1)
    deployment = deploy(office, team, first=0, last=2, needed=2)
    services.deployment_call_up(actor=office, deployment=deployment)
    accept(a_member, deployment)
    accept(b_member, deployment)

    today = selectors.today()
    assert feed_counts(tree.a, today, ["teams.deployed_now"]) == {"teams.deployed_now": 1}
    assert feed_counts(tree.group, today, ["teams.deployed_now"]) == {"teams.deployed_now": 2}
    assert feed_counts(tree.group, day(3), ["teams.deployed_now"]) == {"teams.deployed_now": 0}


def test_the_reserve_still_available_leaves_out_the_deployed_and_the_held(tree, office, team, liaison_b, clock):
    going, held, free = (
        volunteer(team, office, tree.a1),
        volunteer(team, office, tree.b1),
        volunteer(team, office, tree.a2),
    )
    services.member_hold(actor=liaison_b, member=held, held=True, reason="本单位需要")
    deployment = deploy(office, team, first=0, last=1, needed=1)
    services.deployment_call_up(actor=office, deployment=deployment)
    accept(going, deployment)

    assert list(selectors.reserve_available(team)) == [free]
    assert [a.person for a in selectors.deployed_now(teams=[team])] == [going.person]
