"""What the writes of the cases app share: scope checks, who holds a role above a unit, messages to
the office, audited reads of health details, and the status recompute after the commit.

Every write is ``<entity>_<verb>(*, actor, ...)``, atomic, checks the actor's scope before and after,
and writes the change log. Writes that change a fact of the status rules (a case, a contact, an
isolation, a follow-up) have the status of the people concerned recomputed once the transaction has
committed.

Messages to the office name the case number and the unit, never the person: an inbox is read on
shared screens, and the name is a click (and an audited read) away for those allowed to see it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.cases.models import Case, Contact
from lianfang.core.audit import record_event
from lianfang.core.extensions import facts_changed
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can
from lianfang.people.models import Person

# --- shared helpers -----------------------------------------------------------------------------


def recompute_on_commit(person_ids: Iterable[int | None]) -> None:
    """These roster people's facts changed (a case, a contact, an isolation, a follow-up): the status
    engine, which listens, recomputes them once the transaction has committed (and not at all when
    the write is rolled back)."""
    facts_changed(sorted({pid for pid in person_ids if pid}), "cases")


def ancestor_paths(unit: Unit) -> list[str]:
    """The paths of the unit and all its ancestors."""
    steplen = Unit.steplen
    return [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]


def role_holder_ids(unit: Unit, roles: Sequence[str]) -> list[int]:
    """Users holding one of ``roles`` on the unit or one of its ancestors (their scope covers it)."""
    return list(
        RoleAssignment.objects.filter(role__in=list(roles), unit__path__in=ancestor_paths(unit), user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def office_user_ids() -> list[int]:
    """The group office: users holding group_admin on a root unit."""
    return list(
        RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, unit__depth=1, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


def _send(recipients: Iterable[int], kind: str, title: str, body: str, url: str = "") -> int:
    return message_send(recipients=list(recipients), kind=kind, title=title, body=body, url=url)


def _ensure(actor, action: str, model: type[Model], unit: Unit, message: str) -> None:
    """Refuse with a message that says who may do it (403 in the pages and the API)."""
    if not can(actor, action, model, unit):
        raise PermissionDenied(message)


def _ensure_visible_person(actor, person: Person) -> None:
    """A roster person named in a write must be one the actor may see (others do not exist for them)."""
    if not Person.objects.restrict(actor, Action.VIEW).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose a person on the roster of your units.")})


def _today() -> datetime.date:
    return timezone.localdate()


def audit_sensitive_read(*, viewer, obj: Case | Contact | Any, what: str, unit: Unit | None = None, **detail) -> None:
    """Record that the viewer read case or contact details (the detail page, the API, the graph)."""
    record_event(
        kind=AuditKind.SENSITIVE_READ,
        actor=viewer,
        unit=unit if unit is not None else getattr(obj, "unit", None),
        object_repr=str(obj),
        what=what,
        model=obj._meta.label_lower,
        pk=obj.pk,
        **detail,
    )


def audit_list_read(*, viewer, what: str, count: int) -> None:
    """Record that the viewer read a list of cases or contacts (names included); an empty list is no read."""
    if count:
        record_event(kind=AuditKind.SENSITIVE_READ, actor=viewer, object_repr=what, what=what, count=count)


# --- cluster alerts -----------------------------------------------------------------------------


def unit_filter_q(unit: Unit, field: str = "unit") -> Q:
    """Rows whose ``field`` lies in the unit's subtree."""
    return Q(**{f"{field}__path__startswith": unit.path})
