"""Reads of the notify app.

Two kinds: what a person sees (their inbox, the robots and deliveries in their scope, always
through ``restrict``), and what the reminder rounds need about the whole group (completion,
non-reporters, liaisons). The latter run in jobs, not for a viewer: they read as
:data:`SYSTEM_VIEWER`, the job's own identity, which sees the whole group.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from lianfang.core.scoping import Action
from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel, UnitReminder
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit

# --- for a viewer ---------------------------------------------------------------------------------


def message_list(*, viewer) -> QuerySet[Message]:
    """The viewer's own inbox, newest first. Nobody reads anyone else's messages."""
    if not getattr(viewer, "is_authenticated", False):
        return Message.objects.none()
    return Message.objects.filter(recipient=viewer).order_by("-created", "-id")


def unread_count(*, viewer) -> int:
    """Unread messages of the viewer: one indexed count (recipient, read_at)."""
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient=viewer, read_at__isnull=True).count()


def robot_list(*, viewer, action: str = Action.VIEW) -> QuerySet[RobotChannel]:
    return RobotChannel.objects.restrict(viewer, action).select_related("unit")


def delivery_list(*, viewer, status: str = "", unit: Unit | None = None) -> QuerySet[Delivery]:
    """Deliveries in the viewer's scope, newest first (the page highlights failures)."""
    qs = Delivery.objects.restrict(viewer, Action.VIEW).select_related("robot", "unit")
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("-created", "-id")


def delivery_problem_count(*, viewer) -> int:
    return (
        Delivery.objects.restrict(viewer, Action.VIEW)
        .filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.RETRYING])
        .count()
    )


# --- for the reminder rounds (whole group) -------------------------------------------------------


def liaison_assignments() -> list[tuple[int, Unit]]:
    """(user id, unit) for every liaison role (unit administrator) on an active unit."""
    return [
        (ra.user_id, ra.unit)
        for ra in RoleAssignment.objects.filter(role=Role.UNIT_ADMIN, unit__is_active=True)
        .select_related("unit")
        .order_by("unit__path", "user_id")
    ]


def liaisons_of_units(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """unit id → ids of the users holding the liaison role on that very unit."""
    out: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in (
        RoleAssignment.objects.filter(role=Role.UNIT_ADMIN, unit_id__in=list(unit_ids))
        .order_by("user_id")
        .values_list("unit_id", "user_id")
    ):
        out[unit_id].append(user_id)
    return out


def group_office_user_ids() -> list[int]:
    """Users holding the group office role on the group (root) unit."""
    return list(
        RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, unit__depth=1)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


def active_users(ids: Iterable[int]) -> dict[int, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=list(ids), is_active=True)}


def active_robots() -> QuerySet[RobotChannel]:
    return RobotChannel.objects.filter(is_active=True, unit__is_active=True).select_related("unit").order_by("pk")


# --- reminders sent by hand ("remind these people now") ---------------------------------------------

# At most one reminder by hand per unit in this time: people are not to be chased every minute.
UNIT_REMINDER_INTERVAL = datetime.timedelta(minutes=10)


def recent_unit_reminders(
    *, viewer, unit_ids: Iterable[int], now: datetime.datetime | None = None
) -> dict[int, UnitReminder]:
    """unit id → the latest reminder by hand still inside the ten-minute interval, for the units the
    viewer may see (the list shows who reminded them last and when the next one is possible)."""
    ids = list(unit_ids)
    if not ids:
        return {}
    since = (now or timezone.now()) - UNIT_REMINDER_INTERVAL
    out: dict[int, UnitReminder] = {}
    rows = (
        UnitReminder.objects.filter(unit_id__in=ids, sent_at__gt=since)
        .filter(unit__in=Unit.objects.restrict(viewer, Action.VIEW))
        .select_related("sent_by")
        .order_by("unit_id", "-sent_at")
    )
    for row in rows:
        out.setdefault(row.unit_id, row)
    return out


def robots_covering(units: Iterable[Unit]) -> dict[int, list[RobotChannel]]:
    """unit id → the active robots of the nearest unit, itself or an ancestor, that has any.

    A person's chat group is the most specific one: a department with its own group gets the
    message there, not also in the subsidiary's group. Not viewer-scoped: a robot is where a
    message goes, never shown by this function (one query whatever the number of units).
    """
    units = list(units)
    if not units:
        return {}
    steplen = Unit.steplen
    paths = {u.path[:end] for u in units for end in range(steplen, len(u.path) + 1, steplen)}
    by_path: dict[str, list[RobotChannel]] = defaultdict(list)
    for robot in (
        RobotChannel.objects.filter(is_active=True, unit__is_active=True, unit__path__in=paths)
        .select_related("unit")
        .order_by("pk")
    ):
        by_path[robot.unit.path].append(robot)
    out: dict[int, list[RobotChannel]] = {}
    for unit in units:
        for end in range(len(unit.path), 0, -steplen):
            found = by_path.get(unit.path[:end])
            if found:
                out[unit.pk] = found
                break
    return out
