"""Teams and their members: created and changed by the team's unit (the office for the group's
teams); members come from anywhere in the group the actor can see (a person outside the actor's
view is 404); the member's home unit may hold them back (留用)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.people.models import Person
from lianfang.teams import selectors
from lianfang.teams.choices import Skill, TeamKind
from lianfang.teams.models import Team, TeamMember


def clean_skills(skills: Iterable[str], *, field: str = "skills") -> list[str]:
    chosen = list(dict.fromkeys(str(s) for s in skills))
    if any(s not in Skill.values for s in chosen):
        raise ValidationError({field: [_("Choose skills from the list.")]})
    return chosen


def _clean_team(name: str, kind: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the team a name, e.g. 青年突击队.")]
    elif len(name) > 100:
        errors["name"] = [_("Write at most %(n)s characters.") % {"n": 100}]
    if kind not in TeamKind.values:
        errors["kind"] = [_("Choose the kind of team from the list.")]
    if errors:
        raise ValidationError(errors)
    return name, kind


@transaction.atomic
def team_create(*, actor, unit, name: str, kind: str, description: str = "") -> Team:
    if not can(actor, Action.ADD, Team, unit):
        raise PermissionDenied
    name, kind = _clean_team(name, kind)
    if Team.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": [_("This unit already has a team of that name: choose another name.")]})
    team = Team.objects.create(unit=unit, name=name, kind=kind, description=(description or "").strip())
    record_change(actor=actor, obj=team, action=ChangeAction.CREATE)
    ensure_in_scope(actor, team, Action.VIEW)
    return team


@transaction.atomic
def team_update(*, actor, team: Team, name: str, kind: str, description: str = "", is_active: bool = True) -> Team:
    team = Team.objects.select_for_update().get(pk=team.pk)
    if not can(actor, Action.CHANGE, Team, team.unit):
        raise PermissionDenied
    name, kind = _clean_team(name, kind)
    if Team.objects.filter(unit=team.unit, name=name).exclude(pk=team.pk).exists():
        raise ValidationError({"name": [_("This unit already has a team of that name: choose another name.")]})
    before = snapshot(team)
    team.name, team.kind, team.description, team.is_active = name, kind, (description or "").strip(), is_active
    team.save()
    record_change(actor=actor, obj=team, action=ChangeAction.UPDATE, before=before)
    return team


@transaction.atomic
def member_add(
    *,
    actor,
    team: Team,
    person_id: int,
    skills: Iterable[str] = (),
    availability: str = "",
    unavailable_from: datetime.date | None = None,
    unavailable_to: datetime.date | None = None,
) -> TeamMember:
    """Put a person of the group in a team (or bring a former member back). The person must be one
    the actor sees: anyone else is 404, as if they did not exist."""
    if not can(actor, Action.CHANGE, Team, team.unit):
        raise PermissionDenied
    person: Person = selectors.person_for(viewer=actor, pk=person_id)
    chosen = clean_skills(skills)
    if unavailable_from and unavailable_to and unavailable_to < unavailable_from:
        raise ValidationError({"unavailable_to": [_("The end of the unavailable period cannot be before its start.")]})
    member = TeamMember.objects.filter(team=team, person=person).first()
    before = snapshot(member) if member else None
    if member is None:
        member = TeamMember(team=team, person=person, joined=selectors.today())
    elif member.is_active:
        raise ValidationError({"person": [_("%(name)s is already in this team.") % {"name": person.name}]})
    member.skills = chosen
    member.availability = (availability or "").strip()[:200]
    member.unavailable_from, member.unavailable_to = unavailable_from, unavailable_to
    member.is_active = True
    member.full_clean()
    member.save()
    record_change(
        actor=actor, obj=member, action=ChangeAction.CREATE if before is None else ChangeAction.UPDATE, before=before
    )
    return member


@transaction.atomic
def member_remove(*, actor, member: TeamMember) -> TeamMember:
    """Take a member out of the team; their past deployments and hours stay."""
    member = TeamMember.objects.select_for_update().select_related("team__unit").get(pk=member.pk)
    if not can(actor, Action.CHANGE, Team, member.team.unit):
        raise PermissionDenied
    before = snapshot(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    record_change(actor=actor, obj=member, action=ChangeAction.UPDATE, before=before)
    return member


@transaction.atomic
def member_hold(*, actor, member: TeamMember, held: bool, reason: str = "") -> TeamMember:
    """The home unit holds its person back (needed at home) or lets them go again. Done by whoever
    may change team members in the person's own unit (its liaison, the office)."""
    member = TeamMember.objects.select_for_update().select_related("person__unit").get(pk=member.pk)
    if not can(actor, Action.CHANGE, TeamMember, member.person.unit):
        raise PermissionDenied
    reason = (reason or "").strip()
    if held and not reason:
        raise ValidationError(
            {"held_reason": [_("Say why the unit needs this person, e.g. on the heat station's shift.")]}
        )
    before = snapshot(member)
    member.held_back, member.held_reason = held, reason[:200] if held else ""
    member.save(update_fields=["held_back", "held_reason"])
    record_change(actor=actor, obj=member, action=ChangeAction.UPDATE, before=before)
    return member
