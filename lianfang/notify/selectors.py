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
from django.urls import NoReverseMatch, reverse

from lianfang.notify.choices import DeliveryStatus
from lianfang.notify.models import Delivery, Message, RobotChannel
from lianfang.org.choices import Action, Role
from lianfang.org.models import RoleAssignment, Unit


class _SystemViewer:
    """The scheduled jobs' viewer: sees every unit (like a superuser), owns nothing, cannot log in."""

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False

    def get_username(self) -> str:
        return "system"


SYSTEM_VIEWER: Any = _SystemViewer()


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


def ensure_day_counts(*, date: datetime.date) -> None:
    """Bring the day's per-unit counts up to date before reading them: every active unit gets its row
    and its current headcount (the health app's opening step, idempotent), so a reminder never reports
    "0 of 0" because the morning job did not run or the roster changed since."""
    from lianfang.health.services.checkins import unit_day_open

    unit_day_open(date=date)


def completion_by_unit_id(*, date: datetime.date) -> dict[int, tuple[int, int]]:
    """unit id → (reported, expected) over the unit's whole subtree, from the health app's day counts."""
    from lianfang.health.selectors import completion_by_unit

    return {
        row.unit.pk: (row.subtree["reported"], row.subtree["expected"])
        for row in completion_by_unit(viewer=SYSTEM_VIEWER, date=date)
        if row.unit is not None
    }


def non_reporter_user_ids(*, date: datetime.date) -> list[int]:
    """Accounts of active people who have not checked in for ``date`` (people without an account
    cannot read an inbox; their liaison sees them in the robot message and the non-reporter list)."""
    from lianfang.health.selectors import non_reporters

    return list(
        non_reporters(viewer=SYSTEM_VIEWER, date=date)
        .filter(user__isnull=False, user__is_active=True)
        .order_by()
        .values_list("user_id", flat=True)
    )


def missing_names(*, date: datetime.date, unit: Unit, limit: int) -> tuple[list[str], int]:
    """The first ``limit`` names (unmasked: the caller masks) of people in ``unit``'s subtree who have
    not checked in, and how many there are in all."""
    from lianfang.health.selectors import non_reporters

    qs = non_reporters(viewer=SYSTEM_VIEWER, date=date, unit=unit)
    return list(qs.values_list("name", flat=True)[:limit]), qs.count()


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


def late_or_missing_units(*, date: datetime.date) -> list[Unit]:
    """Units whose daily report for ``date`` is late or missing (the reporting app decides)."""
    from lianfang.reporting.selectors.reports import late_or_missing_units as reporting_late_or_missing

    return list(reporting_late_or_missing(date=date))


def report_url() -> str:
    for name in ("reporting:today", "reporting:list", "reporting:report-list"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return "/reports/"
