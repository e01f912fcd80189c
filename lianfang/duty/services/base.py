"""What the duty writes share: who may be put on duty (eligibility), overlaps, the days a shift
touches, and who hears about a post's problems."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.extensions import work_verdicts
from lianfang.core.scoping import Action
from lianfang.duty.models import DutyPost, Leave, Shift, ShiftMember
from lianfang.health.choices import WorkMode
from lianfang.health.models import CheckIn
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.people.models import Person


def shift_days(starts_at: datetime.datetime, ends_at: datetime.datetime) -> list[datetime.date]:
    """The local days a shift touches (08:00 to 08:00 the next day touches two)."""
    first = timezone.localdate(starts_at)
    last = timezone.localdate(ends_at - datetime.timedelta(microseconds=1))
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def describe_shift(shift: Shift) -> str:
    """“甲公司 2026-12-07 08:00–08:00”: the unit, the date and the time, for refusals."""
    start = timezone.localtime(shift.starts_at)
    end = timezone.localtime(shift.ends_at)
    return _("%(unit)s on %(date)s %(start)s–%(end)s") % {
        "unit": shift.post.unit.name,
        "date": f"{start:%Y-%m-%d}",
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }


def in_post_scope(person: Person, post: DutyPost) -> bool:
    return person.unit.path.startswith(post.unit.path)


def ensure_people_in_scope(actor, post: DutyPost, people: Iterable[Person]) -> None:
    """People outside the post's unit (or that the actor may not see) do not exist for this roster:
    404, so that a roster cannot be used to find out who is where."""
    people = list(people)
    visible = set(
        Person.objects.restrict(actor, Action.VIEW).filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True)
    )
    for person in people:
        if person.pk not in visible or not in_post_scope(person, post):
            raise Http404(_("No such person in this unit."))


@dataclass(frozen=True)
class Unavailable:
    person: Person
    day: datetime.date
    reason: str


def unavailable(people: Sequence[Person], days: Sequence[datetime.date]) -> list[Unavailable]:
    """Who among ``people`` may not be on duty on one of ``days``, and why: a check-in guard keeps
    them from work (red, isolation…), a leave entry, or that day's check-in says on leave."""
    found: list[Unavailable] = []
    if not people or not days:
        return found
    by_id = {p.pk: p for p in people}
    ids = list(by_id)
    for day in days:
        for pid, verdict in work_verdicts(ids, day).items():
            if not verdict.may_work and pid in by_id:
                found.append(Unavailable(by_id[pid], day, verdict.label or _("may not come to work")))
    leave_q = Q(person_id__in=ids, starts_on__lte=max(days), ends_on__gte=min(days))
    for leave in Leave.objects.filter(leave_q).order_by("starts_on"):
        for day in days:
            if leave.starts_on <= day <= leave.ends_on:
                reason = _("on leave %(from)s–%(to)s") % {"from": leave.starts_on, "to": leave.ends_on}
                if leave.reason:
                    reason = _("%(reason)s (%(detail)s)") % {"reason": reason, "detail": leave.reason}
                found.append(Unavailable(by_id[leave.person_id], day, reason))
                break
    for pid, day in CheckIn.objects.filter(
        person_id__in=ids, date__in=list(days), work_mode=WorkMode.ON_LEAVE
    ).values_list("person_id", "date"):
        found.append(Unavailable(by_id[pid], day, _("on leave according to the check-in")))
    return found


def ensure_available(people: Sequence[Person], starts_at: datetime.datetime, ends_at: datetime.datetime) -> None:
    problems = unavailable(people, shift_days(starts_at, ends_at))
    if problems:
        first = problems[0]
        raise ValidationError(
            _("%(name)s cannot be put on duty on %(day)s: %(reason)s. Choose someone else.")
            % {"name": first.person.name, "day": first.day, "reason": first.reason}
        )


def ensure_no_overlap(
    people: Sequence[Person],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude_shift: Shift | None = None,
) -> None:
    """Nobody is on two shifts at once (of any post): the refusal names the other shift."""
    clash = ShiftMember.objects.filter(
        person__in=[p.pk for p in people], shift__starts_at__lt=ends_at, shift__ends_at__gt=starts_at
    ).select_related("shift__post__unit", "person")
    if exclude_shift is not None:
        clash = clash.exclude(shift=exclude_shift)
    other = clash.order_by("shift__starts_at").first()
    if other is not None:
        raise ValidationError(
            _("%(name)s is already on duty at that time: %(shift)s.")
            % {"name": other.person.name, "shift": describe_shift(other.shift)}
        )


def ensure_post_free(
    post: DutyPost, starts_at: datetime.datetime, ends_at: datetime.datetime, exclude: Shift | None = None
) -> None:
    clash = Shift.objects.filter(post=post, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    other = clash.select_related("post__unit").first()
    if other is not None:
        raise ValidationError(
            _("This post already has a shift at that time: %(shift)s.") % {"shift": describe_shift(other)}
        )


def ancestor_paths(unit: Unit) -> list[str]:
    steplen = Unit.steplen
    return [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]


def responsible_user_ids(unit: Unit) -> list[int]:
    """Who hears about a post's gaps and conflicts: the liaisons and overall duty leaders holding a
    role on the unit itself, or else on the nearest unit above that has some."""
    rows = RoleAssignment.objects.filter(
        role__in=[Role.UNIT_ADMIN, Role.DUTY_LEADER], unit__path__in=ancestor_paths(unit), user__is_active=True
    ).values_list("unit__path", "user_id")
    by_path: dict[str, list[int]] = {}
    for path, uid in rows:
        by_path.setdefault(path, []).append(uid)
    for path in sorted(by_path, key=len, reverse=True):
        return sorted(set(by_path[path]))
    return []
