"""What the disinfection writes share: local times, who answers for a site, and the refusals."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.utils import timezone

from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can
from lianfang.people.models import Person

# A phone's clock may be a little ahead of the server's: a time that far ahead is still "now".
CLOCK_SKEW = datetime.timedelta(minutes=5)


def at_local(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """``time`` on ``day`` in the group's time zone, as an aware date-time."""
    return timezone.make_aware(datetime.datetime.combine(day, time))


def day_start(day: datetime.date) -> datetime.datetime:
    return at_local(day, datetime.time.min)


def ensure(actor, action: str, model: type[Model], site: Unit, message: str) -> None:
    """Refuse with a message that says who may do it (403 in the pages and the API)."""
    if not can(actor, action, model, site):
        raise PermissionDenied(message)


def person_of(actor) -> Person | None:
    """The actor's own record on the roster, if they have one (who did a round)."""
    if getattr(actor, "pk", None) is None:
        return None
    return Person.objects.filter(user=actor).first()


def ancestor_paths(unit: Unit) -> list[str]:
    steplen = Unit.steplen
    return [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]


SITE_ROLES: Sequence[str] = (Role.UNIT_ADMIN, Role.CHECKPOINT)


def site_user_ids(site: Unit) -> list[int]:
    """Who is told about a site's rounds (a terminal disinfection to do): the site's staff and
    liaisons holding a role on the site itself, or else on the nearest unit above that has some."""
    return nearest_role_holders(site, SITE_ROLES)


def nearest_role_holders(unit: Unit, roles: Sequence[str]) -> list[int]:
    """The active users holding one of ``roles`` on the unit itself, or else on the nearest unit
    above where someone does."""
    rows = RoleAssignment.objects.filter(
        role__in=list(roles), unit__path__in=ancestor_paths(unit), user__is_active=True
    ).values_list("unit__path", "user_id")
    by_path: dict[str, set[int]] = {}
    for path, uid in rows:
        by_path.setdefault(path, set()).add(uid)
    for path in sorted(by_path, key=len, reverse=True):
        return sorted(by_path[path])
    return []
