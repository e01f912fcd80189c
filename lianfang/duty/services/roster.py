"""Duty posts, shifts and their people, leave, and rosters generated from a rota pattern."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.rrule import DAILY, rrule
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, record_changes, record_event, snapshot
from lianfang.core.models import AuditKind, ChangeAction
from lianfang.core.scoping import Action
from lianfang.duty.choices import MemberRole
from lianfang.duty.models import DutyPost, Leave, Shift, ShiftMember
from lianfang.duty.services.base import (
    ensure_available,
    ensure_no_overlap,
    ensure_people_in_scope,
    ensure_post_free,
    shift_days,
    unavailable,
)
from lianfang.org.models import Unit
from lianfang.org.scoping import ensure_can, ensure_in_scope
from lianfang.people.models import Person

POST_FIELDS = ("name", "phone", "pattern", "day_starts", "night_starts", "post_duty_list", "is_active")


# --- posts ------------------------------------------------------------------------------------------


@transaction.atomic
def post_create(*, actor, unit: Unit, phone: str, **fields: Any) -> DutyPost:
    """The office makes a unit keep duty."""
    ensure_can(actor, Action.ADD, DutyPost, unit)
    if DutyPost.objects.filter(unit=unit).exists():
        raise ValidationError(_("%(unit)s already keeps duty.") % {"unit": unit.name})
    post = DutyPost(unit=unit, phone=phone, **{k: v for k, v in fields.items() if k in POST_FIELDS})
    post.full_clean()
    post.save()
    record_change(actor=actor, obj=post, action=ChangeAction.CREATE)
    ensure_in_scope(actor, post, Action.CHANGE)
    return post


@transaction.atomic
def post_update(*, actor, post: DutyPost, **fields: Any) -> DutyPost:
    post = DutyPost.objects.select_for_update().get(pk=post.pk)
    ensure_can(actor, Action.CHANGE, DutyPost, post.unit)
    before = snapshot(post)
    for name, value in fields.items():
        if name in POST_FIELDS:
            setattr(post, name, value)
    post.full_clean()
    post.save()
    record_change(actor=actor, obj=post, action=ChangeAction.UPDATE, before=before)
    return post


# --- shifts -----------------------------------------------------------------------------------------


def _check_people(actor, post: DutyPost, leader: Person | None, officers: Sequence[Person]) -> list[Person]:
    people = ([leader] if leader else []) + list(officers)
    if not people:
        raise ValidationError(_("A shift needs a leader on duty or at least one duty officer."))
    ids = [p.pk for p in people]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("Each person can be on a shift only once."))
    ensure_people_in_scope(actor, post, people)
    return people


def _write_members(shift: Shift, leader: Person | None, officers: Sequence[Person]) -> None:
    rows = []
    if leader is not None:
        rows.append(ShiftMember(shift=shift, person=leader, role=MemberRole.LEADER))
    rows += [ShiftMember(shift=shift, person=p, role=MemberRole.OFFICER) for p in officers]
    ShiftMember.objects.bulk_create(rows)


def _members_after(shift: Shift) -> dict[str, Any]:
    return {
        "members": [
            f"{m.get_role_display()}: {m.person.name}"
            for m in shift.members.select_related("person").order_by("role", "id")
        ]
    }


@transaction.atomic
def shift_create(
    *,
    actor,
    post: DutyPost,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    leader: Person | None = None,
    officers: Sequence[Person] = (),
    note: str = "",
) -> Shift:
    """A shift put on the roster by hand: everyone on it must be in the unit, allowed to work and not
    on leave on each day it touches, and not on another shift at the same time."""
    ensure_can(actor, Action.ADD, Shift, post.unit)
    if not post.is_active:
        raise ValidationError(_("This unit no longer keeps duty."))
    shift = Shift(post=post, starts_at=starts_at, ends_at=ends_at, note=note)
    shift.full_clean(validate_constraints=False)
    people = _check_people(actor, post, leader, officers)
    ensure_post_free(post, starts_at, ends_at)
    ensure_available(people, starts_at, ends_at)
    ensure_no_overlap(people, starts_at, ends_at)
    shift.save()
    _write_members(shift, leader, officers)
    record_change(actor=actor, obj=shift, action=ChangeAction.CREATE, extra_after=_members_after(shift))
    ensure_in_scope(actor, shift, Action.CHANGE)
    return shift


@transaction.atomic
def shift_set_members(
    *, actor, shift: Shift, leader: Person | None, officers: Sequence[Person], note: str | None = None
) -> Shift:
    """Edit a shift's people by hand (after generation, or the office overriding). People already
    on the shift are not checked again; newcomers are."""
    shift = Shift.objects.select_for_update().select_related("post__unit").get(pk=shift.pk)
    ensure_can(actor, Action.CHANGE, Shift, shift.post.unit)
    people = _check_people(actor, shift.post, leader, officers)
    before = {**snapshot(shift), **_members_after(shift)}
    current = set(shift.members.values_list("person_id", flat=True))
    newcomers = [p for p in people if p.pk not in current]
    ensure_available(newcomers, shift.starts_at, shift.ends_at)
    ensure_no_overlap(newcomers, shift.starts_at, shift.ends_at, exclude_shift=shift)
    shift.members.all().delete()
    _write_members(shift, leader, officers)
    if note is not None:
        shift.note = note
        shift.save(update_fields=["note", "updated"])
    shift.conflicts.exclude(person__in=[p.pk for p in people]).delete()
    record_change(actor=actor, obj=shift, action=ChangeAction.UPDATE, before=before, extra_after=_members_after(shift))
    return shift


@transaction.atomic
def shift_delete(*, actor, shift: Shift) -> None:
    ensure_can(actor, Action.DELETE, Shift, shift.post.unit)
    before = snapshot(shift)
    record_change(actor=actor, obj=shift, action=ChangeAction.DELETE, before=before)
    shift.delete()


# --- leave ------------------------------------------------------------------------------------------


@transaction.atomic
def leave_create(*, actor, person: Person, starts_on: datetime.date, ends_on: datetime.date, reason: str = "") -> Leave:
    """A leave entry in the roster: the person cannot be put on duty on those days."""
    ensure_can(actor, Action.ADD, Leave, person.unit)
    leave = Leave(person=person, starts_on=starts_on, ends_on=ends_on, reason=reason, created_by=actor)
    if ends_on < starts_on:
        raise ValidationError(_("Leave must end on or after the day it starts."))
    leave.full_clean()
    leave.save()
    record_change(actor=actor, obj=leave, action=ChangeAction.CREATE)
    ensure_in_scope(actor, leave, Action.CHANGE)
    return leave


@transaction.atomic
def leave_delete(*, actor, leave: Leave) -> None:
    ensure_can(actor, Action.DELETE, Leave, leave.person.unit)
    record_change(actor=actor, obj=leave, action=ChangeAction.DELETE, before=snapshot(leave))
    leave.delete()


# --- roster generation from a rota pattern (ADR 0014) ------------------------------------------------


@dataclass
class RosterResult:
    created: list[Shift] = field(default_factory=list)
    skipped: list[datetime.datetime] = field(default_factory=list)  # a shift already starts then
    problems: list[str] = field(default_factory=list)  # people passed over, and why


def rota_starts(
    post: DutyPost, starts_on: datetime.date, ends_on: datetime.date, weekdays=None
) -> list[datetime.datetime]:
    """Every shift start of the post from ``starts_on`` to ``ends_on`` (inclusive): a daily rrule
    (optionally on some weekdays only) at each of the post's shift-change times, as aware local times."""
    starts: list[datetime.datetime] = []
    for at in post.shift_starts():
        rule = rrule(
            DAILY,
            dtstart=datetime.datetime.combine(starts_on, at),
            until=datetime.datetime.combine(ends_on, at),
            byweekday=weekdays,
        )
        starts += [timezone.make_aware(naive) for naive in rule]
    return sorted(starts)


def _shift_end(post: DutyPost, start: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(start)
    times = post.shift_starts()
    later = [t for t in times if t > local.time()]
    if later:
        end = datetime.datetime.combine(local.date(), later[0])
    else:
        end = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), times[0])
    return timezone.make_aware(end)


class _Rotation:
    """Round robin through a list of people, passing over those who cannot take a shift."""

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = list(people)
        self.next = 0

    def take(self, n: int, fits) -> list[Person]:
        chosen: list[Person] = []
        for _step in range(len(self.people)):
            if len(chosen) == n:
                break
            person = self.people[self.next % len(self.people)]
            self.next += 1
            if person not in chosen and fits(person):
                chosen.append(person)
        return chosen


@transaction.atomic
def roster_generate(
    *,
    actor,
    post: DutyPost,
    starts_on: datetime.date,
    ends_on: datetime.date,
    leaders: Sequence[Person],
    officers: Sequence[Person],
    officers_per_shift: int = 1,
    weekdays: Sequence[int] | None = None,
) -> RosterResult:
    """Fill the post's shifts from ``starts_on`` to ``ends_on`` rolling through ``leaders`` and
    ``officers`` in order. Starts that already have a shift are left as they are; people who cannot
    take a shift (leave, may not work, on another shift) are passed over and named in ``problems``;
    a shift nobody can take is not created (the coverage check then shows the gap). Edit by hand after."""
    ensure_can(actor, Action.ADD, Shift, post.unit)
    if not leaders and not officers:
        raise ValidationError(_("Name at least one leader on duty or duty officer to roll through."))
    if ends_on < starts_on:
        raise ValidationError(_("The roster must end on or after the day it starts."))
    if (ends_on - starts_on).days > 92:
        raise ValidationError(_("Generate at most three months at a time."))
    if not 1 <= officers_per_shift <= 10:
        raise ValidationError(_("Between 1 and 10 duty officers per shift."))
    ensure_people_in_scope(actor, post, [*leaders, *officers])
    starts = rota_starts(post, starts_on, ends_on, weekdays)
    result = RosterResult()
    if not starts:
        return result
    existing = set(
        Shift.objects.filter(post=post, starts_at__gte=starts[0], starts_at__lte=starts[-1]).values_list(
            "starts_at", flat=True
        )
    )
    everyone = list({p.pk: p for p in [*leaders, *officers]}.values())
    days = shift_days(starts[0], _shift_end(post, starts[-1]))
    blocked = {(u.person.pk, u.day): u.reason for u in unavailable(everyone, days)}
    busy = [
        (pid, s, e)
        for pid, s, e in ShiftMember.objects.filter(
            person__in=[p.pk for p in everyone],
            shift__starts_at__lt=_shift_end(post, starts[-1]),
            shift__ends_at__gt=starts[0],
        ).values_list("person_id", "shift__starts_at", "shift__ends_at")
    ]
    leader_rota, officer_rota = _Rotation(leaders), _Rotation(officers)
    for start in starts:
        if start in existing:
            result.skipped.append(start)
            continue
        end = _shift_end(post, start)
        shift_day_list = shift_days(start, end)
        taken: list[Person] = []

        def fits(person: Person, start=start, end=end, shift_day_list=shift_day_list, taken=taken) -> bool:
            for day in shift_day_list:
                if (person.pk, day) in blocked:
                    result.problems.append(
                        _("%(name)s passed over on %(day)s: %(reason)s")
                        % {"name": person.name, "day": day, "reason": blocked[(person.pk, day)]}
                    )
                    return False
            if any(pid == person.pk and s < end and e > start for pid, s, e in busy):
                return False
            return person not in taken

        picked = leader_rota.take(1, fits) if leaders else []
        leader: Person | None = picked[0] if picked else None
        if leader is not None:
            taken.append(leader)
        crew = officer_rota.take(officers_per_shift, fits) if officers else []
        if leader is None and not crew:
            result.problems.append(
                _("Nobody could take the shift starting %(start)s.")
                % {"start": f"{timezone.localtime(start):%Y-%m-%d %H:%M}"}
            )
            continue
        shift = Shift.objects.create(post=post, starts_at=start, ends_at=end)
        _write_members(shift, leader, crew)
        for p in [leader, *crew]:
            if p is not None:
                busy.append((p.pk, start, end))
        result.created.append(shift)
    result.problems = list(dict.fromkeys(result.problems))
    record_changes(actor=actor, items=[(s, ChangeAction.CREATE, None) for s in result.created])
    return result


def on_duty_phones_shown(*, actor, rows: Sequence[Any], source: str) -> int:
    """Record that the "on duty now" list showed the viewer people's full phone numbers (to call them):
    one audit event for the page or answer, naming how many; none when every number was masked."""
    shown = sum(1 for row in rows for phone in row.phones.values() if phone and "*" not in phone)
    if shown:
        record_event(
            kind=AuditKind.UNMASK,
            actor=actor,
            object_repr=_("On duty now"),
            field="phone",
            people=shown,
            source=source,
        )
    return shown
