"""Reads of the outings app: the route a request gets (who approves, why the office), the risk areas
that cover a destination, who may decide a step, the lists of each page, the home page's to-dos and
the counts of the unit report."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.extensions import Todo
from lianfang.core.scoping import Action
from lianfang.health.models import RiskArea
from lianfang.health.selectors import in_force_on
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.roles import role_allows
from lianfang.org.scoping import has_any
from lianfang.outings.choices import GOING_STATES, LIVE_STATES, OFFICE_ROLE, OutingState, Route, StepKind
from lianfang.outings.models import MonitoringReading, Outing, OutingSettings, OutingStep
from lianfang.people.models import Person

OUTING = "outings.outing"


def settings() -> OutingSettings:
    return OutingSettings.load()


def own_person(*, viewer) -> Person | None:
    if not getattr(viewer, "is_authenticated", False):
        return None
    return Person.objects.filter(user=viewer).select_related("unit").first()


# --- risk areas -------------------------------------------------------------------------------------


def place_prefixes(code: str) -> list[str]:
    """The division codes that cover ``code``: its province, city and itself (2, 4, 6 digits)."""
    code = (code or "").strip()
    return [code[:n] for n in (2, 4, 6) if len(code) >= n]


def risk_areas_on(code: str, day: datetime.date, levels: Sequence[str]) -> list[RiskArea]:
    """The risk areas of ``levels`` in force on ``day`` that cover the place (most severe first)."""
    prefixes = place_prefixes(code)
    if not prefixes or not levels:
        return []
    return list(
        RiskArea.objects.filter(in_force_on(day), division_code__in=prefixes, level__in=list(levels)).order_by(
            "level", "-effective_from"
        )
    )


def risk_areas_during(code: str, first: datetime.date, last: datetime.date, levels: Sequence[str]) -> list[RiskArea]:
    """The risk areas of ``levels`` that covered the place on some day of [first, last]."""
    prefixes = place_prefixes(code)
    if not prefixes or not levels:
        return []
    return list(
        RiskArea.objects.filter(division_code__in=prefixes, level__in=list(levels), effective_from__lte=last)
        .filter(Q(lifted_on__isnull=True) | Q(lifted_on__gt=first))
        .order_by("level", "-effective_from")
    )


@dataclass(frozen=True)
class RiskTable:
    """The areas of some levels in force on one day, by division code: one query for a whole scan."""

    by_code: dict[str, RiskArea]

    @classmethod
    def load(cls, day: datetime.date, levels: Sequence[str]) -> RiskTable:
        areas = RiskArea.objects.filter(in_force_on(day), level__in=list(levels)).order_by("-effective_from")
        by_code: dict[str, RiskArea] = {}
        for area in areas:
            by_code.setdefault(area.division_code, area)
        return cls(by_code)

    def covering(self, code: str) -> RiskArea | None:
        for prefix in reversed(place_prefixes(code)):
            if prefix in self.by_code:
                return self.by_code[prefix]
        return None


# --- the route -----------------------------------------------------------------------------------


def ancestor_paths(unit: Unit) -> list[str]:
    """The unit's path and its ancestors', the group first."""
    return [unit.path[:end] for end in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]


def nearest_holders(unit: Unit, role: str, *, exclude_user_id: int | None = None) -> tuple[Unit | None, list[int]]:
    """The nearest unit, the unit itself or above, where someone (other than ``exclude_user_id``)
    holds ``role`` with an active account; and who holds it there."""
    rows = RoleAssignment.objects.filter(role=role, unit__path__in=ancestor_paths(unit), user__is_active=True)
    if exclude_user_id is not None:
        rows = rows.exclude(user_id=exclude_user_id)
    by_path: dict[str, tuple[int, list[int]]] = {}
    for unit_id, path, user_id in rows.values_list("unit_id", "unit__path", "user_id").order_by("user_id"):
        by_path.setdefault(path, (unit_id, []))[1].append(user_id)
    if not by_path:
        return None, []
    unit_id, users = by_path[max(by_path, key=len)]
    return Unit.objects.get(pk=unit_id), users


def office_unit(unit: Unit, *, exclude_user_id: int | None = None) -> Unit:
    """Where the prevention office sits for a person of ``unit``: the nearest unit above with an
    office administrator, or else the group itself."""
    found, _users = nearest_holders(unit, OFFICE_ROLE, exclude_user_id=exclude_user_id)
    if found is not None:
        return found
    return Unit.objects.get(depth=1, path=unit.path[: Unit.steplen])


def roles_of_person(person: Person) -> set[str]:
    if person.user_id is None:
        return set()
    return set(RoleAssignment.objects.filter(user_id=person.user_id).values_list("role", flat=True))


@dataclass(frozen=True)
class PlannedStep:
    kind: str
    unit: Unit
    role: str


@dataclass(frozen=True)
class RoutePlan:
    """The route a request gets on the day it is asked, and why."""

    route: str
    steps: tuple[PlannedStep, ...]
    risk_areas: tuple[RiskArea, ...]
    key_role: bool
    leader: bool

    @property
    def risky(self) -> bool:
        return bool(self.risk_areas)


def plan_route(*, person: Person, place_code: str, day: datetime.date, config: OutingSettings) -> RoutePlan:
    """Who decides a request of ``person`` to go to ``place_code`` asked on ``day``.

    * A leader's own outing (``leaders_file_only``) is filed with the office, which acknowledges it;
      to a risk area the office approves it instead.
    * Anyone else's goes to the nearest holder of the approving role on their unit or above (never
      themselves), then to the office when the destination is in a risk area in force that day or
      the person holds a key role. Without an approver above them it goes to the office alone.
    """
    risks = tuple(risk_areas_on(place_code, day, config.risk_levels or [])) if config.office_for_risk_areas else ()
    roles = roles_of_person(person)
    key_role = bool(roles & set(config.key_roles or []))
    leader = Role.LEADER.value in roles
    office = office_unit(person.unit, exclude_user_id=person.user_id)
    if leader and config.leaders_file_only:
        if risks:
            return RoutePlan(
                Route.APPROVAL, (PlannedStep(StepKind.OFFICE, office, OFFICE_ROLE),), risks, key_role, True
            )
        return RoutePlan(Route.FILING, (PlannedStep(StepKind.FILING, office, OFFICE_ROLE),), risks, key_role, True)
    steps: list[PlannedStep] = []
    approver_unit, _users = nearest_holders(person.unit, config.approver_role, exclude_user_id=person.user_id)
    if approver_unit is not None:
        steps.append(PlannedStep(StepKind.LEADER, approver_unit, config.approver_role))
    if risks or key_role or not steps:
        steps.append(PlannedStep(StepKind.OFFICE, office, OFFICE_ROLE))
    return RoutePlan(Route.APPROVAL, tuple(steps), risks, key_role, leader)


# --- who decides ---------------------------------------------------------------------------------


def _decider_roles() -> list[str]:
    return [role for role in Role.values if role_allows(role, OUTING, Action.APPROVE)]


def decider_grants(user) -> list[tuple[str, str]]:
    """(role, unit path) of the user's roles that may decide outing steps (cached on the user object)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return []
    cached = getattr(user, "_outing_grants", None)
    if cached is None:
        cached = list(
            RoleAssignment.objects.filter(user=user, role__in=_decider_roles()).values_list("role", "unit__path")
        )
        user._outing_grants = cached
    return cached


def may_decide(user, step: OutingStep | None) -> bool:
    """The step is open and the user holds its role on its unit or above, or is the office above it
    (the office may decide any step of its subtree). Nobody decides their own outing."""
    if step is None or not step.is_open:
        return False
    outing = step.outing
    if outing.person.user_id is not None and outing.person.user_id == getattr(user, "pk", None):
        return False
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    path = step.unit.path
    return any(path.startswith(granted) and role in (step.role, OFFICE_ROLE) for role, granted in decider_grants(user))


def _deciding_q(user) -> Q:
    if getattr(user, "is_superuser", False):
        return Q()
    condition = Q(pk__in=[])
    for role, path in decider_grants(user):
        here = Q(unit__path__startswith=path)
        condition |= here if role == OFFICE_ROLE else here & Q(role=role)
    return condition


def steps_waiting(*, viewer) -> QuerySet[OutingStep]:
    """Open steps the viewer may decide: requests to approve, filings to acknowledge."""
    if not decider_grants(viewer) and not getattr(viewer, "is_superuser", False):
        return OutingStep.objects.none()
    return (
        OutingStep.objects.filter(opened_at__isnull=False, decided_at__isnull=True)
        .filter(outing__state__in=[OutingState.PENDING, OutingState.FILED])
        .filter(_deciding_q(viewer))
        .exclude(outing__person__user=viewer)
        .select_related("outing__person", "outing__unit", "unit")
        .order_by("opened_at", "pk")
    )


def open_step(outing: Outing) -> OutingStep | None:
    return (
        OutingStep.objects.filter(outing=outing, opened_at__isnull=False, decided_at__isnull=True)
        .select_related("unit", "outing__person")
        .first()
    )


def step_holders(step: OutingStep) -> list[int]:
    """Who is told a step waits: the holders of its role on the step's unit itself."""
    holders = RoleAssignment.objects.filter(unit=step.unit, role=step.role, user__is_active=True)
    if step.outing.person.user_id is not None:
        holders = holders.exclude(user_id=step.outing.person.user_id)
    return list(holders.values_list("user_id", flat=True).distinct().order_by("user_id"))


# --- pages ---------------------------------------------------------------------------------------


def outing_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Outing]:
    return Outing.objects.restrict(viewer, action).select_related("person", "unit")


def outing_get(*, viewer, pk: int) -> Outing:
    outing = outing_list(viewer=viewer).filter(pk=pk).first()
    if outing is None:
        raise Http404(_("No such outing."))
    return outing


def own_outings(*, viewer) -> QuerySet[Outing]:
    return Outing.objects.filter(person__user=viewer).select_related("unit").order_by("-date_from", "-pk")


def away_q(day: datetime.date) -> Q:
    """Outings that have the person away on ``day``: back from a trip that covered it, or approved or
    filed and gone (still away after the planned return, until they confirm it)."""
    back = Q(state=OutingState.RETURNED, actual_from__lte=day, actual_to__gte=day)
    going = Q(state__in=GOING_STATES, date_from__lte=day)
    return back | going


def in_risk_q(day: datetime.date) -> Q:
    return Q(risk_at_request=True) | Q(risk_found_on__lte=day)


def filter_outings(
    qs: QuerySet[Outing],
    *,
    state: str = "",
    risk: bool = False,
    when: str = "",
    unit: Unit | None = None,
    q: str = "",
    day: datetime.date | None = None,
) -> QuerySet[Outing]:
    day = day or timezone.localdate()
    if state:
        qs = qs.filter(state=state)
    if risk:
        qs = qs.filter(in_risk_q(day))
    if when == "away":
        qs = qs.filter(state__in=GOING_STATES, date_from__lte=day)
    elif when == "upcoming":
        qs = qs.filter(state__in=[OutingState.PENDING, *GOING_STATES], date_from__gt=day)
    elif when == "overdue":
        qs = qs.filter(state__in=GOING_STATES, date_to__lt=day)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if q:
        text = q.strip()
        qs = qs.filter(Q(person__name__icontains=text) | Q(place_name__icontains=text))
    return qs


def overlapping(person: Person, first: datetime.date, last: datetime.date, exclude: int | None = None):
    """The person's live requests whose days meet [first, last] (a return confirmed counts by its actual days)."""
    qs = Outing.objects.filter(person=person, state__in=LIVE_STATES)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    planned = Q(actual_from__isnull=True, date_from__lte=last, date_to__gte=first)
    actual = Q(actual_from__isnull=False, actual_from__lte=last, actual_to__gte=first)
    return qs.filter(planned | actual).order_by("date_from")


def _monitored(*, viewer, day: datetime.date) -> QuerySet[Outing]:
    return outing_list(viewer=viewer).filter(state=OutingState.RETURNED, monitoring_until__gte=day, actual_to__lt=day)


def _reading_of(day: datetime.date) -> Exists:
    return Exists(MonitoringReading.objects.filter(outing=OuterRef("pk"), date=day))


def monitored(*, viewer, day: datetime.date) -> QuerySet[Outing]:
    """Outings whose person is under enhanced monitoring on ``day`` (the days after the return, up to
    its end), each with ``has_reading``: today's second reading is in."""
    return (
        _monitored(viewer=viewer, day=day).annotate(has_reading=_reading_of(day)).order_by("unit__path", "person__name")
    )


def missing_readings(*, viewer, day: datetime.date) -> int:
    """How many of them have no second reading on ``day``."""
    return _monitored(viewer=viewer, day=day).exclude(_reading_of(day)).count()


def readings_of(outing: Outing) -> list[MonitoringReading]:
    return list(MonitoringReading.objects.filter(outing=outing).order_by("date"))


def may_view_all(user) -> bool:
    return has_any(user, OUTING, Action.VIEW)


# --- home-page to-dos ------------------------------------------------------------------------------


def todos_for(user, day: datetime.date) -> list[Todo]:
    """Your own return to confirm and today's second reading; requests to approve and filings to
    acknowledge; for the liaison, people under enhanced monitoring without today's second reading."""
    if not getattr(user, "is_authenticated", False):
        return []
    found: list[Todo] = []
    own = Outing.objects.filter(person__user=user)
    back_due = own.filter(state__in=GOING_STATES, date_to__lte=day).order_by("date_to").first()
    if back_due is not None:
        found.append(
            Todo(
                key="outings.return",
                title=_("Confirm your return from %(place)s") % {"place": back_due.place_name},
                url=reverse("outings:return", args=[back_due.pk]),
                urgent=back_due.date_to < day,
            )
        )
    watched = own.filter(state=OutingState.RETURNED, monitoring_until__gte=day, actual_to__lt=day).first()
    if watched is not None and not MonitoringReading.objects.filter(outing=watched, date=day).exists():
        found.append(
            Todo(
                key="outings.reading",
                title=_("Record your second temperature reading of today"),
                url=reverse("outings:detail", args=[watched.pk]),
                detail=_("Enhanced monitoring until %(day)s") % {"day": watched.monitoring_until},
            )
        )
    waiting = list(steps_waiting(viewer=user).values_list("kind", flat=True))
    approvals = sum(1 for kind in waiting if kind != StepKind.FILING)
    filings = len(waiting) - approvals
    if approvals:
        found.append(
            Todo(
                key="outings.approve",
                title=ngettext("%(count)d outing request to approve", "%(count)d outing requests to approve", approvals)
                % {"count": approvals},
                url=reverse("outings:approvals"),
                count=approvals,
            )
        )
    if filings:
        found.append(
            Todo(
                key="outings.acknowledge",
                title=ngettext(
                    "%(count)d outing filing to acknowledge", "%(count)d outing filings to acknowledge", filings
                )
                % {"count": filings},
                url=reverse("outings:approvals"),
                count=filings,
            )
        )
    if has_any(user, "outings.monitoringreading", Action.ADD):
        missing = missing_readings(viewer=user, day=day)
        if missing:
            found.append(
                Todo(
                    key="outings.monitoring",
                    title=ngettext(
                        "%(count)d person under enhanced monitoring has no second reading today",
                        "%(count)d people under enhanced monitoring have no second reading today",
                        missing,
                    )
                    % {"count": missing},
                    url=reverse("outings:monitoring"),
                    count=missing,
                )
            )
    return found
