"""Reads of the health app, always for a viewer.

Completion figures come from ``UnitDayStat`` only (kept up to date by the check-in service), never
from raw check-ins, so a dashboard over 100,000 people reads a few thousand small rows. Names
(non-reporters, flagged people) come from the restricted person and check-in lists.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Left
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lianfang.core.extensions import Todo, collection_stopped
from lianfang.core.scoping import Action
from lianfang.health.models import CheckIn, Question, RiskArea, Trip, UnitDayStat
from lianfang.health.risk_index import RiskIndex
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import can, has_any, units_where
from lianfang.people import counts
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person

COUNTS = ("expected", "reported", "fever", "flagged", "on_site", "remote", "on_leave")


@dataclass
class CompletionRow:
    """One unit's check-in completion for a day: its own people, and its whole subtree."""

    unit: Unit | None
    expected: int = 0
    reported: int = 0
    fever: int = 0
    flagged: int = 0
    on_site: int = 0
    remote: int = 0
    on_leave: int = 0
    subtree: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    @property
    def unit_id(self) -> int | None:
        return self.unit.pk if self.unit else None

    @property
    def depth(self) -> int:
        return self.unit.depth if self.unit else 0

    @staticmethod
    def _rate(reported: int, expected: int) -> float | None:
        return None if not expected else round(100.0 * reported / expected, 1)

    @property
    def rate(self) -> float | None:
        """Percentage of the unit's own people who checked in (None when nobody is expected)."""
        return self._rate(self.reported, self.expected)

    @property
    def subtree_rate(self) -> float | None:
        return self._rate(self.subtree["reported"], self.subtree["expected"])

    @property
    def missing(self) -> int:
        return max(self.expected - self.reported, 0)

    @property
    def subtree_missing(self) -> int:
        return max(self.subtree["expected"] - self.subtree["reported"], 0)


def _subtree_q(root: Unit | None, prefix: str = "") -> Q:
    return Q(**{f"{prefix}path__startswith": root.path}) if root is not None else Q()


def stat_units(*, viewer, root: Unit | None = None) -> QuerySet[Unit]:
    """Units whose day counts the viewer may see, within ``root``'s subtree."""
    return units_where(viewer, UnitDayStat, Action.VIEW).filter(_subtree_q(root))


def completion_by_unit(*, viewer, date: datetime.date, root: Unit | None = None) -> list[CompletionRow]:
    """Per visible unit (tree order): expected, reported, fever, flagged, modes, and subtree totals.

    Subtree totals add up the visible descendants only, so they never reveal units the viewer
    cannot see. Inactive units without anyone expected or reported are left out.
    """
    units = list(stat_units(viewer=viewer, root=root).select_related("kind").order_by("path"))
    if not units:
        return []
    stats = {
        row["unit_id"]: row
        for row in UnitDayStat.objects.restrict(viewer, Action.VIEW)
        .filter(date=date)
        .filter(_subtree_q(root, "unit__"))
        .values("unit_id", *COUNTS)
    }
    rows: list[CompletionRow] = []
    by_path: dict[str, CompletionRow] = {}
    for unit in units:
        own = stats.get(unit.pk)
        if not unit.is_active and not (own and (own["expected"] or own["reported"])):
            continue
        counts: dict[str, int] = {k: (own[k] if own else 0) for k in COUNTS}
        row = CompletionRow(unit=unit, **counts)  # type: ignore[arg-type]
        rows.append(row)
        by_path[unit.path] = row
    steplen = Unit.steplen
    for row in rows:
        path = row.unit.path  # type: ignore[union-attr]
        for end in range(steplen, len(path) + 1, steplen):
            ancestor = by_path.get(path[:end])
            if ancestor is not None:
                for key in COUNTS:
                    ancestor.subtree[key] += getattr(row, key)
    return rows


def completion_totals(*, viewer, date: datetime.date, root: Unit | None = None) -> CompletionRow:
    """The visible units' counts added up (one aggregate over the day's rows)."""
    totals = (
        UnitDayStat.objects.restrict(viewer, Action.VIEW)
        .filter(date=date)
        .filter(_subtree_q(root, "unit__"))
        .aggregate(**{k: Sum(k) for k in COUNTS})
    )
    values = {k: totals[k] or 0 for k in COUNTS}
    return CompletionRow(unit=root, **values, subtree=dict(values))


def completion_trend(*, viewer, days: int, root: Unit | None = None) -> list[tuple[datetime.date, int, int, int]]:
    """(date, expected, reported, fever) for each of the last ``days`` days up to today, oldest first."""
    today = timezone.localdate()
    start = today - datetime.timedelta(days=max(days, 1) - 1)
    sums = {
        row["date"]: row
        for row in UnitDayStat.objects.restrict(viewer, Action.VIEW)
        .filter(date__gte=start, date__lte=today)
        .filter(_subtree_q(root, "unit__"))
        .order_by()
        .values("date")
        .annotate(expected=Sum("expected"), reported=Sum("reported"), fever=Sum("fever"))
    }
    out = []
    day = start
    while day <= today:
        row = sums.get(day)
        out.append((day, row["expected"], row["reported"], row["fever"]) if row else (day, 0, 0, 0))
        day += datetime.timedelta(days=1)
    return out


def non_reporters(*, viewer, date: datetime.date, unit: Unit | None = None) -> QuerySet[Person]:
    """Active people in the viewer's scope (and in ``unit``'s subtree) without a check-in for ``date``.

    Limited to people whose check-ins the viewer may see: knowing who did not check in is health
    information too.
    """
    checked_in = CheckIn.objects.filter(person=OuterRef("pk"), date=date)
    return (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(unit__in=units_where(viewer, CheckIn, Action.VIEW).filter(_subtree_q(unit)))
        .filter(counts.expected())
        .filter(~Exists(checked_in))
        .select_related("unit")
        .order_by("unit__path", "employee_no")
    )


def flagged_checkins(*, viewer, date: datetime.date, unit: Unit | None = None) -> QuerySet[CheckIn]:
    """Flagged check-ins of the day the viewer may see, in ``unit``'s subtree."""
    return (
        checkin_list(viewer=viewer)
        .filter(date=date, is_flagged=True)
        .filter(_subtree_q(unit, "unit__"))
        .order_by("unit__path", "person__employee_no")
    )


def checkin_list(*, viewer) -> QuerySet[CheckIn]:
    return CheckIn.objects.restrict(viewer, Action.VIEW).select_related("person", "unit", "reported_by")


def own_person(*, viewer) -> Person | None:
    """The roster record linked to the signed-in user, if any."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    return Person.objects.filter(user=viewer).select_related("unit").first()


def proxy_people(*, viewer, unit: Unit) -> QuerySet[Person]:
    """Active people of ``unit``'s subtree for whom the viewer may enter check-ins (晨检 list)."""
    return (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(unit__in=units_where(viewer, CheckIn, Action.ADD).filter(path__startswith=unit.path))
        .filter(counts.expected())
        .select_related("unit")
        .order_by("unit__path", "employee_no")
    )


def question_list(*, viewer) -> QuerySet[Question]:
    """Questions are group-wide configuration, readable by every signed-in user."""
    if not getattr(viewer, "is_authenticated", False):
        return Question.objects.none()
    return Question.objects.select_related("current").prefetch_related("units").order_by("sort", "code")


def _signed_in(viewer) -> bool:
    return bool(getattr(viewer, "is_authenticated", False)) and bool(getattr(viewer, "is_active", False))


def in_force_on(day: datetime.date) -> Q:
    """Areas in force on ``day``: started on or before it, and not lifted by then."""
    return Q(effective_from__lte=day) & (Q(lifted_on__isnull=True) | Q(lifted_on__gt=day))


def risk_area_list(
    *, viewer, level: str | None = None, on: datetime.date | None = None, q: str | None = None
) -> QuerySet[RiskArea]:
    """The group-wide risk list (everyone signed in may read it), optionally only the areas of a
    level, in force on a day, or matching a code or name."""
    qs = RiskArea.objects.all() if _signed_in(viewer) else RiskArea.objects.none()
    if level:
        qs = qs.filter(level=level)
    if on is not None:
        qs = qs.filter(in_force_on(on))
    if q:
        text = q.strip()
        qs = qs.filter(Q(division_code__startswith=text) | Q(name__icontains=text) | Q(source__icontains=text))
    return qs.order_by("-effective_from", "division_code", "pk")


def may_read_history(viewer, person: Person) -> bool:
    """The person themselves, or someone who may view trips of the person's unit."""
    if person.user_id is not None and person.user_id == getattr(viewer, "pk", None):
        return True
    return can(viewer, Action.VIEW, Trip, person.unit)


@dataclass(frozen=True)
class PlaceDay:
    date: datetime.date
    code: str
    name: str
    work_mode: str
    in_risk_area: bool


def history(
    *, viewer, person: Person, today: datetime.date | None = None
) -> tuple[list[Trip], list[PlaceDay], datetime.date]:
    """The person's trips and exposures (recent first) and, beside them, where their check-ins put
    them each day of the look-back window, marked when the place was in a risk area in force that
    day. Callers check :func:`may_read_history` first."""
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=GroupSettings.load().lookback_days)
    trips = list(Trip.objects.restrict(viewer, Action.VIEW).filter(person=person).order_by("-date_to", "-pk"))
    if person.user_id is not None and person.user_id == getattr(viewer, "pk", None):
        checkins: QuerySet[CheckIn] = CheckIn.objects.filter(person=person)
    else:
        checkins = CheckIn.objects.restrict(viewer, Action.VIEW).filter(person=person)
    rows = list(
        checkins.filter(date__gte=start, date__lte=today)
        .order_by("-date")
        .values_list("date", "location_code", "location_name", "work_mode")
    )
    index = RiskIndex.load(first=start, last=today)
    days = [
        PlaceDay(date=d, code=code, name=name, work_mode=mode, in_risk_area=index.covers(code, d))
        for d, code, name, mode in rows
    ]
    return trips, days, start


def trips_in_risk(trips: Sequence[Trip]) -> dict[int, bool]:
    """For each trip: was its place in a risk area in force on one of its days?"""
    if not trips:
        return {}
    first = min(t.date_from for t in trips)
    last = max(t.date_to for t in trips)
    index = RiskIndex.load(first=first, last=last)
    return {
        t.pk: bool(t.place_code) and index.last_day_in(t.place_code, t.date_from, t.date_to) is not None for t in trips
    }


def trip_list(*, viewer) -> QuerySet[Trip]:
    return Trip.objects.restrict(viewer, Action.VIEW).select_related("person", "unit")


def people_in_area(codes: Iterable[str], *, since: datetime.date) -> set[int]:
    """People with a check-in or trip in these areas (or their subdivisions) since ``since``: those
    whose status a change of the areas can move when ``since`` is the longest look-back of a rule."""
    codes = {c for c in codes if c}
    if not codes:
        return set()
    found: set[int] = set()
    for length in sorted({len(c) for c in codes}):
        same = [c for c in codes if len(c) == length]
        found |= set(
            CheckIn.objects.filter(date__gte=since)
            .annotate(_prefix=Left("location_code", length))
            .filter(_prefix__in=same)
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
        found |= set(
            Trip.objects.filter(date_to__gte=since)
            .annotate(_prefix=Left("place_code", length))
            .filter(_prefix__in=same)
            .order_by()
            .values_list("person_id", flat=True)
            .distinct()
        )
    return found


# --- to-dos on the home page ------------------------------------------------------------------------


def checkin_todos(user, day: datetime.date) -> list[Todo]:
    """Your own check-in if it is not done yet; for whoever may check in for others (a liaison, a duty
    officer), the people in their scope who have not checked in yet."""
    todos: list[Todo] = []
    if collection_stopped(day) is not None:
        return todos  # the outbreak was declared over (stand-down): check-ins have ended
    own = Person.objects.filter(user=user, employment_status=EmploymentStatus.ACTIVE).first()
    if own is not None and not CheckIn.objects.filter(person=own, date=day).exists():
        todos.append(Todo(key="health.checkin", title=_("Check in for today"), url=reverse("health:checkin")))
    if has_any(user, "health.checkin", Action.ADD):
        others = non_reporters(viewer=user, date=day)
        missing = (others.exclude(pk=own.pk) if own is not None else others).count()
        if missing:
            todos.append(
                Todo(
                    key="health.non_reporters",
                    title=ngettext(
                        "%(count)d person has not checked in yet",
                        "%(count)d people have not checked in yet",
                        missing,
                    )
                    % {"count": missing},
                    url=reverse("health:non-reporters"),
                    count=missing,
                )
            )
    return todos
