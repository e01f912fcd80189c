"""Every write of the unit daily report (日报告、零报告), its template and what it raises.

* ``unit_report_save_draft`` / ``unit_report_submit`` / ``unit_report_submit_zero``: the liaison's
  three buttons. Counts missing from the input are prefilled from the records; a submitted report
  submitted again is a correction (audited, ``reason`` kept in the change log).
* ``report_field_create`` / ``report_field_update``: the office's template editor.
* ``raised_item_route`` / ``raised_item_set_status``: following up problems and needs.

Refusals say why and who can act: ``PermissionDenied`` carries a message the page and the API show.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.extensions import feed_counts, report_feeds, zero_report_keys
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope
from lianfang.reporting.choices import FieldKind, RaisedKind, RaisedStatus, ReportStatus
from lianfang.reporting.models import RaisedItem, ReportField, UnitDailyReport
from lianfang.reporting.selectors.reports import (
    group_departments,
    is_group_office,
    is_reporting_unit,
    may_edit_template,
    report_fields,
    report_is_locked,
    report_locks_on,
    submitted_late,
)

TEXT_MAX_LENGTH = 4000
COUNT_MAX = 10_000_000

# Narrative fields whose text becomes a raised item on submit, by field code.
RAISED_FIELDS = {"problems": RaisedKind.PROBLEM, "material_needs": RaisedKind.NEED}


# --- checks -------------------------------------------------------------------------------------


def _day(date: datetime.date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


def _ensure_may_write(actor, *, unit: Unit, date: datetime.date, report: UnitDailyReport | None, reason: str) -> bool:
    """Refuse a write the actor may not make; answer whether the report is locked (needs a reason)."""
    action = Action.CHANGE if report is not None else Action.ADD
    if not can(actor, action, UnitDailyReport, unit):
        raise PermissionDenied(
            _("You may not write the daily report of %(unit)s: its liaison or the group prevention office can.")
            % {"unit": unit.name}
        )
    if date > timezone.localdate():
        raise ValidationError({"date": _("A daily report cannot be for a day that has not come yet.")})
    if not is_reporting_unit(unit):
        message = _("%(unit)s does not submit a daily report: its parent unit reports for it.")
        raise ValidationError({"unit": message % {"unit": unit.name}})
    locked = report_is_locked(date)
    if locked:
        if not is_group_office(actor, unit):
            raise PermissionDenied(
                _(
                    "The report of %(unit)s for %(date)s locked on %(locked)s. Only the group prevention office "
                    "can change it now: ask them to correct it and say what is wrong."
                )
                % {"unit": unit.name, "date": _day(date), "locked": _day(report_locks_on(date))}
            )
        if not reason.strip():
            raise ValidationError(
                {"reason": _("This report is locked: say why it is corrected. The reason is kept in the change log.")}
            )
    return locked


def _report_for_update(unit: Unit, date: datetime.date) -> UnitDailyReport | None:
    return UnitDailyReport.objects.select_for_update().filter(unit=unit, date=date).first()


def _clean_count(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, str):
        number = int(value.strip())  # "1.5", "-2", "abc" raise ValueError
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raise ValueError(value)
    if not 0 <= number <= COUNT_MAX:
        raise ValueError(value)
    return number


def _clean_values(fields: list[ReportField], values: dict[str, Any]) -> dict[str, Any]:
    """Parse typed values by the template: whole numbers ≥ 0 for counts, text for the narrative."""
    by_code = {f.code: f for f in fields}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for code, value in values.items():
        field = by_code.get(code)
        if field is None:
            errors[code] = [_("The report has no field “%(code)s”.") % {"code": code}]
        elif field.kind == FieldKind.COUNT:
            try:
                cleaned[code] = _clean_count(value)
            except (TypeError, ValueError):
                errors[code] = [_("Enter a whole number, 0 or more.")]
        else:
            text = "" if value is None else str(value).strip()
            if len(text) > TEXT_MAX_LENGTH:
                errors[code] = [_("Keep this under %(n)d characters.") % {"n": TEXT_MAX_LENGTH}]
            cleaned[code] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def _prefill_for(unit: Unit, date: datetime.date, fields: list[ReportField], extra: tuple[str, ...] = ()):
    sources = [f.source for f in fields if f.kind == FieldKind.COUNT and f.source]
    return feed_counts(unit, date, [*sources, *extra])


def _merge(
    fields: list[ReportField], existing: dict[str, Any], given: dict[str, Any], prefilled: dict[str, int | None]
) -> dict[str, Any]:
    """The report's values: what was given, else what was saved, else the prefilled count (or blank)."""
    merged = dict(existing)  # values of fields deactivated since are kept
    for f in fields:
        if f.code in given:
            merged[f.code] = given[f.code]
        elif f.code not in merged:
            merged[f.code] = prefilled.get(f.source) if f.kind == FieldKind.COUNT else ""
    return merged


def _check_required(fields: list[ReportField], values: dict[str, Any]) -> None:
    errors = {
        f.code: [_("Fill in “%(label)s”: the group office asks every unit for it.") % {"label": f.display_label}]
        for f in fields
        if f.required and values.get(f.code) in (None, "")
    }
    if errors:
        raise ValidationError(errors)


def _save(
    *, actor, report: UnitDailyReport | None, unit: Unit, date: datetime.date, reason: str, **changes: Any
) -> UnitDailyReport:
    """Write the report and its change-log row (with the correction reason when there is one)."""
    creating = report is None
    before = None if report is None else snapshot(report)
    if report is None:
        report = UnitDailyReport(unit=unit, date=date)
    for name, value in changes.items():
        setattr(report, name, value)
    report.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Someone created the same day's report between our read and our write.
        raise ValidationError(
            _("Someone else saved this unit's report for %(date)s a moment ago. Reload the page and try again.")
            % {"date": _day(date)}
        ) from None
    extra = {"correction_reason": reason.strip()} if reason.strip() else None
    record_change(
        actor=actor,
        obj=report,
        action=ChangeAction.CREATE if creating else ChangeAction.UPDATE,
        before=before,
        extra_after=extra,
    )
    return report


def _first_submission(actor, report: UnitDailyReport | None, date: datetime.date) -> dict[str, Any]:
    """Submission stamps: set once, at the first submit, so a correction never makes a report late."""
    if report is not None and report.status == ReportStatus.SUBMITTED:
        return {}
    now = timezone.now()
    return {
        "status": ReportStatus.SUBMITTED,
        "submitted_at": now,
        "submitted_by": actor,
        "is_late": submitted_late(date, now),
    }


def _sync_raised_items(*, actor, report: UnitDailyReport) -> None:
    """One item per non-empty problems / needs text; a re-submit updates it rather than adding another.

    An emptied text withdraws its item only while nobody has picked it up (still open, not routed).
    """
    existing = {item.kind: item for item in RaisedItem.objects.select_for_update().filter(report=report)}
    for code, kind in RAISED_FIELDS.items():
        text = (report.values.get(code) or "").strip()
        item = existing.get(kind)
        if text and item is None:
            item = RaisedItem(report=report, unit=report.unit, kind=kind, text=text)
            item.full_clean(validate_constraints=False)
            item.save()
            record_change(actor=actor, obj=item, action=ChangeAction.CREATE)
        elif text and item is not None and item.text != text:
            before = snapshot(item)
            item.text = text
            item.save()
            record_change(actor=actor, obj=item, action=ChangeAction.UPDATE, before=before)
        elif not text and item is not None and item.status == RaisedStatus.OPEN and item.routed_to_id is None:
            before = snapshot(item)
            record_change(actor=actor, obj=item, action=ChangeAction.DELETE, before=before)
            item.delete()


# --- the liaison's buttons ----------------------------------------------------------------------


@transaction.atomic
def unit_report_save_draft(
    *, actor, unit: Unit, date: datetime.date, values: dict[str, Any] | None = None, reason: str = ""
) -> UnitDailyReport:
    """Save the report without submitting it. A submitted report is corrected with ``unit_report_submit``."""
    report = _report_for_update(unit, date)
    _ensure_may_write(actor, unit=unit, date=date, report=report, reason=reason)
    if report is not None and report.status == ReportStatus.SUBMITTED:
        raise ValidationError(
            _("This report has already been submitted. To correct it, change it and submit it again.")
        )
    fields = report_fields()
    given = _clean_values(fields, values or {})
    prefilled = _prefill_for(unit, date, fields)
    merged = _merge(fields, report.values if report else {}, given, prefilled)
    report = _save(actor=actor, report=report, unit=unit, date=date, reason=reason, values=merged, prefilled=prefilled)
    ensure_in_scope(actor, report, Action.VIEW)
    return report


@transaction.atomic
def unit_report_submit(
    *, actor, unit: Unit, date: datetime.date, values: dict[str, Any] | None = None, reason: str = ""
) -> UnitDailyReport:
    """Submit the full report, or correct a submitted one (before the lock by its liaison, after it
    by the group office with a reason). Problems and needs become raised items."""
    report = _report_for_update(unit, date)
    _ensure_may_write(actor, unit=unit, date=date, report=report, reason=reason)
    fields = report_fields()
    given = _clean_values(fields, values or {})
    prefilled = _prefill_for(unit, date, fields)
    merged = _merge(fields, report.values if report else {}, given, prefilled)
    _check_required(fields, merged)
    report = _save(
        actor=actor,
        report=report,
        unit=unit,
        date=date,
        reason=reason,
        values=merged,
        prefilled=prefilled,
        is_zero_report=False,
        **_first_submission(actor, report, date),
    )
    _sync_raised_items(actor=actor, report=report)
    ensure_in_scope(actor, report, Action.VIEW)
    return report


def zero_report_blockers(unit: Unit, date: datetime.date, values: dict[str, Any] | None = None) -> list[str]:
    """What the records (or the counts typed in a draft) show that is new: why a zero report is refused."""
    fields = report_fields()
    blockers = zero_report_keys()
    prefilled = feed_counts(unit, date, blockers)
    typed = {f.source: (values or {}).get(f.code) for f in fields if f.source in blockers}
    found = []
    for key in blockers:
        counts = [n for n in (prefilled.get(key), typed.get(key)) if isinstance(n, int)]
        n = max(counts, default=0)
        if n > 0:
            found.append(f"{report_feeds.get(key).label}: {n}")  # type: ignore[union-attr]
    return found


@transaction.atomic
def unit_report_submit_zero(*, actor, unit: Unit, date: datetime.date, reason: str = "") -> UnitDailyReport:
    """Submit a zero report (零报告) in one action: nothing new today, counts as prefilled.

    Refused when the records show a fever, a flag or a new case, or when a draft raises problems or
    needs: those days need a full report. Counts the records cannot give (cases, isolation) are 0:
    a zero report is the liaison's statement that there are none.
    """
    report = _report_for_update(unit, date)
    _ensure_may_write(actor, unit=unit, date=date, report=report, reason=reason)
    existing = report.values if report else {}
    blockers = zero_report_blockers(unit, date, existing)
    if blockers:
        raise ValidationError(
            _(
                "The records for %(date)s show something new (%(what)s), so this cannot be a zero report. "
                "Submit a full report instead."
            )
            % {"date": _day(date), "what": "; ".join(blockers)}
        )
    if any((existing.get(code) or "").strip() for code in RAISED_FIELDS):
        raise ValidationError(
            _("This report raises problems or material needs: submit it as a full report so they are followed up.")
        )
    fields = report_fields()
    prefilled = _prefill_for(unit, date, fields)
    values = dict(existing)
    for f in fields:
        if f.kind == FieldKind.COUNT:
            counted = prefilled.get(f.source) if f.source else None
            values[f.code] = counted if counted is not None else (existing.get(f.code) or 0)
        else:
            values.setdefault(f.code, "")
    report = _save(
        actor=actor,
        report=report,
        unit=unit,
        date=date,
        reason=reason,
        values=values,
        prefilled=prefilled,
        is_zero_report=True,
        **_first_submission(actor, report, date),
    )
    _sync_raised_items(actor=actor, report=report)
    ensure_in_scope(actor, report, Action.VIEW)
    return report


# --- the template -------------------------------------------------------------------------------

FIELD_EDITABLE = ("label", "label_en", "source", "required", "sort", "is_active")


def _ensure_template_editor(actor, action: str) -> None:
    if not may_edit_template(actor, action):
        raise PermissionDenied(_("Only the group prevention office edits the daily report template."))


def _check_field(field: ReportField) -> None:
    if field.source and field.kind != FieldKind.COUNT:
        raise ValidationError({"source": _("Only counts are prefilled; leave this empty for a text field.")})
    if field.source and report_feeds.get(field.source) is None:
        raise ValidationError({"source": _("Choose one of the listed sources, or leave it empty to have it typed.")})
    field.full_clean()


@transaction.atomic
def report_field_create(
    *,
    actor,
    code: str,
    label: str,
    kind: str,
    label_en: str = "",
    source: str = "",
    required: bool = False,
    sort: int = 100,
    is_active: bool = True,
) -> ReportField:
    """Add a line to every unit's report from now on (or, added inactive, once it is activated)."""
    _ensure_template_editor(actor, Action.ADD)
    field = ReportField(
        code=code.strip(),
        label=label.strip(),
        label_en=label_en.strip(),
        kind=kind,
        source=source,
        required=required,
        sort=sort,
        is_active=is_active,
    )
    _check_field(field)
    field.save()
    record_change(actor=actor, obj=field, action=ChangeAction.CREATE)
    return field


@transaction.atomic
def report_field_update(*, actor, field: ReportField, **changes: Any) -> ReportField:
    """Change a line's wording, order, whether it is required or active. Its code and kind stay, so
    reports already submitted keep their meaning."""
    _ensure_template_editor(actor, Action.CHANGE)
    unknown = set(changes) - set(FIELD_EDITABLE)
    if unknown:
        raise ValidationError(
            _("These cannot be changed: %(fields)s. Add a new field instead.") % {"fields": ", ".join(sorted(unknown))}
        )
    field = ReportField.objects.select_for_update().get(pk=field.pk)
    before = snapshot(field)
    for name, value in changes.items():
        setattr(field, name, value.strip() if isinstance(value, str) else value)
    _check_field(field)
    field.save()
    record_change(actor=actor, obj=field, action=ChangeAction.UPDATE, before=before)
    return field


# --- raised items -------------------------------------------------------------------------------

STATUS_STEPS = {
    RaisedStatus.OPEN: {RaisedStatus.IN_PROGRESS, RaisedStatus.RESOLVED},
    RaisedStatus.IN_PROGRESS: {RaisedStatus.RESOLVED},
    RaisedStatus.RESOLVED: {RaisedStatus.IN_PROGRESS},  # reopened
}


@transaction.atomic
def raised_item_route(*, actor, item: RaisedItem, routed_to: Unit) -> RaisedItem:
    """The group office sends an item to one of the group's departments."""
    item = RaisedItem.objects.select_for_update().get(pk=item.pk)
    if not can(actor, Action.CHANGE, RaisedItem, item.unit):
        raise PermissionDenied(_("Only the group prevention office routes raised items to departments."))
    if not group_departments().filter(pk=routed_to.pk).exists():
        raise ValidationError({"routed_to": _("Choose one of the group's departments (directly under the group).")})
    before = snapshot(item)
    item.routed_to = routed_to
    item.save()
    record_change(actor=actor, obj=item, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, item, Action.VIEW)
    return item


@transaction.atomic
def raised_item_set_status(*, actor, item: RaisedItem, status: str, resolution: str = "") -> RaisedItem:
    """Open → in progress → resolved (with a resolution note), by the office or the department."""
    item = RaisedItem.objects.select_for_update().get(pk=item.pk)
    if not RaisedItem.objects.restrict(actor, Action.CHANGE).filter(pk=item.pk).exists():
        raise PermissionDenied(
            _("Only the group prevention office or the department the item is routed to can change its status.")
        )
    if status not in RaisedStatus.values:
        raise ValidationError({"status": _("Choose open, in progress or resolved.")})
    resolution = resolution.strip()
    if status != item.status and status not in STATUS_STEPS[RaisedStatus(item.status)]:
        raise ValidationError(
            {
                "status": _("An item that is %(now)s cannot go back to %(new)s.")
                % {"now": item.get_status_display(), "new": RaisedStatus(status).label}
            }
        )
    if status == RaisedStatus.RESOLVED and not (resolution or item.resolution):
        raise ValidationError({"resolution": _("Say how it was resolved, so the unit that raised it can read it.")})
    before = snapshot(item)
    item.status = status
    if resolution:
        item.resolution = resolution
    item.full_clean(validate_constraints=False)
    item.save()
    record_change(actor=actor, obj=item, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, item, Action.VIEW)
    return item
