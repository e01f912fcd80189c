"""Reads of the teams app: lists restricted to the viewer, who is deployed now and where, the reserve
still free, a member's call-ups, and the conflicts a call-up acceptance is checked against."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lianfang.core.scoping import Action
from lianfang.duty.models import ShiftMember
from lianfang.people.models import Person
from lianfang.teams.choices import LIVE_STATUSES, DeploymentStatus
from lianfang.teams.models import Assignment, Deployment, Team, TeamMember

# A deployment longer than this is refused: its shifts are compared one day at a time.
MAX_DAYS = 62


def today() -> datetime.date:
    """Today in the group's time zone."""
    return timezone.localdate()


def team_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Team]:
    return (
        Team.objects.restrict(viewer, action)
        .select_related("unit")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True), distinct=True))
        .order_by("unit__path", "name")
    )


def team_get(*, viewer, pk: int, action: str = Action.VIEW) -> Team:
    team = Team.objects.restrict(viewer, action).select_related("unit").filter(pk=pk).first()
    if team is None:
        raise Http404
    return team


def deployment_get(*, viewer, pk: int, action: str = Action.VIEW) -> Deployment:
    found = Deployment.objects.restrict(viewer, action).select_related("team__unit", "site").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def person_for(*, viewer, pk: int) -> Person:
    """A person the viewer may see; 404 otherwise, so that nothing outside the scope is discovered."""
    person = Person.objects.restrict(viewer, Action.VIEW).filter(pk=pk).select_related("unit").first()
    if person is None:
        raise Http404
    return person


def members_of(team: Team) -> QuerySet[TeamMember]:
    return team.members.filter(is_active=True).select_related("person__unit").order_by("person__name")


def accepted(deployment: Deployment) -> QuerySet[Assignment]:
    return deployment.assignments.filter(accepted_at__isnull=False)


def on_day_q(day: datetime.date, prefix: str = "") -> Q:
    """Deployments (or rows of one, through ``prefix``) that send people out on ``day``."""
    return Q(
        **{
            f"{prefix}starts_on__lte": day,
            f"{prefix}ends_on__gte": day,
            f"{prefix}status__in": [DeploymentStatus.FULL, DeploymentStatus.UNDER_WAY, DeploymentStatus.OPEN],
        }
    )


def deployed_on(day: datetime.date) -> QuerySet[Assignment]:
    """Accepted assignments whose deployment sends people out on ``day``."""
    return Assignment.objects.filter(on_day_q(day, "deployment__"), accepted_at__isnull=False)


def deployed_now(*, teams: Iterable[Team], day: datetime.date | None = None) -> QuerySet[Assignment]:
    return (
        deployed_on(day or today())
        .filter(deployment__team__in=list(teams))
        .select_related("person__unit", "deployment__site", "deployment__team")
        .order_by("deployment__team__name", "deployment__starts_on", "person__name")
    )


def reserve_available(team: Team, *, day: datetime.date | None = None) -> QuerySet[TeamMember]:
    """Active members not deployed on ``day``, not held back and not marked unavailable that day."""
    day = day or today()
    busy = deployed_on(day).values("person_id")
    return (
        members_of(team)
        .filter(held_back=False)
        .exclude(person_id__in=busy)
        .exclude(unavailable_from__lte=day, unavailable_to__gte=day)
    )


def my_call_ups(*, user) -> QuerySet[Assignment]:
    """The user's own call-ups of live deployments, newest first."""
    return (
        Assignment.objects.filter(person__user=user, deployment__status__in=LIVE_STATUSES)
        .select_related("deployment__team", "deployment__site")
        .order_by("-deployment__starts_on", "-pk")
    )


def shift_windows(deployment: Deployment) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The deployment's shifts as aware moments in the group's time zone, one per day."""
    zone = timezone.get_current_timezone()
    windows = []
    day = deployment.starts_on
    while day <= deployment.ends_on:
        windows.append(
            (
                datetime.datetime.combine(day, deployment.shift_start, tzinfo=zone),
                datetime.datetime.combine(day, deployment.shift_end, tzinfo=zone),
            )
        )
        day += datetime.timedelta(days=1)
    return windows


def overlapping_deployment(person: Person, deployment: Deployment) -> Deployment | None:
    """Another live deployment the person accepted whose days and shift hours overlap this one's."""
    other = (
        Assignment.objects.filter(
            person=person,
            accepted_at__isnull=False,
            deployment__status__in=LIVE_STATUSES,
            deployment__starts_on__lte=deployment.ends_on,
            deployment__ends_on__gte=deployment.starts_on,
            deployment__shift_start__lt=deployment.shift_end,
            deployment__shift_end__gt=deployment.shift_start,
        )
        .exclude(deployment=deployment)
        .select_related("deployment__site")
        .first()
    )
    return other.deployment if other else None


def duty_shift_during(person: Person, deployment: Deployment) -> ShiftMember | None:
    """A duty shift (lianfang.duty) the person is on during one of the deployment's shifts."""
    during = Q(pk__in=[])
    for start, end in shift_windows(deployment):
        during |= Q(shift__starts_at__lt=end, shift__ends_at__gt=start)
    return (
        ShiftMember.objects.filter(during, person=person, shift__post__is_active=True)
        .select_related("shift__post__unit")
        .order_by("shift__starts_at")
        .first()
    )
