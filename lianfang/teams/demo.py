"""The demo's teams (issue 14's seeds), told through the services so the call-ups, inbox messages,
conflicts and change log say the same as for real ones:

* the group's youth commando team (青年突击队) of 50 from across the group, four party-member
  vanguard teams (党员先锋队) of the subsidiaries, and a volunteer reserve (志愿服务储备队) of 150;
* 30 of the commando team deployed today to four communities (called up yesterday, accepted first
  come, set off this morning); a member whose duty shift or check-in guard stands in the way is
  refused by the service and the next one goes;
* last week's deployment to a street office, ended with its report and hours credited home;
* the employee persona in the commando team with a call-up still open (the accept button).

The clock is set for each step by patching ``timezone.now`` inside this module only.
"""

from __future__ import annotations

import datetime
import random
from contextlib import contextmanager, suppress
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.utils import timezone

from lianfang.org.models import Unit
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person
from lianfang.teams import services
from lianfang.teams.choices import Skill, TeamKind
from lianfang.teams.models import Assignment

COMMUNITIES = [
    ("幸福里社区", "王桂兰", "13909130001"),
    ("东关街道南社区", "李红梅", "13909130002"),
    ("北新社区", "赵志刚", "13909130003"),
    ("西关社区", "孙丽", "13909130004"),
]
SKILL_ROUNDS = [
    [Skill.TEMPERATURE, Skill.DISINFECTION],
    [Skill.TEMPERATURE],
    [Skill.DISINFECTION, Skill.LOGISTICS],
    [Skill.DRIVING, Skill.LOGISTICS],
    [Skill.TEMPERATURE, Skill.MEDICAL],
]


@contextmanager
def _at(moment: datetime.datetime):
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _accept_first(admin, deployment, wanted: int) -> int:
    """Accept for members (most have no phone account) until ``wanted`` go; conflicts are skipped."""
    went = 0
    for assignment in Assignment.objects.filter(deployment=deployment).order_by("pk"):
        if went >= wanted:
            break
        try:
            services.assignment_accept(actor=admin, assignment=assignment)
        except ValidationError:
            continue
        went += 1
    return went


def load_demo(*, rng: random.Random, today: datetime.date, users: dict[str, Any], group: Unit) -> None:
    admin = users.get("admin")
    if admin is None:
        return
    tz = timezone.get_current_timezone()

    def at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
        return datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour, minute), tzinfo=tz)

    people = list(
        Person.objects.filter(employment_status=EmploymentStatus.ACTIVE, user__isnull=True)
        .exclude(unit=group)
        .order_by("pk")
    )
    if len(people) < 300:
        return
    rng.shuffle(people)
    own = Person.objects.filter(user=users.get("employee")).first()
    commando_size = 49 if own is not None else 50  # the employee persona makes fifty
    commando_people = people[:commando_size]
    reserve_people, vanguard_people = people[50:200], people[200:240]

    with _at(at(-20, 9)):
        commando = services.team_create(
            actor=admin,
            unit=group,
            name="集团青年突击队",
            kind=TeamKind.COMMANDO,
            description="团委组建，补位社区测温、消杀缺口",
        )
        reserve = services.team_create(
            actor=admin, unit=group, name="集团志愿服务储备队", kind=TeamKind.RESERVE, description="随时待命"
        )
        for n, person in enumerate(commando_people):
            services.member_add(actor=admin, team=commando, person_id=person.pk, skills=SKILL_ROUNDS[n % 5])
        if own is not None:
            services.member_add(actor=admin, team=commando, person_id=own.pk, skills=[Skill.TEMPERATURE])
        for n, person in enumerate(reserve_people):
            services.member_add(
                actor=admin,
                team=reserve,
                person_id=person.pk,
                skills=SKILL_ROUNDS[n % 5],
                availability="工作日晚间、周末",
            )
        subsidiaries = list(Unit.objects.filter(depth=2, path__startswith=group.path).order_by("path")[:4])
        for n, unit in enumerate(subsidiaries):
            vanguard = services.team_create(
                actor=admin, unit=unit, name=f"{unit.name}党员先锋队", kind=TeamKind.VANGUARD
            )
            for person in vanguard_people[n * 10 : (n + 1) * 10]:
                services.member_add(actor=admin, team=vanguard, person_id=person.pk, skills=SKILL_ROUNDS[n % 5])

    # Last week: a street office, ended with a report and hours.
    with _at(at(-9, 10)):
        past = services.deployment_create(
            actor=admin,
            team=commando,
            place_name="东关街道办事处",
            contact_name="刘建军",
            contact_phone="13909130009",
            starts_on=today - datetime.timedelta(days=8),
            ends_on=today - datetime.timedelta(days=6),
            shift_start=datetime.time(8, 0),
            shift_end=datetime.time(16, 0),
            people_needed=6,
        )
        services.deployment_call_up(actor=admin, deployment=past)
    with _at(at(-9, 11)):
        _accept_first(admin, past, 6)
    with _at(at(-8, 7, 30)):
        services.deployment_start(actor=admin, deployment=past)
    with _at(at(-6, 17)):
        for assignment in Assignment.objects.filter(deployment=past, accepted_at__isnull=False):
            for d in range(3):
                services.hours_record(
                    actor=admin, assignment=assignment, date=today - datetime.timedelta(days=8 - d), hours=8
                )
        services.deployment_end(
            actor=admin, deployment=past, report="三天协助街道完成核酸采样秩序维护和入户排查", people_served=2360
        )

    # Today: 30 of the commando team in four communities (called up yesterday, set off this morning).
    for n, (place, contact, phone) in enumerate(COMMUNITIES):
        needed = 8 if n < 2 else 7
        with _at(at(-1, 15, n)):
            deployment = services.deployment_create(
                actor=admin,
                team=commando,
                place_name=place,
                contact_name=contact,
                contact_phone=phone,
                starts_on=today,
                ends_on=today + datetime.timedelta(days=6),
                shift_start=datetime.time(7 + n % 2, 0),
                shift_end=datetime.time(17 + n % 2, 0),
                people_needed=needed,
            )
            services.deployment_call_up(actor=admin, deployment=deployment)
        with _at(at(-1, 16, n)):
            _accept_first(admin, deployment, needed)
        with _at(at(0, 6, 30)), suppress(ValidationError):  # no one could go (every member busy): it stays open
            services.deployment_start(actor=admin, deployment=deployment)

    # Next week: a call-up still open, the employee persona among the called.
    with _at(at(0, 8)):
        upcoming = services.deployment_create(
            actor=admin,
            team=commando,
            place_name="南塘社区",
            contact_name="周敏",
            contact_phone="13909130005",
            starts_on=today + datetime.timedelta(days=8),
            ends_on=today + datetime.timedelta(days=10),
            shift_start=datetime.time(8, 0),
            shift_end=datetime.time(12, 0),
            people_needed=5,
            skills_needed=[Skill.TEMPERATURE],
        )
        services.deployment_call_up(actor=admin, deployment=upcoming)
