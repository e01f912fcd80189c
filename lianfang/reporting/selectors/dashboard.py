"""Figures of the dashboard and of the group bulletin: completion, fever, flags, unit reports, trends.

Every figure comes from the per-unit daily counts (``health.UnitDayStat``, kept up to date as
check-ins arrive) and from the unit reports, never from raw check-ins, so a group of 100,000
people costs the same few grouped queries as a group of 100.

The functions in the first half take querysets and know nothing about who is asking: the bulletin
calls them with the whole group, the dashboard with the viewer's restricted querysets
(:func:`dashboard_figures`). Roll-ups down the tree are one ``GROUP BY`` on a prefix of the unit's
materialised path (``Substr(path, 1, depth * steplen)``): a subsidiary's figures are the sum of the
rows whose unit path starts with the subsidiary's path, computed by the database in one query for
all subsidiaries at once.

The health and reporting engineers have selectors of their own for their pages
(``health.selectors.completion_by_unit``, ``reporting.selectors.report_status_by_unit``); these are
written against the same models so that neither waits for the other. If the definitions diverge,
these are the ones the bulletin documents (docs/bulletin.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from lianfang.core.extensions import feed_counts
from lianfang.core.scoping import Action
from lianfang.health.models import UnitDayStat
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import allowed_paths, has_any, units_where
from lianfang.people import counts
from lianfang.reporting.choices import ReportStatus, Timeliness
from lianfang.reporting.models import UnitDailyReport

STAT_FIELDS = ("expected", "reported", "fever", "flagged", "on_site", "remote", "on_leave")
TREND_DAYS = (14, 30)


def percent(part: int | None, whole: int | None) -> float | None:
    """``part`` of ``whole`` in per cent with one decimal; None when there is nothing to divide by
    (a unit without people has no completion rate, which is not the same as 0 %)."""
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def _empty_sums() -> dict[str, int]:
    return dict.fromkeys(STAT_FIELDS, 0)


def _with_rates(sums: dict[str, Any]) -> dict[str, Any]:
    sums["completion"] = percent(sums["reported"], sums["expected"])
    sums["missing_people"] = max(sums["expected"] - sums["reported"], 0)
    return sums


# --- check-in figures (UnitDayStat) -------------------------------------------------------------


def stat_totals(stats: QuerySet[UnitDayStat], *, day: datetime.date, target: int) -> dict[str, Any]:
    """Sums over ``stats`` for one day, and how many units with people reached the target.

    A unit "reached the target" when ``reported / expected >= target %``; units with nobody
    expected are not counted either way.
    """
    with_people = Q(expected__gt=0)
    reached = Q(with_people, GreaterThanOrEqual(F("reported") * 100, F("expected") * target))
    row = (
        stats.filter(date=day)
        .order_by()
        .aggregate(
            **{f"sum_{name}": Sum(name) for name in STAT_FIELDS},
            units_with_people=Count("pk", filter=with_people),
            units_reached=Count("pk", filter=reached),
        )
    )
    sums = {name: row[f"sum_{name}"] or 0 for name in STAT_FIELDS}
    sums["units_with_people"] = row["units_with_people"]
    sums["units_reached"] = row["units_reached"]
    sums["units_completion"] = percent(row["units_reached"], row["units_with_people"])
    return _with_rates(sums)


def sums_by_prefix(stats: QuerySet[UnitDayStat], *, day: datetime.date, depth: int) -> dict[str, dict[str, Any]]:
    """Figures of every subtree rooted at ``depth``, keyed by the root's path, in one query.

    Rows of units above ``depth`` keep their own (shorter) path as key: they are the people
    directly in that unit ("own staff"), not in any of its sub-units.
    """
    length = depth * Unit.steplen
    rows = (
        stats.filter(date=day)
        .order_by()
        .annotate(prefix=Substr("unit__path", 1, length))
        .values("prefix")
        .annotate(**{f"sum_{name}": Sum(name) for name in STAT_FIELDS})
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        values: dict[str, Any] = dict(row)
        out[values["prefix"]] = _with_rates({name: values[f"sum_{name}"] or 0 for name in STAT_FIELDS})
    return out


# --- unit reports -------------------------------------------------------------------------------


def reporting_units(units: QuerySet[Unit], settings: GroupSettings) -> QuerySet[Unit]:
    """Units expected to send a daily report: active units of the group's reporting tier."""
    return units.filter(is_active=True, kind__tier=settings.reporting_tier).order_by("path")


def report_status(
    units: Iterable[Unit], reports: QuerySet[UnitDailyReport], *, day: datetime.date
) -> list[dict[str, Any]]:
    """Each expected unit's report for the day: timely, late or missing, and whether it is a zero report.

    A draft does not count: until it is submitted the unit is missing, and missing is never zero.
    """
    units = list(units)
    submitted = {
        r["unit_id"]: r
        for r in reports.filter(date=day, status=ReportStatus.SUBMITTED, unit__in=[u.pk for u in units])
        .order_by()
        .values("unit_id", "pk", "is_late", "is_zero_report", "submitted_at")
    }
    out = []
    for unit in units:
        report = submitted.get(unit.pk)
        if report is None:
            status, zero, at, report_id = Timeliness.MISSING.value, False, None, None
        else:
            status = Timeliness.LATE.value if report["is_late"] else Timeliness.TIMELY.value
            zero, at, report_id = report["is_zero_report"], report["submitted_at"], report["pk"]
        out.append(
            {
                "unit_id": unit.pk,
                "path": unit.path,
                "code": unit.code,
                "name": unit.name,
                "status": status,
                "zero": zero,
                "submitted_at": timezone.localtime(at).isoformat(timespec="minutes") if at else None,
                "report_id": report_id,
            }
        )
    return out


def report_counts(statuses: Iterable[dict[str, Any]]) -> dict[str, Any]:
    counts: dict[str, Any] = {"expected": 0, "timely": 0, "late": 0, "missing": 0, "zero": 0}
    for row in statuses:
        counts["expected"] += 1
        counts[row["status"]] += 1
        counts["zero"] += bool(row["zero"])
    counts["submitted"] = counts["timely"] + counts["late"]
    counts["timely_rate"] = percent(counts["timely"], counts["expected"])
    return counts


# --- trends -------------------------------------------------------------------------------------


def trend(
    stats: QuerySet[UnitDayStat],
    reports: QuerySet[UnitDailyReport],
    *,
    expected_units: QuerySet[Unit],
    end: datetime.date,
    days: int,
) -> list[dict[str, Any]]:
    """One row per day for the ``days`` days ending on ``end``: completion %, fever, flags, reports on time %.

    Two grouped queries whatever the number of units. "Reports on time %" divides by the units
    expected to report today (units added or closed during the period are not back-dated).
    A day without any figure (before the group started, or a day nobody checked in or reported) has
    None, not 0: the charts leave a gap there instead of drawing a fall to zero.
    """
    start = end - datetime.timedelta(days=days - 1)
    per_day: dict[datetime.date, dict[str, Any]] = {
        row["date"]: dict(row)
        for row in stats.filter(date__range=(start, end))
        .order_by()
        .values("date")
        .annotate(**{f"sum_{name}": Sum(name) for name in ("expected", "reported", "fever", "flagged")})
    }
    unit_count = expected_units.count()
    per_day_reports: dict[datetime.date, dict[str, Any]] = {
        row["date"]: dict(row)
        for row in reports.filter(date__range=(start, end), status=ReportStatus.SUBMITTED, unit__in=expected_units)
        .order_by()
        .values("date")
        .annotate(timely=Count("pk", filter=Q(is_late=False)), late=Count("pk", filter=Q(is_late=True)))
    }
    out = []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        s = per_day.get(day) or {}
        r = per_day_reports.get(day) or {}
        out.append(
            {
                "date": day.isoformat(),
                "expected": s.get("sum_expected") or 0,
                "reported": s.get("sum_reported") or 0,
                "completion": percent(s.get("sum_reported"), s.get("sum_expected")),
                # A day without any check-in counts has no fever figure: a gap in the chart, not a 0.
                "fever": (s.get("sum_fever") or 0) if s else None,
                "flagged": (s.get("sum_flagged") or 0) if s else None,
                "reports_timely": r.get("timely") or 0,
                "reports_late": r.get("late") or 0,
                "timely_rate": percent(r.get("timely"), unit_count) if (s or r) else None,
            }
        )
    return out


def parse_day(value: str | None) -> datetime.date:
    """``?date=YYYY-MM-DD`` for another day (not in the future); today otherwise."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        return today
    return min(day, today)


# --- the dashboard ------------------------------------------------------------------------------


def can_see_dashboard(viewer) -> bool:
    return has_any(viewer, "health.unitdaystat", Action.VIEW) or has_any(
        viewer, "reporting.unitdailyreport", Action.VIEW
    )


def scope_roots(viewer, model_label: str) -> list[Unit]:
    """The units at the top of the viewer's scope (the group's roots for a superuser)."""
    if viewer.is_superuser:
        return list(Unit.objects.filter(depth=1))
    paths = allowed_paths(viewer, model_label, Action.VIEW)
    return list(Unit.objects.filter(path__in=paths))


def breakdown(
    stats: QuerySet[UnitDayStat], statuses: list[dict[str, Any]], *, roots: list[Unit], day: datetime.date
) -> list[dict[str, Any]]:
    """A row per child of each root (its whole subtree) and one for each root's own staff.

    One grouped query per distinct root depth (normally one). Report counts come from ``statuses``,
    the expected units' statuses, by path prefix.
    """
    rows: list[dict[str, Any]] = []
    sums_at: dict[int, dict[str, dict[str, Any]]] = {}
    for root in roots:
        depth = root.depth + 1
        if depth not in sums_at:
            sums_at[depth] = sums_by_prefix(stats, day=day, depth=depth)
        sums = sums_at[depth]
        children = list(Unit.objects.get_children(root).filter(is_active=True)) if root.numchild else []
        for unit, own in [(root, True), *((child, False) for child in children)]:
            figures = sums.get(unit.path)
            if own and (figures is None or not (figures["expected"] or figures["reported"])):
                continue  # nobody directly in the root: no "own staff" row
            figures = figures or _with_rates(_empty_sums())
            if own:
                in_row = [s for s in statuses if s["path"] == unit.path]
            else:
                in_row = [s for s in statuses if s["path"].startswith(unit.path)]
            rows.append(
                {
                    "unit_id": unit.pk,
                    "code": unit.code,
                    "name": unit.name,
                    "own_staff": own,
                    **figures,
                    "reports": report_counts(in_row),
                    "report": in_row[0] if len(in_row) == 1 and in_row[0]["path"] == unit.path else None,
                }
            )
    return rows


def dashboard_figures(*, viewer, day: datetime.date | None = None) -> dict[str, Any]:
    """Today at a glance for the viewer's scope: what ``restrict`` lets them see, and nothing else.

    Check-in figures come from the unit day counts the viewer may view, report figures from the
    units where they may view reports; a liaison of one department sees that department's subtree,
    the group office the whole group.
    """
    day = day or timezone.localdate()
    settings = GroupSettings.load()
    stats = UnitDayStat.objects.restrict(viewer, Action.VIEW)
    reports = UnitDailyReport.objects.restrict(viewer, Action.VIEW)
    expected_units = reporting_units(units_where(viewer, UnitDailyReport, Action.VIEW), settings)
    statuses = report_status(expected_units, reports, day=day)
    now = timezone.localtime()
    return {
        "date": day.isoformat(),
        "target": settings.completion_target,
        "deadline": settings.report_deadline.strftime("%H:%M"),
        "before_deadline": day == now.date() and now.time() < settings.report_deadline,
        "checkins": stat_totals(stats, day=day, target=settings.completion_target),
        "reports": report_counts(statuses),
        "late_units": [s for s in statuses if s["status"] == Timeliness.LATE],
        "missing_units": [s for s in statuses if s["status"] == Timeliness.MISSING],
        "rows": breakdown(stats, statuses, roots=scope_roots(viewer, "health.unitdaystat"), day=day),
        "trends": {
            str(days): trend(stats, reports, expected_units=expected_units, end=day, days=days) for days in TREND_DAYS
        },
    }


# --- charts -------------------------------------------------------------------------------------


def partial_label(day: datetime.date, at: datetime.datetime | None) -> str:
    """ "as of 09:47" when ``at`` falls on ``day``: that day's figures are still coming in. Empty otherwise."""
    from django.utils.translation import gettext as _

    if at is None:
        return ""
    at = timezone.localtime(at)
    if at.date() != day:
        return ""
    return _("as of %(time)s") % {"time": at.strftime("%H:%M")}


def chart_specs(trend_rows: list[dict[str, Any]], *, period: int, partial: str = "") -> list[dict[str, Any]]:
    """The trend charts of a page: each with its series key (for charts.js) and its rows (for the
    table that stands in for the chart without JavaScript and for screen readers).

    ``partial`` ("as of 09:47", see :func:`partial_label`) marks the last day's value as a day not over
    yet: the chart draws it apart and both say when it was counted.
    """
    from django.utils.translation import gettext as _

    specs = [
        ("completion", _("Check-in completion (%)"), 100),
        ("fever", _("People with a fever"), None),
        ("timely_rate", _("Reports on time (%)"), 100),
    ]
    last = len(trend_rows) - 1
    return [
        {
            "id": f"{key}-{period}",
            "key": key,
            "title": title,
            "max": top,
            "period": period,
            "partial": partial,
            "partial_day": trend_rows[-1]["date"][5:] if partial and trend_rows else "",
            # (date, value, "as of …" on the last day while it is not over, else "")
            "rows": [(row["date"], row[key], partial if i == last else "") for i, row in enumerate(trend_rows)],
        }
        for key, title, top in specs
    ]


CASE_SOURCES = (
    "cases.new_suspected",
    "cases.new_confirmed",
    "cases.new_asymptomatic",
    "cases.active",
    "cases.close_contacts",
    "isolation.home",
    "isolation.central",
    "isolation.hospital",
)


def _case_counts(roots: list[Unit], day: datetime.date) -> dict[str, int]:
    totals = dict.fromkeys(CASE_SOURCES, 0)
    for root in roots:
        for key, value in feed_counts(root, day, CASE_SOURCES).items():
            totals[key] += value or 0
    return {
        # Apart, not added up: a case suspected and confirmed the same day is in both.
        "new_suspected": totals["cases.new_suspected"],
        "new_confirmed": totals["cases.new_confirmed"],
        "new_asymptomatic": totals["cases.new_asymptomatic"],
        "active": totals["cases.active"],
        "contacts": totals["cases.close_contacts"],
        "isolated": totals["isolation.home"] + totals["isolation.central"] + totals["isolation.hospital"],
    }


DISINFECTION_SOURCES = {
    "due": "sites.disinfection_due",
    "done": "sites.disinfection_done",
    "overdue": "sites.disinfection_overdue",
    "terminal_open": "sites.terminal_open",
}


GATE_SOURCES = {
    "came_in": "sites.gate_in",
    "denied": "sites.gate_denied",
    "denied_health": "sites.gate_denied_health",
}


def _feed_totals(roots: list[Unit], day: datetime.date, sources: dict[str, str]) -> dict[str, int]:
    """The day's counts of these unit-report feeds over the viewer's subtrees (disinfection rounds,
    passages at the gates): the same functions as the unit report, so the two never disagree."""
    totals = dict.fromkeys(sources, 0)
    for root in roots:
        counted = feed_counts(root, day, sources.values())
        for name, key in sources.items():
            totals[name] += counted.get(key) or 0
    return totals


def control_figures(*, viewer, roots: list[Unit], day: datetime.date) -> dict[str, Any]:
    """The panel's figures; a key is missing where the viewer may not see that kind of record."""
    from lianfang.cases.choices import AlertStatus
    from lianfang.cases.models import ClusterAlert
    from lianfang.materials.choices import RequestStatus
    from lianfang.materials.models import MaterialRequest, Stock
    from lianfang.status.choices import Colour
    from lianfang.status.models import PersonStatus

    figures: dict[str, Any] = {"cases": _case_counts(roots, day)}
    if has_any(viewer, "status.personstatus", Action.VIEW):
        # The people expected to check in, as on the status board and in the check-in figures.
        colours = dict(
            PersonStatus.objects.restrict(viewer, Action.VIEW)
            .filter(counts.expected("person__"))
            .order_by()
            .values_list("colour")
            .annotate(n=Count("pk"))
            .values_list("colour", "n")
        )
        figures["status"] = {c: colours.get(c, 0) for c in (Colour.GREEN, Colour.YELLOW, Colour.RED)}
    if has_any(viewer, "cases.clusteralert", Action.VIEW):
        figures["alerts"] = (
            ClusterAlert.objects.restrict(viewer, Action.VIEW).exclude(status=AlertStatus.CLOSED).count()
        )
    if has_any(viewer, "materials.stock", Action.VIEW):
        threshold = Coalesce(F("reorder_threshold"), F("item__reorder_threshold"))
        figures["stock_low"] = (
            Stock.objects.restrict(viewer, Action.VIEW)
            .filter(item__is_active=True)
            .filter(Q(on_hand__lt=threshold))
            .count()
        )
    if has_any(viewer, "sites.disinfectionslot", Action.VIEW):
        figures["disinfection"] = _feed_totals(scope_roots(viewer, "sites.disinfectionslot"), day, DISINFECTION_SOURCES)
    if has_any(viewer, "sites.entry", Action.VIEW):
        figures["gates"] = _feed_totals(scope_roots(viewer, "sites.entry"), day, GATE_SOURCES)
    if has_any(viewer, "materials.materialrequest", Action.VIEW):
        figures["requests_open"] = (
            MaterialRequest.objects.restrict(viewer, Action.VIEW)
            .filter(status__in=[RequestStatus.OPEN, RequestStatus.PARTLY])
            .count()
        )
    return figures


# --- who is on duty now -----------------------------------------------------------------------------

DUTY_CARD_ROWS = 6


def duty_now(*, viewer, at: datetime.datetime | None = None, limit: int = DUTY_CARD_ROWS) -> dict[str, Any] | None:
    """The dashboard's "on duty now" card: the duty rooms in the viewer's scope, the highest levels
    first (the group duty room, then the subsidiaries), at most ``limit`` of them, with the leader on
    duty, the duty officers and the duty room's phone; ``uncovered`` counts every room in scope with
    no leader or no officer at this moment. None when the viewer may see no duty post.

    People's own phones are not on the dashboard (it is often on a shared screen): the duty phone is
    the room's, and the duty page shows the people's numbers to those who may call them, audited."""
    from lianfang.duty.selectors import on_duty, post_list

    if not has_any(viewer, "duty.dutypost", Action.VIEW):
        return None
    at = at or timezone.now()
    posts = list(post_list(viewer=viewer).filter(is_active=True).order_by("unit__depth", "unit__path"))
    found = on_duty([p.unit_id for p in posts], at)
    uncovered = sum(1 for p in posts if found[p.unit_id].leader is None or not found[p.unit_id].officers)
    rows = [{"post": p, "duty": found[p.unit_id]} for p in posts[:limit]]
    return {"rows": rows, "total": len(posts), "uncovered": uncovered, "at": at}
