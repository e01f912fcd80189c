"""Deployments (下沉): created by the team's unit, called up to every eligible member, accepted first
come until the slots are full, started, ended with a short report, hours recorded per shift.

Accepting is safe when many members accept at once: the deployment's row is locked while the
accepted are counted (``select_for_update(of=("self",))``), so the last slot goes to exactly one
member and a late accept is told "full" with nothing written. The person's row is locked next, so
two deployments one person accepts at the same moment are compared one after the other.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import work_verdicts
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.notify.services import message_send
from lianfang.org.models import Unit
from lianfang.org.scoping import can
from lianfang.people.models import Person
from lianfang.teams import selectors
from lianfang.teams.choices import DeploymentStatus
from lianfang.teams.models import Assignment, Deployment, ShiftHours, Team, TeamMember
from lianfang.teams.services.teams import clean_skills

KIND_CALL_UP = "teams_call_up"
KIND_ENDED = "teams_deployment_ended"
KIND_CANCELLED = "teams_deployment_cancelled"
_PHONE = re.compile(r"^[0-9+\- ]{5,20}$")


class DeploymentFull(ValidationError):
    """A late accept: every slot is taken. Nothing was written."""

    def __init__(self) -> None:
        super().__init__(_("Sorry, this deployment is full: every slot has been taken."))


def deployment_url(deployment: Deployment) -> str:
    return reverse("teams:deployment", args=[deployment.pk])


def _describe(deployment: Deployment) -> str:
    return _("%(place)s %(first)s–%(last)s, %(start)s–%(end)s") % {
        "place": deployment.place,
        "first": f"{deployment.starts_on:%m-%d}",
        "last": f"{deployment.ends_on:%m-%d}",
        "start": f"{deployment.shift_start:%H:%M}",
        "end": f"{deployment.shift_end:%H:%M}",
    }


def _tell(user_ids: Iterable[int | None], *, kind: str, title: str, body: str, deployment: Deployment) -> int:
    ids = [pk for pk in dict.fromkeys(user_ids) if pk]
    return message_send(recipients=ids, kind=kind, title=title, body=body, url=deployment_url(deployment))


def _clean_deployment(
    *,
    actor,
    site: Unit | None,
    place_name: str,
    contact_name: str,
    contact_phone: str,
    starts_on,
    ends_on,
    shift_start,
    shift_end,
    people_needed,
    skills_needed: Iterable[str],
) -> dict:
    errors: dict[str, list[str]] = {}
    today = selectors.today()
    place_name, contact_name = (place_name or "").strip(), (contact_name or "").strip()
    contact_phone = (contact_phone or "").strip()
    if site is not None and not Unit.objects.restrict(actor, Action.VIEW).filter(pk=site.pk).exists():
        raise Http404
    if site is None and not place_name:
        errors["place_name"] = [_("Choose a unit's site, or name the outside place, e.g. 幸福里社区.")]
    if site is None and place_name and not contact_name:
        errors["contact_name"] = [_("Give the name of the contact at the place.")]
    if contact_phone and not _PHONE.match(contact_phone):
        errors["contact_phone"] = [_("Write the phone number with digits only, e.g. 13800138000.")]
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = [_("Give the first day, as YYYY-MM-DD.")]
    elif starts_on < today:
        errors["starts_on"] = [_("The first day cannot be in the past (today is %(today)s).") % {"today": today}]
    if not isinstance(ends_on, datetime.date):
        errors["ends_on"] = [_("Give the last day, as YYYY-MM-DD.")]
    elif isinstance(starts_on, datetime.date):
        if ends_on < starts_on:
            errors["ends_on"] = [_("The last day cannot be before the first day: give a later day.")]
        elif (ends_on - starts_on).days >= selectors.MAX_DAYS:
            errors["ends_on"] = [
                _("A deployment lasts at most %(days)d days: give an earlier last day.") % {"days": selectors.MAX_DAYS}
            ]
    if not isinstance(shift_start, datetime.time):
        errors["shift_start"] = [_("Give the time the shift starts, as HH:MM.")]
    if not isinstance(shift_end, datetime.time):
        errors["shift_end"] = [_("Give the time the shift ends, as HH:MM.")]
    elif isinstance(shift_start, datetime.time) and shift_end <= shift_start:
        errors["shift_end"] = [_("The shift must end after it starts, on the same day.")]
    if not isinstance(people_needed, int) or not 1 <= people_needed <= 500:
        errors["people_needed"] = [_("Give the number of people needed, from 1 to 500.")]
    try:
        skills = clean_skills(skills_needed, field="skills_needed")
    except ValidationError as e:
        errors.update(e.message_dict)
        skills = []
    if errors:
        raise ValidationError(errors)
    return {
        "site": site,
        "place_name": "" if site is not None else place_name[:100],
        "contact_name": contact_name[:50],
        "contact_phone": contact_phone,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "shift_start": shift_start,
        "shift_end": shift_end,
        "people_needed": people_needed,
        "skills_needed": skills,
    }


@transaction.atomic
def deployment_create(
    *,
    actor,
    team: Team,
    starts_on,
    ends_on,
    shift_start,
    shift_end,
    people_needed,
    site: Unit | None = None,
    place_name: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    skills_needed: Iterable[str] = (),
) -> Deployment:
    if not can(actor, Action.ADD, Deployment, team.unit):
        raise PermissionDenied
    if not team.is_active:
        raise ValidationError({"team": [_("This team is no longer active.")]})
    fields = _clean_deployment(
        actor=actor,
        site=site,
        place_name=place_name,
        contact_name=contact_name,
        contact_phone=contact_phone,
        starts_on=starts_on,
        ends_on=ends_on,
        shift_start=shift_start,
        shift_end=shift_end,
        people_needed=people_needed,
        skills_needed=skills_needed,
    )
    deployment = Deployment.objects.create(team=team, created_by=actor, **fields)
    record_change(actor=actor, obj=deployment, action=ChangeAction.CREATE)
    return deployment


def _lock(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_for_update(of=("self",)).select_related("team__unit", "site").get(pk=deployment.pk)


def _ensure_manager(actor, deployment: Deployment) -> None:
    if not can(actor, Action.CHANGE, Deployment, deployment.team.unit):
        raise PermissionDenied


def eligible_members(deployment: Deployment) -> list[TeamMember]:
    """Members who may be called: active, not held back by their unit, not unavailable during the
    deployment, holding one of the skills needed (any member when none is named), not called yet."""
    members = (
        TeamMember.objects.filter(team_id=deployment.team_id, is_active=True, held_back=False)
        .exclude(unavailable_from__lte=deployment.ends_on, unavailable_to__gte=deployment.starts_on)
        .exclude(assignments__deployment=deployment)
        .select_related("person")
        .order_by("person__name", "pk")
    )
    needed = set(deployment.skills_needed or [])
    return [m for m in members if not needed or needed & set(m.skills or [])]


@transaction.atomic
def deployment_call_up(*, actor, deployment: Deployment) -> int:
    """Call up every eligible member (an inbox message each); returns how many were called."""
    deployment = _lock(deployment)
    _ensure_manager(actor, deployment)
    if deployment.status != DeploymentStatus.OPEN:
        raise ValidationError(
            _("Only an open deployment can be called up: this one is %(status)s.")
            % {"status": deployment.get_status_display()}
        )
    now = timezone.now()
    members = eligible_members(deployment)
    Assignment.objects.bulk_create(
        [Assignment(deployment=deployment, member=m, person=m.person, called_at=now) for m in members]
    )
    before = snapshot(deployment)
    deployment.called_at = now
    deployment.save(update_fields=["called_at", "updated"])
    record_change(actor=actor, obj=deployment, action=ChangeAction.UPDATE, before=before)
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Call-up: %(deployment)s") % {"deployment": _describe(deployment)}
        body = _("%(n)d people are needed; the first to accept go. Accept on the deployment's page.") % {
            "n": deployment.people_needed
        }
    _tell((m.person.user_id for m in members), kind=KIND_CALL_UP, title=title, body=body, deployment=deployment)
    return len(members)


def _refuse_conflicts(assignment: Assignment, deployment: Deployment, person: Person) -> None:
    """Refuse with the reason: held back, unavailable, deployed elsewhere at once, on duty, not allowed to work."""
    member = assignment.member
    names = {"name": person.name}
    if not member.is_active:
        raise ValidationError(_("%(name)s is no longer in the team.") % names)
    if member.held_back:
        raise ValidationError(
            _("%(name)s's unit holds them back: %(reason)s.") % {**names, "reason": member.held_reason}
        )
    if (
        member.unavailable_from
        and member.unavailable_to
        and member.unavailable_from <= deployment.ends_on
        and member.unavailable_to >= deployment.starts_on
    ):
        raise ValidationError(
            _("%(name)s is unavailable from %(first)s to %(last)s.")
            % {**names, "first": member.unavailable_from, "last": member.unavailable_to}
        )
    other = selectors.overlapping_deployment(person, deployment)
    if other is not None:
        raise ValidationError(
            _("%(name)s is already deployed at the same time: %(other)s.") % {**names, "other": _describe(other)}
        )
    duty = selectors.duty_shift_during(person, deployment)
    if duty is not None:
        raise ValidationError(_("%(name)s is on duty at that time: %(shift)s.") % {**names, "shift": str(duty.shift)})
    day = max(selectors.today(), deployment.starts_on)
    verdict = work_verdicts([person.pk], day).get(person.pk)
    if verdict is not None and not verdict.may_work:
        raise ValidationError(
            _("%(name)s may not come to work on %(day)s: %(label)s.") % {**names, "day": day, "label": verdict.label}
        )


@transaction.atomic
def assignment_accept(*, actor, assignment: Assignment) -> Assignment:
    """The called member accepts (or the deployment's manager accepts for them). First come: once
    the slots are full the rest are told so and nothing is written."""
    deployment = _lock(assignment.deployment)
    assignment = Assignment.objects.select_related("member", "person").get(pk=assignment.pk)
    own = assignment.person.user_id is not None and assignment.person.user_id == getattr(actor, "pk", None)
    if not own and not can(actor, Action.CHANGE, Deployment, deployment.team.unit):
        raise PermissionDenied
    if assignment.accepted_at is not None:
        return assignment
    if deployment.status == DeploymentStatus.FULL:
        raise DeploymentFull
    if deployment.status != DeploymentStatus.OPEN:
        raise ValidationError(
            _("This deployment is %(status)s: it takes no one.") % {"status": deployment.get_status_display()}
        )
    taken = selectors.accepted(deployment).count()
    if taken >= deployment.people_needed:
        raise DeploymentFull
    # One person's accepts are compared one after the other.
    person = Person.objects.select_for_update(of=("self",)).select_related("unit").get(pk=assignment.person_id)
    _refuse_conflicts(assignment, deployment, person)
    before = snapshot(assignment)
    assignment.accepted_at = timezone.now()
    assignment.home_unit = person.unit
    assignment.save(update_fields=["accepted_at", "home_unit"])
    record_change(actor=actor, obj=assignment, action=ChangeAction.UPDATE, before=before)
    if taken + 1 >= deployment.people_needed:
        before = snapshot(deployment)
        deployment.status = DeploymentStatus.FULL
        deployment.save(update_fields=["status", "updated"])
        record_change(actor=actor, obj=deployment, action=ChangeAction.UPDATE, before=before)
    return assignment


@transaction.atomic
def deployment_start(*, actor, deployment: Deployment) -> Deployment:
    """The people set off: open or full → under way, from the first day on, with someone accepted."""
    deployment = _lock(deployment)
    _ensure_manager(actor, deployment)
    if deployment.status not in (DeploymentStatus.OPEN, DeploymentStatus.FULL):
        raise ValidationError(
            _("Only an open or full deployment can start: this one is %(status)s.")
            % {"status": deployment.get_status_display()}
        )
    if selectors.today() < deployment.starts_on:
        raise ValidationError(_("The deployment starts on %(day)s, not before.") % {"day": deployment.starts_on})
    if not selectors.accepted(deployment).exists():
        raise ValidationError(_("No one has accepted yet: call up the team first."))
    before = snapshot(deployment)
    deployment.status = DeploymentStatus.UNDER_WAY
    deployment.save(update_fields=["status", "updated"])
    record_change(actor=actor, obj=deployment, action=ChangeAction.UPDATE, before=before)
    return deployment


@transaction.atomic
def deployment_end(*, actor, deployment: Deployment, report: str, people_served) -> Deployment:
    """End a deployment under way with a short report: what was done, how many people were served."""
    deployment = _lock(deployment)
    _ensure_manager(actor, deployment)
    if deployment.status != DeploymentStatus.UNDER_WAY:
        raise ValidationError(
            _("Only a deployment under way can end: this one is %(status)s.")
            % {"status": deployment.get_status_display()}
        )
    errors: dict[str, list[str]] = {}
    report = (report or "").strip()
    if not report:
        errors["report"] = [_("Say in a few words what was done, e.g. temperature checks at two gates.")]
    elif len(report) > 2000:
        errors["report"] = [_("Write at most %(n)s characters.") % {"n": 2000}]
    if not isinstance(people_served, int) or people_served < 0:
        errors["people_served"] = [_("Give the number of people served, 0 or more.")]
    if errors:
        raise ValidationError(errors)
    before = snapshot(deployment)
    deployment.status = DeploymentStatus.ENDED
    deployment.report, deployment.people_served, deployment.ended_at = report, people_served, timezone.now()
    deployment.save(update_fields=["status", "report", "people_served", "ended_at", "updated"])
    record_change(actor=actor, obj=deployment, action=ChangeAction.UPDATE, before=before)
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Deployment ended: %(deployment)s") % {"deployment": _describe(deployment)}
    _tell(
        selectors.accepted(deployment).values_list("person__user_id", flat=True),
        kind=KIND_ENDED,
        title=title,
        body=report[:200],
        deployment=deployment,
    )
    return deployment


@transaction.atomic
def deployment_cancel(*, actor, deployment: Deployment) -> Deployment:
    deployment = _lock(deployment)
    _ensure_manager(actor, deployment)
    if deployment.status not in (DeploymentStatus.OPEN, DeploymentStatus.FULL):
        raise ValidationError(
            _("Only an open or full deployment can be cancelled: this one is %(status)s.")
            % {"status": deployment.get_status_display()}
        )
    before = snapshot(deployment)
    deployment.status = DeploymentStatus.CANCELLED
    deployment.save(update_fields=["status", "updated"])
    record_change(actor=actor, obj=deployment, action=ChangeAction.UPDATE, before=before)
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Deployment cancelled: %(deployment)s") % {"deployment": _describe(deployment)}
    _tell(
        deployment.assignments.values_list("person__user_id", flat=True),
        kind=KIND_CANCELLED,
        title=title,
        body="",
        deployment=deployment,
    )
    return deployment


@transaction.atomic
def hours_record(*, actor, assignment: Assignment, date: datetime.date, hours) -> ShiftHours:
    """The hours one deployed person worked on one day's shift; the assignment's total follows."""
    deployment = _lock(assignment.deployment)
    _ensure_manager(actor, deployment)
    assignment = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    if assignment.accepted_at is None:
        raise ValidationError({"hours": [_("Only a member who accepted can have hours recorded.")]})
    if deployment.status not in (DeploymentStatus.UNDER_WAY, DeploymentStatus.ENDED):
        raise ValidationError({"date": [_("Hours are recorded once the deployment is under way.")]})
    if not isinstance(date, datetime.date) or not deployment.starts_on <= date <= deployment.ends_on:
        raise ValidationError(
            {
                "date": [
                    _("Give a day of the deployment, from %(first)s to %(last)s.")
                    % {"first": deployment.starts_on, "last": deployment.ends_on}
                ]
            }
        )
    if date > selectors.today():
        raise ValidationError({"date": [_("Hours cannot be recorded for a day still to come.")]})
    try:
        value = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        value = Decimal(-1)
    if not Decimal(0) <= value <= Decimal(24):
        raise ValidationError({"hours": [_("Give the hours worked, from 0 to 24, e.g. 8 or 7.5.")]})
    row = ShiftHours.objects.filter(assignment=assignment, date=date).first()
    before = snapshot(row) if row else None
    if row is None:
        row = ShiftHours(assignment=assignment, date=date)
    row.hours, row.recorded_at, row.recorded_by = value, timezone.now(), actor
    row.save()
    record_change(
        actor=actor, obj=row, action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE, before=before
    )
    total = ShiftHours.objects.filter(assignment=assignment).aggregate(total=Sum("hours"))["total"] or Decimal(0)
    Assignment.objects.filter(pk=assignment.pk).update(hours=total)
    return row
