"""Reads of the group daily bulletin (疫情防控日报): which bulletins a viewer sees, and its figures.

The figures are computed once, when the draft is built or rebuilt, and stored in ``Bulletin.data``:
a published bulletin shows exactly what the office published, even if a late report or a corrected
check-in arrives afterwards. Only a draft can be rebuilt; a published bulletin must be re-opened by
the office first (audited), which makes the correction visible in the change log. The writes are in
:mod:`lianfang.reporting.services.bulletins`.

Counts of new cases and isolation are the values of the units' daily reports (report fields
``CASE_FIELDS``), which are prefilled from the case records, so the bulletin and the reports agree.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.extensions import Todo, bulletin_sections
from lianfang.core.scoping import Action
from lianfang.health.models import UnitDayStat
from lianfang.org.models import GroupSettings, Unit
from lianfang.org.scoping import has_any
from lianfang.reporting.choices import BulletinStatus, ReportStatus, Timeliness
from lianfang.reporting.models import Bulletin, RaisedItem, UnitDailyReport
from lianfang.reporting.selectors import dashboard

DATA_VERSION = 1
# Report fields (``ReportField.code``) whose numbers the bulletin adds up: the units' reports, prefilled
# from the case and isolation records, as submitted (a late correction does not change a published bulletin).
CASE_FIELDS = (
    "new_suspected",
    "new_confirmed",
    "new_asymptomatic",
    "home_isolation",
    "central_isolation",
    "close_contacts",
)
PRACTICES_FIELD = "practices"
MESSAGE_KIND = "bulletin_published"


# --- selectors ----------------------------------------------------------------------------------


def bulletin_list(*, viewer, action: str = Action.VIEW) -> QuerySet[Bulletin]:
    """Bulletins the viewer may ``action``: the group office and leaders of the group see them."""
    return Bulletin.objects.restrict(viewer, action).select_related("published_by", "unit")


def bulletin_visible_to(*, viewer, pk: int) -> Bulletin:
    """One bulletin, or ``Bulletin.DoesNotExist`` when it is outside the viewer's scope (404)."""
    return bulletin_list(viewer=viewer).get(pk=pk)


def bulletin_can(*, viewer, bulletin: Bulletin, action: str) -> bool:
    return bulletin_list(viewer=viewer, action=action).filter(pk=bulletin.pk).exists()


def group_root() -> Unit:
    """The group: the root of the unit tree, which the bulletin belongs to."""
    root = Unit.objects.filter(depth=1).order_by("path").first()
    if root is None:
        raise ValidationError(_("Create the group's unit tree before building a bulletin."))
    return root


def bulletin_figures(*, day: datetime.date, root: Unit | None = None) -> dict[str, Any]:
    """Everything the bulletin shows for ``day``, for the whole group, as JSON-ready data.

    Not a viewer's read: the result is stored in a bulletin that is scoped to the group, so only
    the services call it, after checking the actor may build the group's bulletin.
    """
    root = root or group_root()
    settings = GroupSettings.load()
    stats = UnitDayStat.objects.all()
    reports = UnitDailyReport.objects.all()
    units = Unit.objects.all()
    if Unit.objects.filter(depth=1).exclude(pk=root.pk).exists():
        # Only when the tree has several roots: the prefix join costs PostgreSQL a worse plan.
        stats = stats.filter(unit__path__startswith=root.path)
        reports = reports.filter(unit__path__startswith=root.path)
        units = units.filter(path__startswith=root.path)
    expected_units = dashboard.reporting_units(units, settings)
    statuses = dashboard.report_status(expected_units, reports, day=day)

    # Figures of each reporting unit's own subtree (one grouped query at the reporting depth).
    by_prefix: dict[int, dict[str, dict[str, Any]]] = {}
    for status in statuses:
        depth = len(status["path"]) // Unit.steplen
        if depth not in by_prefix:
            by_prefix[depth] = dashboard.sums_by_prefix(stats, day=day, depth=depth)
        figures = by_prefix[depth].get(status["path"]) or {}
        status["expected_people"] = figures.get("expected", 0)
        status["reported_people"] = figures.get("reported", 0)
        status["completion"] = figures.get("completion")

    submitted = list(
        reports.filter(date=day, status=ReportStatus.SUBMITTED)
        .select_related("unit")
        .order_by("unit__path")
        .only("values", "unit__name", "unit__code", "unit__path")
    )
    cases = dict.fromkeys(CASE_FIELDS, 0)
    cases["reports_with_values"] = 0
    practices = []
    for report in submitted:
        values = report.values or {}
        typed = False
        for code in CASE_FIELDS:
            value = values.get(code)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                cases[code] += value
                typed = True
        cases["reports_with_values"] += typed
        text = values.get(PRACTICES_FIELD)
        if isinstance(text, str) and text.strip():
            practices.append({"unit": report.unit.name, "code": report.unit.code, "text": text.strip()})

    raised = [
        {
            "id": item.pk,
            "unit": item.unit.name,
            "code": item.unit.code,
            "kind": item.kind,
            "text": item.text,
            "routed_to": item.routed_to.name if item.routed_to else "",
            "status": item.status,
        }
        for item in RaisedItem.objects.filter(report__date=day, unit__path__startswith=root.path)
        .select_related("unit", "routed_to")
        .order_by("unit__path", "pk")
    ]

    return {
        "version": DATA_VERSION,
        "date": day.isoformat(),
        "group": root.name,
        "settings": {
            "completion_target": settings.completion_target,
            "report_deadline": settings.report_deadline.strftime("%H:%M"),
            "reporting_tier": settings.reporting_tier,
        },
        "totals": dashboard.stat_totals(stats, day=day, target=settings.completion_target),
        "reports": dashboard.report_counts(statuses),
        "rows": dashboard.breakdown(stats, statuses, roots=[root], day=day),
        "report_units": statuses,
        "late_units": [s for s in statuses if s["status"] == Timeliness.LATE],
        "missing_units": [s for s in statuses if s["status"] == Timeliness.MISSING],
        "cases": cases,
        "raised": raised,
        "practices": practices,
        "trends": dashboard.trend(stats, reports, expected_units=expected_units, end=day, days=30),
        # Cards of the apps above (duty, urgent matters…): core.extensions.bulletin_sections.
        "sections": {key: section.build(root, day) for key, section in bulletin_sections.items()},
    }


def trend_days(data: dict[str, Any], days: int) -> list[dict[str, Any]]:
    """The last ``days`` days of a bulletin's stored 30-day trend."""
    return list(data.get("trends") or [])[-days:]


# --- before publishing: who has not reported yet ------------------------------------------------


def units_still_due(*, bulletin: Bulletin, now: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """Units whose report of the bulletin's day is not submitted yet while they still have time: the
    bulletin is today's and the report deadline has not passed. Empty otherwise.

    Read live, not from the draft's figures: a unit that has submitted since the draft was built is
    no longer waited for (:func:`reported_since_built` says the figures need rebuilding). Called by the
    office's publish action, after its right to change the group's bulletin was checked.
    """
    now = timezone.localtime(now)
    settings = GroupSettings.load()
    deadline = datetime.datetime.combine(bulletin.date, settings.report_deadline, tzinfo=now.tzinfo)
    if bulletin.date != now.date() or now >= deadline:
        return []
    units = dashboard.reporting_units(Unit.objects.filter(path__startswith=bulletin.unit.path), settings)
    statuses = dashboard.report_status(units, UnitDailyReport.objects.all(), day=bulletin.date)
    return [s for s in statuses if s["status"] == Timeliness.MISSING]


def reported_since_built(*, bulletin: Bulletin) -> list[str]:
    """Names of the units the draft's figures count as missing that have submitted since it was built."""
    missing = {u["unit_id"]: u["name"] for u in (bulletin.data or {}).get("missing_units") or []}
    if not missing:
        return []
    arrived = UnitDailyReport.objects.filter(
        date=bulletin.date, status=ReportStatus.SUBMITTED, unit_id__in=list(missing)
    ).values_list("unit_id", flat=True)
    return [missing[pk] for pk in sorted(arrived, key=list(missing).index)]


# --- the home page's to-do ----------------------------------------------------------------------


def bulletin_todos(user, day: datetime.date) -> list[Todo]:
    """For the office: the day's bulletin draft is ready to review and publish (one tap opens it)."""
    if not has_any(user, "reporting.bulletin", Action.CHANGE):
        return []
    draft = bulletin_list(viewer=user, action=Action.CHANGE).filter(date=day, status=BulletinStatus.DRAFT).first()
    if draft is None:
        return []
    built = timezone.localtime(draft.built_at).strftime("%H:%M") if draft.built_at else ""
    return [
        Todo(
            key="reporting.bulletin",
            title=_("Today's bulletin draft is ready: review and publish it"),
            url=reverse("reporting:bulletin-detail", args=[draft.pk]),
            detail=_("Figures as of %(time)s.") % {"time": built} if built else "",
        )
    ]
