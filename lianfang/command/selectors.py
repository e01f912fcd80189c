"""Reads of urgent matters: the lists and the board (scoped to the viewer), the path up the tree,
who is on duty at a level (asked of the duty app), and the clocks of a matter as the pages show them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from lianfang.command.choices import Clock, MatterState
from lianfang.command.models import ExternalReport, Hop, Report, SeverityLevel, UrgentMatter
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can

# --- the duty app -------------------------------------------------------------------------------
# Urgent matters sit above duty: the roster says which units keep duty and who is on duty now.
# Imported when asked, so a deployment (or a test) without rosters still routes matters to the group.


def duty_unit_ids() -> set[int]:
    """Units that keep duty (have a duty room)."""
    try:
        from lianfang.duty.selectors import duty_unit_ids as from_roster
    except ImportError:  # the duty app's selectors not there yet
        return set()
    return set(from_roster())


def on_duty(unit_ids, at: datetime.datetime) -> dict[int, Any]:
    """unit id → who is on duty there at ``at`` (leader, officers, phone, shift end)."""
    try:
        from lianfang.duty.selectors import on_duty as from_roster
    except ImportError:
        return {}
    return dict(from_roster(list(unit_ids), at))


def units_on_duty_for(viewer, at: datetime.datetime | None = None) -> set[int]:
    """Units where the viewer is on duty now by the roster (a leader on duty with no role of their own
    opens the matter the escalation told them of, and acts for that level during the shift)."""
    try:
        from lianfang.duty.selectors import units_on_duty_for as from_roster
    except ImportError:
        return set()
    return from_roster(viewer, at or timezone.now())


# --- the path up the tree -----------------------------------------------------------------------


def ancestors_or_self(unit: Unit) -> list[Unit]:
    """The unit and its ancestors, nearest first."""
    steplen = Unit.steplen
    paths = [unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)]
    by_path = {u.path: u for u in Unit.objects.filter(path__in=paths)}
    return [by_path[p] for p in reversed(paths) if p in by_path]


def duty_chain(unit: Unit, duty_ids: set[int] | None = None) -> list[Unit]:
    """The levels a matter reported at ``unit`` goes through, nearest first: the unit and its
    ancestors that keep duty (units without a duty room are passed through), ending at the group —
    the root is always the top, with or without a duty room of its own."""
    duty_ids = duty_unit_ids() if duty_ids is None else duty_ids
    line = ancestors_or_self(unit)
    chain = [u for u in line if u.pk in duty_ids or u.depth == 1]
    return chain


def next_level(hop: Hop, duty_ids: set[int] | None = None) -> Unit | None:
    """The next duty level above the hop's unit on the matter's path, or None at the top."""
    chain = duty_chain(hop.matter.unit, duty_ids)
    above = [u for u in chain if len(u.path) < len(hop.unit.path) and hop.unit.path.startswith(u.path)]
    return above[0] if above else None


# --- lists --------------------------------------------------------------------------------------


def matter_list(*, viewer, state: str | None = None, unit: Unit | None = None) -> QuerySet[UrgentMatter]:
    """Matters in the viewer's scope, and those that reached a level where the viewer is on duty now."""
    qs = UrgentMatter.objects.restrict(viewer, Action.VIEW)
    on_duty_at = units_on_duty_for(viewer)
    if on_duty_at:
        reached = Hop.objects.filter(unit_id__in=on_duty_at).values("matter_id")
        qs = UrgentMatter.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=reached))
    qs = qs.select_related("unit", "severity")
    if state:
        qs = qs.filter(state=state)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def matter_detail_queryset(*, viewer) -> QuerySet[UrgentMatter]:
    return matter_list(viewer=viewer).prefetch_related(
        Prefetch("hops", queryset=Hop.objects.select_related("unit", "acknowledged_by").order_by("seq")),
        Prefetch("reports", queryset=Report.objects.select_related("unit").order_by("created_at", "pk")),
        Prefetch("external_reports", queryset=ExternalReport.objects.order_by("reported_at", "pk")),
    )


def severity_levels(*, active_only: bool = True) -> QuerySet[SeverityLevel]:
    qs = SeverityLevel.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def live_hop(matter: UrgentMatter) -> Hop | None:
    """The level that holds the matter now (the highest live hop)."""
    hops = [h for h in matter.hops.all() if h.closed_at is None]
    return max(hops, key=lambda h: h.seq) if hops else None


def top_hop(matter: UrgentMatter) -> Hop | None:
    hops = [h for h in matter.hops.all() if h.is_top]
    return hops[-1] if hops else None


# --- clocks as the pages show them --------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    clock: str
    label: str
    unit_name: str
    due: datetime.datetime
    done_at: datetime.datetime | None
    now: datetime.datetime

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.now > self.due

    @property
    def minutes_left(self) -> int:
        return int((self.due - self.now).total_seconds() // 60)

    @property
    def minutes_over(self) -> int:
        return int((self.now - self.due).total_seconds() // 60)


def clocks_of(matter: UrgentMatter, now: datetime.datetime | None = None) -> list[ClockView]:
    """The running clocks of an open matter: the live level's, the 续报 and the outside report."""
    now = now or timezone.now()
    if matter.state != MatterState.OPEN:
        return []
    out: list[ClockView] = []
    hop = live_hop(matter)
    if hop is not None:
        if hop.acknowledged_at is None:
            out.append(ClockView(Clock.ACK, str(Clock.ACK.label), hop.unit.name, hop.ack_due, None, now))
        if hop.written_at is None:
            out.append(ClockView(Clock.WRITTEN, str(Clock.WRITTEN.label), hop.unit.name, hop.written_due, None, now))
    if matter.followup_due is not None:
        out.append(
            ClockView(Clock.FOLLOWUP, str(Clock.FOLLOWUP.label), matter.unit.name, matter.followup_due, None, now)
        )
    if matter.external_due is not None and matter.external_reported_at is None:
        name = hop.unit.name if hop is not None else ""
        out.append(ClockView(Clock.EXTERNAL, str(Clock.EXTERNAL.label), name, matter.external_due, None, now))
    return out


def overdue_q(now: datetime.datetime) -> Q:
    """Open matters with a missed clock (for the board's filter and the report feed)."""
    live = Hop.objects.filter(closed_at__isnull=True).filter(
        Q(acknowledged_at__isnull=True, ack_due__lt=now) | Q(written_at__isnull=True, written_due__lt=now)
    )
    return Q(state=MatterState.OPEN) & (
        Q(pk__in=live.values("matter_id"))
        | Q(followup_due__lt=now)
        | Q(external_due__lt=now, external_reported_at__isnull=True)
    )


def board(*, viewer, now: datetime.datetime | None = None) -> list[tuple[UrgentMatter, list[ClockView]]]:
    """The office's board: every open matter in scope with its clocks, the most urgent first."""
    now = now or timezone.now()
    rows = []
    for matter in matter_detail_queryset(viewer=viewer).filter(state=MatterState.OPEN):
        clocks = clocks_of(matter, now)
        rows.append((matter, clocks))

    def urgency(row):
        dues = [c.due for c in row[1]] or [now + datetime.timedelta(days=3650)]
        return (min(dues), row[0].severity.rank)

    rows.sort(key=urgency)
    return rows


# --- what the viewer may do ---------------------------------------------------------------------


def may_act_at(viewer, hop: Hop | None) -> bool:
    """May the viewer act for this level (acknowledge, forward, resolve)? Its duty staff by role, the
    levels above, and whoever the roster has on duty there now."""
    if hop is None:
        return False
    return can(viewer, Action.CHANGE, UrgentMatter, hop.unit) or hop.unit_id in units_on_duty_for(viewer)


def may_report(viewer, matter: UrgentMatter) -> bool:
    """Anyone who may change matters at a level on the path adds 续报 (the reporting unit included),
    and whoever the roster has on duty at the level that holds it now."""
    return can(viewer, Action.CHANGE, UrgentMatter, matter.unit) or may_act_at(viewer, live_hop(matter))


def report_units(viewer) -> QuerySet[Unit]:
    """Units the viewer may report an urgent matter for."""
    from lianfang.org.scoping import units_where

    return units_where(viewer, UrgentMatter, Action.ADD).filter(is_active=True).order_by("path")


def own_unit(user) -> Unit | None:
    """The unit where the user holds a role (the first, by place in the tree): the report form starts there."""
    from lianfang.org.models import RoleAssignment

    unit_ids = RoleAssignment.objects.filter(user=user).values_list("unit_id", flat=True)
    return Unit.objects.filter(pk__in=unit_ids, is_active=True).order_by("path").first()


# --- the home page ------------------------------------------------------------------------------


def level_todos(user, day: datetime.date) -> list:
    """Urgent matters held now by a level where the user keeps duty (a role on that unit itself, with
    the right to act): one to-do, always urgent, due at the earliest running clock."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from lianfang.core.extensions import Todo
    from lianfang.org.models import RoleAssignment

    if not getattr(user, "is_authenticated", False):
        return []
    own_units = list(RoleAssignment.objects.filter(user=user).values_list("unit_id", flat=True).distinct())
    if not own_units:
        return []
    hops = [
        h
        for h in Hop.objects.filter(closed_at__isnull=True, unit_id__in=own_units, matter__state=MatterState.OPEN)
        .select_related("unit")
        .order_by("ack_due")
        if can(user, Action.CHANGE, UrgentMatter, h.unit)
    ]
    if not hops:
        return []
    dues = [h.ack_due if h.acknowledged_at is None else h.written_due for h in hops]
    return [
        Todo(
            key="command.levels",
            title=ngettext(
                "%(count)d urgent matter waiting for your duty room",
                "%(count)d urgent matters waiting for your duty room",
                len(hops),
            )
            % {"count": len(hops)},
            url=reverse("command:board"),
            count=len(hops),
            due=min(dues),
            urgent=True,
        )
    ]
