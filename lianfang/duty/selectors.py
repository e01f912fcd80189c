"""Reads of the duty app. ``duty_unit_ids`` and ``on_duty`` are also what the urgent-matters app
(command) asks: who is the leader on duty of a unit at a given moment."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.extensions import ContactEvidence, ContactQuery, Todo
from lianfang.core.masking import mask_phone
from lianfang.core.scoping import Action
from lianfang.duty.choices import GapRole, HandoverStatus, MemberRole, SwapStatus
from lianfang.duty.models import DutyPost, Handover, LogEntry, Shift, ShiftConflict, ShiftMember, Swap
from lianfang.org.scoping import can, units_where
from lianfang.people.choices import EmploymentStatus
from lianfang.people.models import Person


@dataclass(frozen=True)
class OnDuty:
    """Who keeps a unit's duty at one moment. ``leader`` is None when no shift covers the moment (or
    the shift has no leader); ``phone`` is the post's duty phone ("" for a unit without a post)."""

    unit_id: int
    shift_id: int | None
    leader: Person | None
    officers: tuple[Person, ...]
    phone: str
    ends_at: datetime.datetime | None


def duty_unit_ids() -> set[int]:
    """Ids of the units that keep duty (have an active duty post)."""
    return set(DutyPost.objects.filter(is_active=True).values_list("unit_id", flat=True))


def on_duty(unit_ids: Iterable[int], at: datetime.datetime) -> dict[int, OnDuty]:
    """Who is on duty at ``at`` in each of ``unit_ids``: one query for the posts, one for the
    members. Every asked unit is in the answer."""
    ids = list(dict.fromkeys(unit_ids))
    if not ids:
        return {}
    posts = dict(DutyPost.objects.filter(unit_id__in=ids, is_active=True).values_list("unit_id", "phone"))
    members = (
        ShiftMember.objects.filter(
            shift__post__unit_id__in=list(posts),
            shift__post__is_active=True,
            shift__starts_at__lte=at,
            shift__ends_at__gt=at,
        )
        .select_related("person", "shift__post")
        .order_by("shift__starts_at", "id")
    )
    found: dict[int, tuple[int, datetime.datetime, Person | None, list[Person]]] = {}
    for m in members:
        unit_id = m.shift.post.unit_id
        shift_id, ends_at, leader, officers = found.get(unit_id, (m.shift_id, m.shift.ends_at, None, []))
        if shift_id != m.shift_id:  # two shifts cannot overlap; keep the first if data says otherwise
            continue
        if m.role == MemberRole.LEADER:
            leader = m.person
        else:
            officers.append(m.person)
        found[unit_id] = (shift_id, ends_at, leader, officers)
    answer: dict[int, OnDuty] = {}
    for unit_id in ids:
        phone = posts.get(unit_id, "")
        if unit_id in found:
            shift_id, ends_at, leader, officers = found[unit_id]
            answer[unit_id] = OnDuty(unit_id, shift_id, leader, tuple(officers), phone, ends_at)
        else:
            answer[unit_id] = OnDuty(unit_id, None, None, (), phone, None)
    return answer


def units_on_duty_for(user, at: datetime.datetime) -> set[int]:
    """Ids of the units where the user's person is rostered on duty (leader or officer) at ``at``:
    during the shift the roster makes them that level's duty room, whatever role they hold."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        ShiftMember.objects.filter(
            person__user=user, shift__starts_at__lte=at, shift__ends_at__gt=at, shift__post__is_active=True
        ).values_list("shift__post__unit_id", flat=True)
    )


# --- coverage ---------------------------------------------------------------------------------------


MAX_SHIFT = datetime.timedelta(hours=48)


@dataclass(frozen=True)
class Gap:
    """A stretch of a post's time with no leader on duty, or no duty officer."""

    post_id: int
    missing: str  # GapRole
    starts_at: datetime.datetime
    ends_at: datetime.datetime

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


def _uncovered(
    intervals: list[tuple[datetime.datetime, datetime.datetime]], start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The parts of [start, end) no interval covers."""
    holes = []
    cursor = start
    for s, e in sorted(intervals):
        if s > cursor:
            holes.append((cursor, min(s, end)))
        cursor = max(cursor, e)
        if cursor >= end:
            break
    if cursor < end:
        holes.append((cursor, end))
    return [(s, e) for s, e in holes if e > s]


def coverage_gaps(post_ids: Iterable[int], start: datetime.datetime, end: datetime.datetime) -> list[Gap]:
    """Every stretch of [start, end) in which one of the posts has no leader on duty or no duty
    officer: one query over the shifts' members, then interval arithmetic per post and role."""
    ids = list(post_ids)
    wanted = set(ids)
    covered: dict[tuple[int, str], list[tuple[datetime.datetime, datetime.datetime]]] = {}
    # Shifts last at most 48 hours (Shift.clean), so a lower bound on the start lets the database
    # use the index on starts_at; many posts are filtered here rather than in a long IN list.
    rows = ShiftMember.objects.filter(
        shift__starts_at__gte=start - MAX_SHIFT, shift__starts_at__lt=end, shift__ends_at__gt=start
    )
    if len(ids) <= 100:
        rows = rows.filter(shift__post_id__in=ids)
    for post_id, role, s, e in rows.values_list("shift__post_id", "role", "shift__starts_at", "shift__ends_at"):
        if post_id in wanted:
            covered.setdefault((post_id, role), []).append((s, e))
    gaps: list[Gap] = []
    for post_id in ids:
        for role in (MemberRole.LEADER, MemberRole.OFFICER):
            for s, e in _uncovered(covered.get((post_id, role), []), start, end):
                gaps.append(Gap(post_id, str(role), s, e))
    gaps.sort(key=lambda g: (g.starts_at, g.post_id, g.missing))
    return gaps


# --- pages: what a viewer sees ------------------------------------------------------------------------


def post_list(*, viewer, action: str = Action.VIEW) -> QuerySet[DutyPost]:
    return DutyPost.objects.restrict(viewer, action).select_related("unit").order_by("unit__path")


def post_get(*, viewer, pk: int) -> DutyPost:
    post = post_list(viewer=viewer).filter(pk=pk).first()
    if post is None:
        raise Http404(_("No such duty post."))
    return post


def shift_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Shift]:
    return Shift.objects.restrict(viewer, action).select_related("post__unit")


def shift_get(*, viewer, pk: int) -> Shift:
    shift = shift_list(viewer=viewer).filter(pk=pk).first()
    if shift is None:
        raise Http404(_("No such shift."))
    return shift


def eligible_people(*, viewer, post: DutyPost) -> QuerySet[Person]:
    """The people a roster of ``post`` may name: in its unit's subtree, visible to the viewer, at work."""
    return (
        Person.objects.restrict(viewer, Action.VIEW)
        .filter(unit__path__startswith=post.unit.path, employment_status=EmploymentStatus.ACTIVE)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    first = month.replace(day=1)
    nxt = (first + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(nxt, datetime.time.min, tzinfo=tz),
    )


@dataclass
class RosterDay:
    day: datetime.date
    shifts: list[Shift]


def month_roster(*, post: DutyPost, month: datetime.date) -> list[RosterDay]:
    """Every day of the month with the shifts starting that day (members prefetched)."""
    start, end = month_bounds(month)
    shifts = list(
        Shift.objects.filter(post=post, starts_at__gte=start, starts_at__lt=end)
        .prefetch_related("members__person", "conflicts__person")
        .order_by("starts_at")
    )
    by_day: dict[datetime.date, list[Shift]] = {}
    for shift in shifts:
        by_day.setdefault(timezone.localdate(shift.starts_at), []).append(shift)
    days = []
    day = start.date()
    while day < end.date():
        days.append(RosterDay(day, by_day.get(day, [])))
        day += datetime.timedelta(days=1)
    return days


def members_by_role(shift: Shift) -> tuple[list[Person], list[Person]]:
    members = list(shift.members.all())
    return (
        [m.person for m in members if m.role == MemberRole.LEADER],
        [m.person for m in members if m.role == MemberRole.OFFICER],
    )


@dataclass(frozen=True)
class NowRow:
    post: DutyPost
    duty: OnDuty
    phones: dict[int, str]  # person id -> phone as the viewer may see it


def on_duty_now(*, viewer, at: datetime.datetime | None = None) -> list[NowRow]:
    """Who is on duty now in every post the viewer may see; people's phones masked unless the
    viewer may unmask people of that unit."""
    at = at or timezone.now()
    posts = list(post_list(viewer=viewer).filter(is_active=True))
    found = on_duty([p.unit_id for p in posts], at)
    rows = []
    for post in posts:
        duty = found[post.unit_id]
        people = [p for p in (duty.leader, *duty.officers) if p is not None]
        full = can(viewer, Action.UNMASK, "people.person", post.unit)
        rows.append(NowRow(post, duty, {p.pk: p.phone if full else mask_phone(p.phone) for p in people}))
    return rows


@dataclass(frozen=True)
class GapRow:
    post: DutyPost
    gap: Gap

    @property
    def label(self) -> str:
        return str(GapRole(self.gap.missing).label)


def gap_rows(*, viewer, now: datetime.datetime | None = None, days: int = 7) -> list[GapRow]:
    now = now or timezone.now()
    posts = {p.pk: p for p in post_list(viewer=viewer).filter(is_active=True)}
    return [GapRow(posts[g.post_id], g) for g in coverage_gaps(posts, now, now + datetime.timedelta(days=days))]


def conflicts_open(*, viewer, now: datetime.datetime | None = None) -> QuerySet[ShiftConflict]:
    """Conflicts on shifts not over yet whose person is still on the shift."""
    now = now or timezone.now()
    on_shift = ShiftMember.objects.filter(shift_id=OuterRef("shift_id"), person_id=OuterRef("person_id"))
    return (
        ShiftConflict.objects.restrict(viewer, Action.VIEW)
        .filter(shift__ends_at__gt=now)
        .filter(Exists(on_shift))
        .select_related("shift__post__unit", "person")
        .order_by("shift__starts_at")
    )


def handovers_unaccepted(*, viewer) -> QuerySet[Handover]:
    return (
        Handover.objects.restrict(viewer, Action.VIEW)
        .filter(status=HandoverStatus.PENDING)
        .select_related("shift__post__unit", "handed_by")
        .order_by("handed_at")
    )


def shifts_not_handed_over(*, viewer, now: datetime.datetime | None = None, days: int = 7) -> QuerySet[Shift]:
    """Shifts of the last days that ended more than an hour ago without any handover."""
    now = now or timezone.now()
    return (
        shift_list(viewer=viewer)
        .filter(ends_at__lte=now - datetime.timedelta(hours=1), ends_at__gt=now - datetime.timedelta(days=days))
        .filter(handover__isnull=True)
        .order_by("-ends_at")
    )


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def day_log(*, post: DutyPost, day: datetime.date) -> QuerySet[LogEntry]:
    start, end = day_bounds(day)
    return (
        LogEntry.objects.filter(post=post, at__gte=start, at__lt=end)
        .select_related("recorded_by_person", "recorded_by")
        .order_by("at", "id")
    )


def day_shifts(*, post: DutyPost, day: datetime.date) -> QuerySet[Shift]:
    start, end = day_bounds(day)
    return (
        Shift.objects.filter(post=post, starts_at__lt=end, ends_at__gt=start)
        .select_related("handover__handed_by__person", "handover__received_by__person")
        .prefetch_related("members__person")
        .order_by("starts_at")
    )


def swaps_for(*, viewer) -> QuerySet[Swap]:
    return (
        Swap.objects.restrict(viewer, Action.VIEW)
        .select_related("shift__post__unit", "person", "replacement", "decided_by")
        .order_by("-requested_at")
    )


def swaps_to_approve(*, viewer) -> QuerySet[Swap]:
    return swaps_for(viewer=viewer).filter(status=SwapStatus.ACCEPTED)


def log_counts(*, post_ids: Iterable[int], day: datetime.date) -> dict[int, int]:
    start, end = day_bounds(day)
    return dict(
        LogEntry.objects.filter(post_id__in=list(post_ids), at__gte=start, at__lt=end)
        .values("post_id")
        .annotate(n=Count("id"))
        .values_list("post_id", "n")
    )


def unit_subtree_q(field: str, unit) -> Q:
    return Q(**{f"{field}__path__startswith": unit.path})


# --- contact suggestions ------------------------------------------------------------------------


def shift_contacts(query: ContactQuery) -> Iterator[ContactEvidence]:
    """The duty roster's source of suggestions: people on the same shift as the case, on the days of
    the infectious window."""
    if query.case_person_id is None or not query.places:
        return
    days = sorted(query.places)
    start, _end = day_bounds(days[0])
    _start, end = day_bounds(days[-1])
    shifts = ShiftMember.objects.filter(
        person_id=query.case_person_id, shift__starts_at__lt=end, shift__ends_at__gt=start
    ).values_list("shift_id", "shift__starts_at", "shift__ends_at")
    wanted = set(days)
    shift_days_of: dict[int, set[datetime.date]] = {}
    for shift_id, s, e in shifts:
        first, last = timezone.localdate(s), timezone.localdate(e - datetime.timedelta(microseconds=1))
        touched = {first + datetime.timedelta(days=n) for n in range((last - first).days + 1)} & wanted
        if touched:
            shift_days_of[shift_id] = touched
    if not shift_days_of:
        return
    found: dict[int, set[datetime.date]] = {}
    for person_id, shift_id in (
        ShiftMember.objects.filter(shift_id__in=list(shift_days_of), person__in=query.candidates)
        .exclude(person_id=query.case_person_id)
        .values_list("person_id", "shift_id")
    ):
        found.setdefault(person_id, set()).update(shift_days_of[shift_id])
    for person_id, shared in found.items():
        yield ContactEvidence(person_id=person_id, days=frozenset(shared), how="duty")


# --- home-page to-dos -----------------------------------------------------------------------------


def todos_for(user, day: datetime.date) -> list[Todo]:
    """Swaps waiting for the user (as the replacement, or to approve), and handovers to accept."""
    if not getattr(user, "is_authenticated", False):
        return []
    found: list[Todo] = []
    asked = Swap.objects.filter(replacement__user=user, status=SwapStatus.REQUESTED).count()
    to_approve = (
        swaps_to_approve(viewer=user).filter(shift__post__unit__in=units_where(user, Swap, Action.APPROVE)).count()
    )
    if asked or to_approve:
        found.append(
            Todo(key="duty.swaps", title=_("Duty swaps to answer"), url=reverse("duty:swaps"), count=asked + to_approve)
        )
    return found


def is_on_a_roster(person) -> bool:
    """Is the person on any duty roster (a shift not yet over)? Opens the duty pages to them."""
    from django.utils import timezone

    return ShiftMember.objects.filter(person=person, shift__ends_at__gt=timezone.now()).exists()
