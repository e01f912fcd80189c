"""Writes of urgent matters: report (numbered JJ-YYYY-NNNN, first level at the nearest unit that
keeps duty), acknowledge, add a report (续报), forward up, resolve with the final report (终报), close,
and record the report outside the group at the top. Each checks the actor at the level it acts for,
writes the change log and re-checks scope."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.command import selectors
from lianfang.command.choices import HopVia, MatterKind, MatterState, ReportKind
from lianfang.command.models import ExternalReport, Hop, Report, SeverityLevel, UrgentMatter
from lianfang.command.services.base import next_number, open_hop, stop_clocks
from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can

MAX_FOLLOWUP_MINUTES = 7 * 24 * 60


def _who_may_report() -> str:
    return _(
        "Only duty officers, liaisons and the office of this unit or a unit above it may report urgent matters here."
    )


def _ensure_visible(actor, matter: UrgentMatter) -> None:
    """After a write, the actor must still see the matter (by scope, or on duty at a level it reached);
    otherwise the write is refused and rolled back."""
    if actor is not None and not selectors.matter_list(viewer=actor).filter(pk=matter.pk).exists():
        raise PermissionDenied


def _lock(matter: UrgentMatter) -> UrgentMatter:
    return UrgentMatter.objects.select_for_update().select_related("unit", "severity").get(pk=matter.pk)


def _live_hop(matter: UrgentMatter) -> Hop | None:
    return Hop.objects.filter(matter=matter, closed_at__isnull=True).select_related("unit").order_by("-seq").first()


def _ensure_open(matter: UrgentMatter) -> None:
    if matter.state != MatterState.OPEN:
        raise ValidationError(
            _("Urgent matter %(number)s is %(state)s; nothing more can be done on it.")
            % {"number": matter.number, "state": matter.get_state_display().lower()}
        )


def _ensure_at_level(actor, hop: Hop | None, matter: UrgentMatter) -> Hop:
    if hop is None:
        raise ValidationError(_("No level holds urgent matter %(number)s.") % {"number": matter.number})
    if not selectors.may_act_at(actor, hop):
        raise PermissionDenied(
            _("Urgent matter %(number)s is with %(unit)s now: only its duty staff and the levels above act on it.")
            % {"number": matter.number, "unit": hop.unit.name}
        )
    return hop


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _add_report(*, actor, matter: UrgentMatter, hop: Hop | None, unit: Unit, kind: str, text: str, now) -> Report:
    report = Report(
        matter=matter,
        hop=hop,
        unit=unit,
        kind=kind,
        text=text,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        author_name=(actor.get_full_name() or actor.get_username())
        if getattr(actor, "is_authenticated", False)
        else "",
        created_at=now,
    )
    report.full_clean()
    report.save()
    record_change(actor=actor, obj=report, action=ChangeAction.CREATE)
    return report


def _restart_followup(matter: UrgentMatter, now: datetime.datetime) -> None:
    matter.followup_due = now + datetime.timedelta(minutes=matter.followup_minutes) if matter.followup_minutes else None
    matter.followup_reminded_at = None


@transaction.atomic
def matter_report(
    *,
    actor,
    unit: Unit,
    kind: str,
    severity: SeverityLevel,
    title: str,
    description: str,
    occurred_at: datetime.datetime | None = None,
    place: str = "",
) -> UrgentMatter:
    """Report an urgent matter for ``unit``: the first level is the nearest unit, itself or above,
    that keeps duty; that level's clocks start now. The description is the 初报."""
    if not can(actor, Action.ADD, UrgentMatter, unit):
        raise PermissionDenied(_who_may_report())
    now = timezone.now()
    errors: dict[str, str] = {}
    if not unit.is_active:
        errors["unit"] = _("%(unit)s is no longer active; report for the unit where it happened.") % {"unit": unit.name}
    if kind not in MatterKind.values:
        errors["kind"] = _("Choose what kind of matter it is.")
    if not severity.is_active:
        errors["severity"] = _("The level “%(level)s” is no longer used; choose another.") % {"level": severity.label}
    if not (title or "").strip():
        errors["title"] = _("Give the matter a short title, e.g. “Fever at the gate of No. 1 heat station”.")
    if not (description or "").strip():
        errors["description"] = _("Say what happened: who, what, what has been done so far.")
    occurred_at = occurred_at or now
    if occurred_at > now + datetime.timedelta(minutes=5):
        errors["occurred_at"] = _("The time it happened cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    matter = UrgentMatter(
        number=next_number(timezone.localdate(now).year),
        unit=unit,
        kind=kind,
        severity=severity,
        title=title.strip(),
        description=description.strip(),
        occurred_at=occurred_at,
        place=(place or "").strip(),
        reported_at=now,
        reported_by=actor,
        followup_minutes=severity.followup_minutes,
    )
    _restart_followup(matter, now)
    matter.full_clean()
    matter.save()
    record_change(actor=actor, obj=matter, action=ChangeAction.CREATE)
    _add_report(
        actor=actor, matter=matter, hop=None, unit=unit, kind=ReportKind.INITIAL, text=matter.description, now=now
    )
    duty_ids = selectors.duty_unit_ids()
    first = selectors.duty_chain(unit, duty_ids)[0]
    hop = open_hop(matter=matter, unit=first, via=HopVia.REPORTED, now=now, duty_ids=duty_ids, actor=actor)
    if (
        first.pk == unit.pk
        and can(actor, Action.CHANGE, UrgentMatter, first)
        and RoleAssignment.objects.filter(user=actor, unit=first).exists()
    ):
        # The unit's own duty room reported it: received and acknowledged in the same breath (not
        # when the office reports for a unit from above: that unit still has to answer).
        Hop.objects.filter(pk=hop.pk).update(acknowledged_at=now, acknowledged_by=actor)
    _ensure_visible(actor, matter)
    return matter


@transaction.atomic
def matter_acknowledge(*, actor, matter: UrgentMatter, followup_minutes: int | None = None) -> UrgentMatter:
    """The level holding the matter confirms it has it (by phone or here): its first clock stops.
    It may set the 续报 cadence for the matter."""
    matter = _lock(matter)
    _ensure_open(matter)
    hop = _ensure_at_level(actor, _live_hop(matter), matter)
    if hop.acknowledged_at is not None:
        raise ValidationError(
            _("%(unit)s already acknowledged this matter at %(time)s.")
            % {"unit": hop.unit.name, "time": timezone.localtime(hop.acknowledged_at).strftime("%H:%M")}
        )
    now = timezone.now()
    before = snapshot(hop)
    hop.acknowledged_at, hop.acknowledged_by = now, actor
    hop.save(update_fields=["acknowledged_at", "acknowledged_by"])
    record_change(actor=actor, obj=hop, action=ChangeAction.UPDATE, before=before)
    if followup_minutes is not None:
        _set_cadence(actor, matter, followup_minutes, now)
    _ensure_visible(actor, matter)
    return matter


def _set_cadence(actor, matter: UrgentMatter, minutes: int, now) -> None:
    if not 10 <= minutes <= MAX_FOLLOWUP_MINUTES:
        raise ValidationError(
            {
                "followup_minutes": _("Give the follow-up cadence in minutes, between 10 and %(max)d.")
                % {"max": MAX_FOLLOWUP_MINUTES}
            }
        )
    before = snapshot(matter)
    matter.followup_minutes = minutes
    last = matter.reports.order_by("-created_at").values_list("created_at", flat=True).first() or now
    matter.followup_due = max(last + datetime.timedelta(minutes=minutes), now)
    matter.followup_reminded_at = None
    matter.save(update_fields=["followup_minutes", "followup_due", "followup_reminded_at", "updated"])
    record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)


@transaction.atomic
def matter_add_report(*, actor, matter: UrgentMatter, text: str) -> Report:
    """A follow-up report (续报) by any level on the path: restarts the 续报 clock; at the top it
    is also the group's written report."""
    matter = _lock(matter)
    _ensure_open(matter)
    if not selectors.may_report(actor, matter):
        raise PermissionDenied(_who_may_report())
    text = _text(text, "text", _("Write what is new: what happened since, what was done, what is needed."))
    now = timezone.now()
    hop = _live_hop(matter)
    unit = hop.unit if hop is not None and selectors.may_act_at(actor, hop) else matter.unit
    report = _add_report(actor=actor, matter=matter, hop=hop, unit=unit, kind=ReportKind.FOLLOWUP, text=text, now=now)
    if hop is not None and hop.is_top and unit.pk == hop.unit_id and hop.written_at is None:
        Hop.objects.filter(pk=hop.pk).update(written_at=now, acknowledged_at=hop.acknowledged_at or now)
    before = snapshot(matter)
    _restart_followup(matter, now)
    matter.save(update_fields=["followup_due", "followup_reminded_at", "updated"])
    record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)
    _ensure_visible(actor, matter)
    return report


@transaction.atomic
def matter_forward(*, actor, matter: UrgentMatter, text: str) -> UrgentMatter:
    """The level sends the matter up with what it knows (its written report): its clocks stop and
    the next level's start."""
    matter = _lock(matter)
    _ensure_open(matter)
    hop = _ensure_at_level(actor, _live_hop(matter), matter)
    text = _text(text, "text", _("Write the report you send up: what you know and what you have done."))
    duty_ids = selectors.duty_unit_ids()
    hop.matter = matter
    above = selectors.next_level(hop, duty_ids)
    if hop.is_top or above is None:
        raise ValidationError(
            _("%(unit)s is the top level: resolve the matter, or record the report outside the group.")
            % {"unit": hop.unit.name}
        )
    now = timezone.now()
    _add_report(actor=actor, matter=matter, hop=hop, unit=hop.unit, kind=ReportKind.FOLLOWUP, text=text, now=now)
    before = snapshot(hop)
    hop.acknowledged_at = hop.acknowledged_at or now
    hop.acknowledged_by = hop.acknowledged_by or actor
    hop.written_at = hop.written_at or now
    hop.forwarded_at = hop.closed_at = now
    hop.save(update_fields=["acknowledged_at", "acknowledged_by", "written_at", "forwarded_at", "closed_at"])
    record_change(actor=actor, obj=hop, action=ChangeAction.UPDATE, before=before)
    open_hop(matter=matter, unit=above, via=HopVia.FORWARDED, now=now, duty_ids=duty_ids, actor=actor)
    before = snapshot(matter)
    _restart_followup(matter, now)
    matter.save(update_fields=["followup_due", "followup_reminded_at", "updated"])
    record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)
    _ensure_visible(actor, matter)
    return matter


@transaction.atomic
def matter_resolve(*, actor, matter: UrgentMatter, text: str) -> UrgentMatter:
    """The level holding the matter resolves it within its remit, with the final report (终报):
    every clock stops."""
    matter = _lock(matter)
    _ensure_open(matter)
    hop = _ensure_at_level(actor, _live_hop(matter), matter)
    if matter.severity.must_reach_top and not hop.is_top:
        raise ValidationError(
            _("A %(level)s matter goes up to the group: forward it; the group resolves it.")
            % {"level": matter.severity.label}
        )
    text = _text(text, "text", _("Write the final report: how it ended and what was done."))
    now = timezone.now()
    _add_report(actor=actor, matter=matter, hop=hop, unit=hop.unit, kind=ReportKind.FINAL, text=text, now=now)
    before_hop = snapshot(hop)
    hop.acknowledged_at = hop.acknowledged_at or now
    hop.acknowledged_by = hop.acknowledged_by or actor
    hop.written_at = hop.written_at or now
    hop.resolved_at = hop.closed_at = now
    hop.save(update_fields=["acknowledged_at", "acknowledged_by", "written_at", "resolved_at", "closed_at"])
    record_change(actor=actor, obj=hop, action=ChangeAction.UPDATE, before=before_hop)
    stop_clocks(matter, now)
    before = snapshot(matter)
    matter.state, matter.resolved_at, matter.resolved_unit = MatterState.RESOLVED, now, hop.unit
    matter.followup_due = None
    matter.save(update_fields=["state", "resolved_at", "resolved_unit", "followup_due", "updated"])
    record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)
    _ensure_visible(actor, matter)
    return matter


def may_close(actor, matter: UrgentMatter) -> bool:
    """The group office closes any matter; the level that resolved it closes it too."""
    root = Unit.objects.filter(depth=1, path=matter.unit.path[: Unit.steplen]).first()
    if root is not None and can(actor, Action.CHANGE, UrgentMatter, root):
        return True
    return matter.resolved_unit is not None and can(actor, Action.CHANGE, UrgentMatter, matter.resolved_unit)


@transaction.atomic
def matter_close(*, actor, matter: UrgentMatter, reason: str = "") -> UrgentMatter:
    """Close the matter (after it is resolved, or an open one the office ends, e.g. a false alarm,
    with the reason): every clock stops."""
    matter = _lock(matter)
    if matter.state == MatterState.CLOSED:
        raise ValidationError(_("Urgent matter %(number)s is already closed.") % {"number": matter.number})
    if not may_close(actor, matter):
        raise PermissionDenied(_("Only the group office, or the level that resolved it, closes an urgent matter."))
    reason = (reason or "").strip()
    if matter.state == MatterState.OPEN and not reason:
        raise ValidationError({"reason": _("The matter is not resolved: say why it is closed, e.g. a false alarm.")})
    now = timezone.now()
    stop_clocks(matter, now)
    before = snapshot(matter)
    matter.state, matter.closed_at, matter.close_reason = MatterState.CLOSED, now, reason[:200]
    matter.followup_due = None
    matter.save(update_fields=["state", "closed_at", "close_reason", "followup_due", "updated"])
    record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)
    _ensure_visible(actor, matter)
    return matter


@transaction.atomic
def external_report_record(
    *,
    actor,
    matter: UrgentMatter,
    recipient: str,
    reported_at: datetime.datetime | None = None,
    channel: str = "",
    note: str = "",
) -> ExternalReport:
    """At the top: when and to whom the group reported the matter outside the group."""
    matter = _lock(matter)
    if matter.state == MatterState.CLOSED:
        _ensure_open(matter)
    top = Hop.objects.filter(matter=matter, is_top=True).select_related("unit").order_by("-seq").first()
    if top is None:
        raise ValidationError(
            _("Urgent matter %(number)s has not reached the group yet: the group reports outside once it has it.")
            % {"number": matter.number}
        )
    if not can(actor, Action.CHANGE, UrgentMatter, top.unit):
        raise PermissionDenied(_("Only the group's duty staff and office record reports outside the group."))
    now = timezone.now()
    reported_at = reported_at or now
    errors = {}
    if not (recipient or "").strip():
        errors["recipient"] = _("Say to whom it was reported, e.g. the city's epidemic prevention headquarters.")
    if reported_at > now + datetime.timedelta(minutes=5):
        errors["reported_at"] = _("The time it was reported cannot be in the future.")
    elif reported_at < matter.reported_at - datetime.timedelta(days=1):
        errors["reported_at"] = _("The time it was reported is before the matter was reported; check the date.")
    if errors:
        raise ValidationError(errors)
    row = ExternalReport(
        matter=matter,
        unit=top.unit,
        reported_at=reported_at,
        recipient=recipient.strip(),
        channel=(channel or "").strip(),
        note=(note or "").strip(),
        recorded_by=actor,
    )
    row.full_clean()
    row.save()
    record_change(actor=actor, obj=row, action=ChangeAction.CREATE)
    if matter.external_reported_at is None:
        before = snapshot(matter)
        matter.external_reported_at = reported_at
        matter.save(update_fields=["external_reported_at", "updated"])
        record_change(actor=actor, obj=matter, action=ChangeAction.UPDATE, before=before)
    _ensure_visible(actor, matter)
    return row
