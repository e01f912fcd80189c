"""Reads of the unit daily report (日报告、零报告): which units report, who is timely, late or missing.

The day's rules live here too (deadline, lock), so pages, services and jobs agree on them:

* a unit reports when it is active and its kind's tier is ``GroupSettings.reporting_tier``;
* a report first submitted after ``GroupSettings.report_deadline`` (group time zone) on its date
  is late, and stays late;
* a unit without a *submitted* report is **missing**, never counted as a zero report;
* a report locks ``GroupSettings.report_lock_days`` days after its date: the liaison may correct it
  up to and including day ``date + report_lock_days``; from the next day only the group office.

The functions other apps call are ``report_status_by_unit``, ``report_status_totals``,
``late_or_missing_units``, ``missing_units`` and ``reports_for_day``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.extensions import Todo
from lianfang.core.scoping import Action
from lianfang.org.choices import Role, Tier
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import can, units_where
from lianfang.reporting.choices import FieldKind, RaisedStatus, ReportStatus, Timeliness
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport

# --- the day's rules ----------------------------------------------------------------------------


def report_deadline_at(date: datetime.date, settings: GroupSettings | None = None) -> datetime.datetime:
    """The deadline of the reports for ``date``, as an aware datetime in the group's time zone."""
    settings = settings or GroupSettings.load()
    return datetime.datetime.combine(date, settings.report_deadline, tzinfo=timezone.get_default_timezone())


def report_locks_on(date: datetime.date, settings: GroupSettings | None = None) -> datetime.date:
    """The first day on which the report for ``date`` is locked (only the group office may change it)."""
    settings = settings or GroupSettings.load()
    return date + datetime.timedelta(days=settings.report_lock_days + 1)


def report_is_locked(date: datetime.date, *, today: datetime.date | None = None) -> bool:
    return (today or timezone.localdate()) >= report_locks_on(date)


def submitted_late(date: datetime.date, submitted_at: datetime.datetime) -> bool:
    """Late means strictly after the deadline: a report in at 15:00:00 sharp is on time."""
    return submitted_at > report_deadline_at(date)


def timeliness_of(report: UnitDailyReport | None) -> Timeliness:
    if report is None or report.status != ReportStatus.SUBMITTED:
        return Timeliness.MISSING
    return Timeliness.LATE if report.is_late else Timeliness.TIMELY


def reporting_units() -> QuerySet[Unit]:
    """Every unit that owes a daily report (not viewer-scoped: for jobs and rules)."""
    tier = GroupSettings.load().reporting_tier
    return Unit.objects.filter(is_active=True, kind__tier=tier)


def is_reporting_unit(unit: Unit) -> bool:
    return unit.is_active and unit.kind.tier == GroupSettings.load().reporting_tier


def is_group_office(user, unit: Unit) -> bool:
    """Does the user hold the group office role over ``unit``? Only they may change a locked report."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    paths = RoleAssignment.objects.filter(user=user, role=Role.GROUP_ADMIN).values_list("unit__path", flat=True)
    return any(unit.path.startswith(p) for p in paths)


def may_edit_template(user, action: str = Action.CHANGE) -> bool:
    """The template belongs to the whole group: only a role on the root unit may edit it."""
    root = Unit.objects.filter(depth=1).order_by("path").first()
    return root is not None and can(user, action, ReportField, root)


def group_departments() -> QuerySet[Unit]:
    """The group's own departments (directly under the root), where raised items are routed."""
    return Unit.objects.filter(is_active=True, depth=2, kind__tier=Tier.DEPARTMENT)


# --- the template -------------------------------------------------------------------------------


def report_fields(*, include_inactive: bool = False) -> list[ReportField]:
    qs = ReportField.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("sort", "code"))


@dataclass
class ReportLine:
    """One field of a report as a page shows it: the value, and the prefilled count next to a changed one."""

    field: ReportField
    value: Any
    prefilled: int | None

    @property
    def is_count(self) -> bool:
        return self.field.kind == FieldKind.COUNT

    @property
    def changed(self) -> bool:
        return self.is_count and self.prefilled is not None and self.value != self.prefilled


def report_lines(
    report: UnitDailyReport, fields: list[ReportField] | None = None, *, include_inactive: bool = False
) -> list[ReportLine]:
    """The report's values in template order. Lines of fields deactivated since still show if filled."""
    fields = fields if fields is not None else report_fields(include_inactive=True)
    lines = []
    for f in fields:
        value = report.values.get(f.code)
        if not f.is_active and not include_inactive and value in (None, ""):
            continue
        prefilled = report.prefilled.get(f.source) if f.source else None
        lines.append(ReportLine(field=f, value=value, prefilled=prefilled))
    return lines


# --- reports ------------------------------------------------------------------------------------


def report_list(*, viewer) -> QuerySet[UnitDailyReport]:
    return UnitDailyReport.objects.restrict(viewer, Action.VIEW).select_related("unit", "unit__kind", "submitted_by")


def reports_for_day(*, viewer, date: datetime.date) -> QuerySet[UnitDailyReport]:
    """The reports (drafts included) for ``date`` that the viewer may read."""
    return report_list(viewer=viewer).filter(date=date)


def report_get(*, viewer, unit: Unit, date: datetime.date) -> UnitDailyReport | None:
    return reports_for_day(viewer=viewer, date=date).filter(unit=unit).first()


def report_units_for(*, viewer, action: str = Action.ADD) -> QuerySet[Unit]:
    """Reporting units where the viewer may ``action`` reports: the liaison's own unit(s)."""
    tier = GroupSettings.load().reporting_tier
    return units_where(viewer, UnitDailyReport, action).filter(is_active=True, kind__tier=tier).order_by("path")


@dataclass
class ReportStatusRow:
    unit: Unit
    report: UnitDailyReport | None
    timeliness: Timeliness
    # A missing unit shows its liaison to call; the phone in full only to those who may unmask people
    # there (the unit page's rule), masked for the others.
    liaison_phone_visible: bool = False

    @property
    def is_zero_report(self) -> bool:
        return self.timeliness != Timeliness.MISSING and bool(self.report and self.report.is_zero_report)


def report_status_by_unit(*, viewer, date: datetime.date) -> list[ReportStatusRow]:
    """Every reporting unit the viewer may see, in tree order, with its report and timeliness.

    Two queries whatever the number of units. A draft counts as missing.
    """
    tier = GroupSettings.load().reporting_tier
    units = (
        units_where(viewer, UnitDailyReport, Action.VIEW)
        .filter(is_active=True, kind__tier=tier)
        .select_related("kind")
        .order_by("path")
    )
    reports = {r.unit_id: r for r in reports_for_day(viewer=viewer, date=date)}
    rows = []
    for unit in units:
        report = reports.get(unit.pk)
        timeliness = timeliness_of(report)
        visible = timeliness == Timeliness.MISSING and can(viewer, Action.UNMASK, "people.person", unit)
        rows.append(ReportStatusRow(unit=unit, report=report, timeliness=timeliness, liaison_phone_visible=visible))
    return rows


def report_status_totals(*, viewer, date: datetime.date) -> dict[str, int]:
    """``expected`` units and how many are ``timely``, ``late``, ``missing``; ``zero`` counts the
    submitted zero reports (timely or late) and ``submitted`` = timely + late."""
    totals = {"expected": 0, "timely": 0, "late": 0, "missing": 0, "zero": 0, "submitted": 0}
    for row in report_status_by_unit(viewer=viewer, date=date):
        totals["expected"] += 1
        totals[row.timeliness.value] += 1
        if row.timeliness != Timeliness.MISSING:
            totals["submitted"] += 1
            if row.is_zero_report:
                totals["zero"] += 1
    return totals


def late_or_missing_units(*, date: datetime.date) -> QuerySet[Unit]:
    """Reporting units without a report submitted on time for ``date``: the escalation list.

    Not viewer-scoped (for jobs); a unit that submitted late stays on it, a draft is missing.
    """
    on_time = UnitDailyReport.objects.filter(date=date, status=ReportStatus.SUBMITTED, is_late=False)
    return reporting_units().exclude(pk__in=on_time.values("unit_id")).order_by("path")


def missing_units(*, date: datetime.date) -> QuerySet[Unit]:
    """Reporting units that have not submitted for ``date`` at all (for reminders before the deadline)."""
    submitted = UnitDailyReport.objects.filter(date=date, status=ReportStatus.SUBMITTED)
    return reporting_units().exclude(pk__in=submitted.values("unit_id")).order_by("path")


# --- raised items -------------------------------------------------------------------------------


def raised_item_list(
    *,
    viewer,
    status: str | None = None,
    unit: Unit | None = None,
    routed_to: Unit | None = None,
) -> QuerySet[RaisedItem]:
    """Items the viewer may see (their units' own, and those routed to a department they hold a role on)."""
    qs = RaisedItem.objects.restrict(viewer, Action.VIEW).select_related("unit", "routed_to", "report")
    if status:
        qs = qs.filter(status=status)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if routed_to is not None:
        qs = qs.filter(routed_to=routed_to)
    return qs.order_by("-report__date", "unit__path", "kind")


def open_raised_count(*, viewer) -> int:
    return raised_item_list(viewer=viewer).exclude(status=RaisedStatus.RESOLVED).count()


# --- to-dos on the home page ------------------------------------------------------------------------


def report_todos(user, day: datetime.date) -> list[Todo]:
    """The day's unit report (or zero report) of each unit the user reports for, until it is submitted;
    due at the group's deadline, urgent once it has passed."""
    units = report_units_for(viewer=user)
    submitted = UnitDailyReport.objects.filter(date=day, status=ReportStatus.SUBMITTED).values("unit")
    waiting = list(units.exclude(pk__in=submitted)[:2])
    if not waiting:
        return []
    count = units.exclude(pk__in=submitted).count() if len(waiting) > 1 else 1
    due = report_deadline_at(day)
    if count == 1:
        title = _("Daily report of %(unit)s (or a zero report)") % {"unit": waiting[0].name}
        url = f"{reverse('reporting:report')}?unit={waiting[0].pk}"
    else:
        title = _("Daily reports of %(count)d units") % {"count": count}
        url = reverse("reporting:overview")
    return [Todo(key="reporting.report", title=title, url=url, count=count, due=due, urgent=timezone.now() >= due)]
