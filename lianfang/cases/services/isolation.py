"""Writes of isolation orders (隔离 / 医学观察) and their daily follow-ups (随访).

* An order's planned end comes from the group's durations (:func:`planned_end`); a different end
  needs a reason, kept on the order and in the change log.
* One person has one isolation at a time: an order that overlaps another of the same person is
  refused with the other's dates. The person's row is locked while checking, so two orders at the
  same moment cannot both pass.
* Follow-ups: ``followups_per_day`` readings a day (slot 1..N), recorded by the responsible person
  or a case manager. A fever notifies the case managers at once.
* Missed follow-ups (:func:`missed_slots`): a slot of an earlier day that was not recorded, or a slot
  of today once its time has passed. The day from 08:00 to 20:00 is split into N equal parts and
  slot k is due at the end of part k (two a day: 14:00 and 20:00; one: 20:00).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.cases.choices import IsolationKind, IsolationReason, TestResult
from lianfang.cases.models import Case, Contact, FollowUp, Isolation, MissedFollowUpRun
from lianfang.cases.schedule import isolations_active_on, missed_slots
from lianfang.cases.services.base import (
    _ensure,
    _ensure_visible_person,
    ancestor_paths,
    recompute_on_commit,
    role_holder_ids,
)
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.roles import role_allows
from lianfang.org.scoping import allowed_paths, can, ensure_in_scope, units_where
from lianfang.people.models import Person

TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")


def _who_may_isolate() -> str:
    return _("Only case managers of the person's unit and the group office may order and change isolation.")


# --- durations ----------------------------------------------------------------------------------


def planned_end(
    kind: str, start_on: datetime.date, settings: GroupSettings | None = None
) -> tuple[datetime.date, datetime.date | None]:
    """The standard (planned end, home monitoring until) of an order starting on ``start_on``.

    Centralised: ``isolation_central_days`` then ``isolation_home_monitoring_days`` of monitoring at
    home (7 + 3 by default); home: ``isolation_home_days``; hospital: ``isolation_hospital_days``.
    The end is the day the order ends (start 20 Nov + 7 days → 27 Nov).
    """
    settings = settings or GroupSettings.load()
    if kind == IsolationKind.CENTRAL:
        end = start_on + datetime.timedelta(days=settings.isolation_central_days)
        monitoring = settings.isolation_home_monitoring_days
        return end, (end + datetime.timedelta(days=monitoring)) if monitoring else None
    if kind == IsolationKind.HOME:
        return start_on + datetime.timedelta(days=settings.isolation_home_days), None
    if kind == IsolationKind.HOSPITAL:
        return start_on + datetime.timedelta(days=settings.isolation_hospital_days), None
    raise ValidationError({"kind": _("Choose home isolation, centralised isolation or hospital observation.")})


def isolation_range_end(isolation: Isolation) -> datetime.date:
    """The last day the order covers: the release day, else the planned end (monitoring excluded)."""
    return isolation.released_on or isolation.planned_end_on


# --- responsible people -------------------------------------------------------------------------


def responsible_roles() -> list[str]:
    """Roles whose holders may follow an isolated person up: those that may manage isolation (the
    case team, the office), the unit's administrator (liaison) and its duty officers."""
    managing = [role for role in Role.values if role_allows(role, "cases.isolation", Action.CHANGE)]
    return [*managing, Role.UNIT_ADMIN, Role.DUTY_OFFICER]


def responsible_refusal() -> str:
    return _(
        "Choose a case manager, the unit administrator (liaison) or a duty officer of the person's unit or of a "
        "unit above it to follow them up."
    )


def responsible_choices(*, actor, unit: Unit | None) -> QuerySet:
    """Users who may be made responsible for following up a person of ``unit``: active users holding
    one of :func:`responsible_roles` on the unit or a unit above it (their role covers the person),
    and the actor, who may order isolation there.

    Without a unit (a form before the person is known), those eligible for some unit where the actor
    may order isolation; the service checks the person's own unit when the order is written.
    """
    user_model = get_user_model()
    roles = responsible_roles()
    if unit is not None:
        holders = RoleAssignment.objects.filter(role__in=roles, unit__path__in=ancestor_paths(unit))
    else:
        scope = units_where(actor, Isolation, Action.ADD)
        above = {path for root in allowed_paths(actor, "cases.isolation", Action.ADD) for path in _path_and_above(root)}
        holders = RoleAssignment.objects.filter(Q(unit__in=scope) | Q(unit__path__in=above), role__in=roles)
    pk = getattr(actor, "pk", None)
    return user_model.objects.filter(Q(pk__in=holders.values("user_id")) | Q(pk=pk), is_active=True).order_by(
        "username"
    )


def _path_and_above(path: str) -> list[str]:
    step = Unit.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def ensure_may_be_responsible(*, actor, unit: Unit, responsible) -> None:
    """Refuse (400 on the API, a form error on the page) a responsible person who holds no eligible role
    over the isolated person's unit: they would read the isolation and write its follow-ups."""
    if not responsible_choices(actor=actor, unit=unit).filter(pk=responsible.pk).exists():
        raise ValidationError({"responsible": responsible_refusal()})


# --- orders -------------------------------------------------------------------------------------


def _overlapping(person: Person, start_on: datetime.date, end_on: datetime.date, exclude_pk: int | None = None):
    """Another order of the person that covers a day of [start_on, end_on]. An order still open covers
    every day from its start until it is released (even past its planned end); a released one, the
    days before its release day, so a new order may start on the day the last one was released."""
    qs = Isolation.objects.filter(person=person, start_on__lte=end_on).filter(
        Q(released_on__isnull=True) | Q(released_on__gt=start_on)
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related("person").order_by("start_on").first()


def _refuse_overlap(other: Isolation) -> None:
    values = {
        "name": other.person.name,
        "kind": other.get_kind_display().lower(),
        "start": other.start_on.isoformat(),
        "end": (other.released_on or other.planned_end_on).isoformat(),
    }
    if other.released_on is not None:
        message = _(
            "%(name)s was under %(kind)s from %(start)s until released on %(end)s; start the new isolation on or "
            "after that day."
        )
    else:
        message = _(
            "%(name)s is already under %(kind)s from %(start)s to %(end)s; release it or change its dates first."
        )
    raise ValidationError({"start_on": message % values})


@transaction.atomic
def isolation_order(
    *,
    actor,
    person: Person,
    kind: str,
    reason: str = IsolationReason.CONTACT,
    start_on: datetime.date | None = None,
    planned_end_on: datetime.date | None = None,
    monitoring_end_on: datetime.date | None = None,
    end_change_reason: str = "",
    place: str = "",
    responsible=None,
    case: Case | None = None,
    contact: Contact | None = None,
) -> Isolation:
    """Order home isolation, centralised isolation or hospital observation for a roster person.

    The planned end defaults to the group's standard duration; another end needs a reason. The
    responsible person (default: the actor) follows the person up every day. A case's isolation date
    is filled in from the order if it was empty.
    """
    # The person's row is locked: two orders for one person are checked for overlap one after the other.
    person = Person.objects.select_for_update(of=("self",)).select_related("unit").get(pk=person.pk)
    _ensure_visible_person(actor, person)
    unit = person.unit
    _ensure(actor, Action.ADD, Isolation, unit, _who_may_isolate())
    today = timezone.localdate()
    start_on = start_on or today
    if start_on > today + datetime.timedelta(days=1):
        raise ValidationError({"start_on": _("An isolation starts today or tomorrow at the latest; enter its start.")})
    if kind not in IsolationKind.values:
        raise ValidationError({"kind": _("Choose home isolation, centralised isolation or hospital observation.")})
    if reason not in IsolationReason.values:
        raise ValidationError({"reason": _("Choose why the person is isolated.")})
    standard_end, standard_monitoring = planned_end(kind, start_on)
    end_change_reason = end_change_reason.strip()
    if planned_end_on is None:
        planned_end_on = standard_end
        monitoring_end_on = monitoring_end_on or standard_monitoring
    elif planned_end_on != standard_end and not end_change_reason:
        raise ValidationError(
            {
                "end_change_reason": _("The standard end is %(date)s; say why this isolation ends on another day.")
                % {"date": standard_end.isoformat()}
            }
        )
    if planned_end_on < start_on:
        raise ValidationError(
            {
                "planned_end_on": _("An isolation cannot end before it starts; enter an end on or after %(date)s.")
                % {"date": start_on.isoformat()}
            }
        )
    if monitoring_end_on is not None and monitoring_end_on < planned_end_on:
        raise ValidationError({"monitoring_end_on": _("Home monitoring follows the isolation; enter a later day.")})
    if case is not None and case.person_id != person.pk:
        raise ValidationError({"case": _("This case is another person's; open the person's own case.")})
    if contact is not None and contact.person_id != person.pk:
        raise ValidationError({"contact": _("This contact record is another person's.")})
    responsible = responsible or actor
    ensure_may_be_responsible(actor=actor, unit=unit, responsible=responsible)
    other = _overlapping(person, start_on, planned_end_on)
    if other is not None:
        _refuse_overlap(other)
    isolation = Isolation(
        person=person,
        unit=unit,
        kind=kind,
        reason=reason,
        case=case,
        contact=contact,
        start_on=start_on,
        planned_end_on=planned_end_on,
        monitoring_end_on=monitoring_end_on,
        end_change_reason=end_change_reason if planned_end_on != standard_end else "",
        place=place.strip(),
        responsible=responsible,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    isolation.full_clean(
        exclude=["person", "unit", "case", "contact", "responsible", "created_by"], validate_constraints=False
    )
    isolation.save()
    record_change(actor=actor, obj=isolation, action=ChangeAction.CREATE)
    if case is not None and case.isolated_on is None:
        before = snapshot(case)
        case.isolated_on = min(start_on, today)
        case.save(update_fields=["isolated_on", "updated"])
        record_change(actor=actor, obj=case, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, isolation, Action.VIEW)
    recompute_on_commit([person.pk])
    return isolation


@transaction.atomic
def isolation_change_end(
    *,
    actor,
    isolation: Isolation,
    planned_end_on: datetime.date,
    reason: str,
    monitoring_end_on: datetime.date | None = None,
    responsible=None,
    place: str | None = None,
) -> Isolation:
    """Change an order's planned end (with a reason), and perhaps its place or responsible person."""
    Person.objects.select_for_update().filter(pk=isolation.person_id).first()
    isolation = Isolation.objects.select_for_update(of=("self",)).select_related("person", "unit").get(pk=isolation.pk)
    _ensure(actor, Action.CHANGE, Isolation, isolation.unit, _who_may_isolate())
    if isolation.released_on is not None:
        raise ValidationError({"planned_end_on": _("This isolation was released; order a new one if needed.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the planned end changes.")})
    if planned_end_on < isolation.start_on:
        raise ValidationError(
            {
                "planned_end_on": _("An isolation cannot end before it starts; enter an end on or after %(date)s.")
                % {"date": isolation.start_on.isoformat()}
            }
        )
    if monitoring_end_on is not None and monitoring_end_on < planned_end_on:
        raise ValidationError({"monitoring_end_on": _("Home monitoring follows the isolation; enter a later day.")})
    other = _overlapping(isolation.person, isolation.start_on, planned_end_on, exclude_pk=isolation.pk)
    if other is not None:
        _refuse_overlap(other)
    if responsible is not None and responsible.pk != isolation.responsible_id:
        ensure_may_be_responsible(actor=actor, unit=isolation.unit, responsible=responsible)
        isolation.responsible = responsible
    before = snapshot(isolation)
    if isolation.kind == IsolationKind.CENTRAL and monitoring_end_on is None and isolation.monitoring_end_on:
        # Keep the length of home monitoring when the centralised part moves.
        length = isolation.monitoring_end_on - isolation.planned_end_on
        monitoring_end_on = planned_end_on + length
    isolation.planned_end_on = planned_end_on
    isolation.monitoring_end_on = monitoring_end_on
    isolation.end_change_reason = reason.strip()[:200]
    if place is not None:
        isolation.place = place.strip()
    isolation.full_clean(
        exclude=["person", "unit", "case", "contact", "responsible", "created_by"], validate_constraints=False
    )
    isolation.save()
    record_change(actor=actor, obj=isolation, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, isolation, Action.CHANGE)
    recompute_on_commit([isolation.person_id])
    return isolation


@transaction.atomic
def isolation_release(
    *,
    actor,
    isolation: Isolation,
    released_on: datetime.date | None = None,
    test_result: str = TestResult.NEGATIVE,
    test_on: datetime.date | None = None,
    note: str = "",
) -> Isolation:
    """Release a person from isolation with the test result; their status is recomputed."""
    isolation = Isolation.objects.select_for_update(of=("self",)).select_related("person", "unit").get(pk=isolation.pk)
    _ensure(actor, Action.CHANGE, Isolation, isolation.unit, _who_may_isolate())
    if isolation.released_on is not None:
        raise ValidationError(
            {"released_on": _("This isolation was already released on %(date)s.") % {"date": isolation.released_on}}
        )
    today = timezone.localdate()
    released_on = released_on or today
    if released_on > today:
        raise ValidationError({"released_on": _("A release cannot be in the future; release on the day itself.")})
    if released_on < isolation.start_on:
        raise ValidationError(
            {
                "released_on": _("An isolation cannot be released before it starts (%(date)s).")
                % {"date": isolation.start_on.isoformat()}
            }
        )
    if test_result not in TestResult.values:
        raise ValidationError({"test_result": _("Choose the test result: negative, positive or not tested.")})
    if test_on is not None and test_on > released_on:
        raise ValidationError({"test_on": _("The test comes before the release; enter the day of the test.")})
    if test_result == TestResult.POSITIVE:
        raise ValidationError(
            {
                "test_result": _(
                    "A positive test is not a release: register or confirm the case, and keep the person isolated."
                )
            }
        )
    before = snapshot(isolation)
    isolation.released_on = released_on
    isolation.release_test_result = test_result
    isolation.release_test_on = test_on if test_result != TestResult.NOT_TESTED else None
    isolation.release_note = note.strip()[:200]
    isolation.save()
    record_change(actor=actor, obj=isolation, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, isolation, Action.CHANGE)
    recompute_on_commit([isolation.person_id])
    return isolation


# --- follow-ups ---------------------------------------------------------------------------------


def may_record_followup(actor, isolation: Isolation) -> bool:
    """The responsible person, or someone allowed to add follow-ups in the person's unit."""
    if getattr(actor, "pk", None) is not None and isolation.responsible_id == actor.pk and actor.is_active:
        return True
    return can(actor, Action.ADD, FollowUp, isolation.unit)


def parse_temperature(value: Any) -> Decimal:
    try:
        temperature = Decimal(str(value).strip().replace(",", ".")).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"temperature": _("Enter the temperature as a number, e.g. 36.5.")}) from None
    if not (TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX):
        raise ValidationError({"temperature": _("Enter a body temperature between 34.0 and 43.0 °C.")})
    return temperature


def followup_is_fever(followup: FollowUp, settings: GroupSettings | None = None) -> bool:
    settings = settings or GroupSettings.load()
    return followup.temperature >= settings.fever_threshold


@transaction.atomic
def followup_record(
    *,
    actor,
    isolation: Isolation,
    slot: int,
    temperature: Any,
    date: datetime.date | None = None,
    symptoms: Sequence[str] = (),
    note: str = "",
) -> tuple[FollowUp, bool]:
    """Record reading ``slot`` of a day (or correct it); returns ``(followup, created)``.

    A fever (at or above the group's threshold) notifies the case managers of the person's unit.
    """
    from lianfang.health.choices import Symptom

    isolation = Isolation.objects.select_related("person", "unit").get(pk=isolation.pk)
    if not may_record_followup(actor, isolation):
        raise PermissionDenied(
            _("Only the person responsible for this isolation and the case managers may record follow-ups.")
        )
    settings = GroupSettings.load()
    today = timezone.localdate()
    date = date or today
    if date > today:
        raise ValidationError({"date": _("A follow-up cannot be recorded for a future day.")})
    if date < isolation.start_on or (isolation.released_on is not None and date >= isolation.released_on):
        raise ValidationError(
            {
                "date": _("The person was not in this isolation on %(date)s; choose a day of the isolation.")
                % {"date": date.isoformat()}
            }
        )
    if not 1 <= int(slot) <= settings.followups_per_day:
        raise ValidationError({"slot": _("Choose reading 1 to %(n)d of the day.") % {"n": settings.followups_per_day}})
    temp = parse_temperature(temperature)
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        raise ValidationError({"symptoms": _("Choose symptoms from the list.")})
    existing = FollowUp.objects.select_for_update().filter(isolation=isolation, date=date, slot=slot).first()
    values = {"temperature": temp, "symptoms": list(dict.fromkeys(symptoms)), "note": note.strip()[:200]}
    if existing is None:
        followup = FollowUp(
            isolation=isolation, unit=isolation.unit, date=date, slot=int(slot), recorded_by=actor, **values
        )
        try:
            with transaction.atomic():
                followup.save()
        except IntegrityError:  # recorded a moment ago from another phone: correct it instead
            existing = FollowUp.objects.select_for_update().get(isolation=isolation, date=date, slot=slot)
        else:
            record_change(actor=actor, obj=followup, action=ChangeAction.CREATE)
            created = True
    if existing is not None:
        followup = existing
        before = snapshot(followup)
        was_fever = followup_is_fever(followup, settings)
        for key, value in values.items():
            setattr(followup, key, value)
        followup.recorded_by = actor
        followup.save()
        record_change(actor=actor, obj=followup, action=ChangeAction.UPDATE, before=before)
        created = False
    else:
        was_fever = False
    if followup_is_fever(followup, settings) and not was_fever:
        _notify_fever(followup, isolation)
    if isolation.responsible_id != getattr(actor, "pk", None):
        ensure_in_scope(actor, followup, Action.ADD)
    recompute_on_commit([isolation.person_id])
    return followup, created


def _notify_fever(followup: FollowUp, isolation: Isolation) -> None:
    managers = role_holder_ids(isolation.unit, [Role.CASE_MANAGER]) or role_holder_ids(
        isolation.unit, [Role.GROUP_ADMIN]
    )
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Fever at follow-up: %(name)s (%(unit)s)") % {
            "name": isolation.person.name,
            "unit": isolation.unit.name,
        }
        body = _("%(name)s, under %(kind)s, had %(temperature)s °C at reading %(slot)d on %(date)s.") % {
            "name": isolation.person.name,
            "kind": isolation.get_kind_display().lower(),
            "temperature": followup.temperature,
            "slot": followup.slot,
            "date": followup.date.isoformat(),
        }
    message_send(
        recipients=managers,
        kind=MessageKind.FOLLOWUP_FEVER,
        title=title,
        body=body,
        url=reverse("cases:isolation-detail", args=[isolation.pk]),
    )


# --- missed follow-ups --------------------------------------------------------------------------


@transaction.atomic
def followups_notify_missed(*, day: datetime.date | None = None, now: datetime.datetime | None = None) -> int | None:
    """Tell each responsible person (and the case managers of the units) which readings of ``day``
    (default: yesterday) were missed. Runs once per day: a second call returns None and sends nothing.
    Returns the number of isolations with missed readings."""
    now = now or timezone.now()
    day = day or (timezone.localtime(now).date() - datetime.timedelta(days=1))
    try:
        with transaction.atomic():
            run = MissedFollowUpRun.objects.create(date=day)
    except IntegrityError:
        return None
    isolations = list(isolations_active_on(day).select_related("person", "unit"))
    # The whole of ``day`` is over when this runs for yesterday; for today only due slots count.
    missed = missed_slots(isolations, now=now, only_day=day)
    by_responsible: dict[int, list[Isolation]] = defaultdict(list)
    by_manager: dict[int, list[Isolation]] = defaultdict(list)
    for iso in isolations:
        if iso.pk not in missed:
            continue
        by_responsible[iso.responsible_id].append(iso)
        for uid in role_holder_ids(iso.unit, [Role.CASE_MANAGER]):
            if uid != iso.responsible_id:
                by_manager[uid].append(iso)
    url = reverse("cases:followups")
    with translation.override(django_settings.LANGUAGE_CODE):
        for groups in (by_responsible, by_manager):
            for uid, items in groups.items():
                lines = [
                    _("%(name)s (%(unit)s): readings %(slots)s")
                    % {
                        "name": iso.person.name,
                        "unit": iso.unit.name,
                        "slots": ", ".join(str(m.slot) for m in missed[iso.pk]),
                    }
                    for iso in items
                ]
                message_send(
                    recipients=[uid],
                    kind=MessageKind.FOLLOWUP_MISSED,
                    title=_("Follow-ups missed on %(date)s: %(count)d people") % {"date": day, "count": len(items)},
                    body="\n".join(lines),
                    url=url,
                )
    run.notified = len(missed)
    run.save(update_fields=["notified"])
    return len(missed)
