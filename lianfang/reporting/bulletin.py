"""The group daily bulletin (疫情防控日报): build the draft, edit the summary, publish, re-open.

Selectors first (reads, always with the viewer), then services (writes: ``bulletin_<verb>(*, actor,
...)``, atomic, audited, scope re-checked).

The figures are computed once, when the draft is built or rebuilt, and stored in ``Bulletin.data``:
a published bulletin shows exactly what the office published, even if a late report or a corrected
check-in arrives afterwards. Only a draft can be rebuilt; a published bulletin must be re-opened by
the office first (audited), which makes the correction visible in the change log.

Counts of new cases and isolation come from the values the units typed in their daily reports
(report fields ``CASE_FIELDS``), because the cases app does not exist yet; once it does, the build
will read cases and isolation orders instead and the snapshot keeps the same keys.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.health.models import UnitDayStat
from lianfang.notify.models import Message
from lianfang.org.choices import Action, Role
from lianfang.org.models import GroupSettings, RoleAssignment, Unit
from lianfang.org.scoping import ensure_can, ensure_in_scope
from lianfang.reporting import dashboard
from lianfang.reporting.choices import BulletinStatus, ReportStatus, Timeliness
from lianfang.reporting.models import Bulletin, RaisedItem, UnitDailyReport

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
    }


def trend_days(data: dict[str, Any], days: int) -> list[dict[str, Any]]:
    """The last ``days`` days of a bulletin's stored 30-day trend."""
    return list(data.get("trends") or [])[-days:]


# --- services -----------------------------------------------------------------------------------


def _ensure(actor, action: str, unit: Unit) -> None:
    """``actor=None`` is the system (the scheduled draft); everyone else needs the role."""
    if actor is not None:
        ensure_can(actor, action, Bulletin, unit)


def _recheck(actor, bulletin: Bulletin, action: str) -> None:
    if actor is not None:
        ensure_in_scope(actor, bulletin, action)


@transaction.atomic
def bulletin_build(*, actor, day: datetime.date | None = None, rebuild: bool = True) -> Bulletin:
    """The draft bulletin for ``day`` (today by default), created or refreshed from the records.

    Idempotent: one bulletin per date (a database constraint). With ``rebuild=False`` an existing
    bulletin is returned untouched (the scheduled job); with ``rebuild=True`` a draft's figures are
    recomputed (the office's "rebuild" button). A published bulletin is never rebuilt.
    """
    day = day or timezone.localdate()
    root = group_root()
    _ensure(actor, Action.ADD, root)
    existing = Bulletin.objects.select_for_update().filter(date=day).first()
    if existing is not None and not rebuild:
        return existing
    if existing is not None and existing.status == BulletinStatus.PUBLISHED:
        raise ValidationError(
            {"status": _("This bulletin is published. Re-open it for correction before rebuilding its figures.")}
        )
    if existing is not None:
        _ensure(actor, Action.CHANGE, existing.unit)
    data = bulletin_figures(day=day, root=root)
    now = timezone.now()
    if existing is None:
        bulletin = Bulletin(unit=root, date=day, data=data, built_at=now, status=BulletinStatus.DRAFT)
        bulletin.full_clean()
        try:
            with transaction.atomic():  # a savepoint: a concurrent build of the same day wins
                bulletin.save()
        except IntegrityError:
            return Bulletin.objects.get(date=day)
        record_change(actor=actor, obj=bulletin, action=ChangeAction.CREATE)
    else:
        bulletin = existing
        before = snapshot(bulletin)
        bulletin.data = data
        bulletin.built_at = now
        bulletin.full_clean()
        bulletin.save(update_fields=["data", "built_at", "updated"])
        # ``data`` is left out of snapshots (too big); the rebuild time says the figures changed.
        record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    _recheck(actor, bulletin, Action.VIEW)
    return bulletin


def _locked(bulletin: Bulletin) -> Bulletin:
    return Bulletin.objects.select_for_update().get(pk=bulletin.pk)


@transaction.atomic
def bulletin_update_summary(*, actor, bulletin: Bulletin, summary: str) -> Bulletin:
    """The office's summary text. Only a draft can be edited."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status != BulletinStatus.DRAFT:
        raise ValidationError({"summary": _("This bulletin is published. Re-open it for correction to edit it.")})
    before = snapshot(bulletin)
    bulletin.summary = (summary or "").strip()
    bulletin.full_clean()
    bulletin.save(update_fields=["summary", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, bulletin, Action.CHANGE)
    return bulletin


def _leaders_of(unit: Unit) -> QuerySet:
    """Users who hold the leader role on the bulletin's unit or above it (and so may read it)."""
    ancestors = [unit.path[:end] for end in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    ids = RoleAssignment.objects.filter(role=Role.LEADER, unit__path__in=ancestors).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True)


@transaction.atomic
def bulletin_publish(*, actor, bulletin: Bulletin) -> Bulletin:
    """Publish the draft: its figures are frozen as they are, and every leader gets an inbox message."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status == BulletinStatus.PUBLISHED:
        raise ValidationError({"status": _("This bulletin is already published.")})
    if not bulletin.data:
        raise ValidationError({"status": _("This bulletin has no figures yet. Rebuild it, then publish.")})
    before = snapshot(bulletin)
    bulletin.status = BulletinStatus.PUBLISHED
    bulletin.published_at = timezone.now()
    bulletin.published_by = actor
    bulletin.full_clean()
    bulletin.save(update_fields=["status", "published_at", "published_by", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, bulletin, Action.CHANGE)

    url = reverse("reporting:bulletin-detail", args=[bulletin.pk])
    # Inbox messages are stored once, in the group's default language (Chinese); the date says which day.
    with override(django_settings.LANGUAGE_CODE):
        title = _("Daily bulletin of %(date)s published") % {"date": bulletin.date.isoformat()}
    Message.objects.bulk_create(
        [
            Message(recipient=user, kind=MESSAGE_KIND, title=title, body=bulletin.summary[:2000], url=url)
            for user in _leaders_of(bulletin.unit).exclude(pk=actor.pk)
        ]
    )
    return bulletin


@transaction.atomic
def bulletin_reopen(*, actor, bulletin: Bulletin, reason: str) -> Bulletin:
    """Re-open a published bulletin for correction (the office only); the reason goes in the change log."""
    bulletin = _locked(bulletin)
    ensure_can(actor, Action.CHANGE, Bulletin, bulletin.unit)
    if bulletin.status != BulletinStatus.PUBLISHED:
        raise ValidationError({"status": _("Only a published bulletin can be re-opened.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what needs correcting: the reason is kept in the change log.")})
    before = snapshot(bulletin)
    bulletin.status = BulletinStatus.DRAFT
    bulletin.published_at = None
    bulletin.published_by = None
    bulletin.full_clean()
    bulletin.save(update_fields=["status", "published_at", "published_by", "updated"])
    record_change(actor=actor, obj=bulletin, action=ChangeAction.UPDATE, before=before, extra_after={"reason": reason})
    ensure_in_scope(actor, bulletin, Action.CHANGE)
    return bulletin


def bulletin_draft_due(*, now: datetime.datetime | None = None) -> Bulletin | None:
    """The scheduled draft: once the group's bulletin time has passed today, build today's draft if
    there is none yet. Safe to call every minute and from several workers at once."""
    now = timezone.localtime(now)
    settings = GroupSettings.load()
    if now.time() < settings.bulletin_time:
        return None
    if Bulletin.objects.filter(date=now.date()).exists():
        return None
    if not Unit.objects.filter(depth=1).exists():
        return None
    return bulletin_build(actor=None, day=now.date(), rebuild=False)
