"""The stock report and the movements as .xlsx, through :mod:`lianfang.core.exports` (formula
escaping, streamed rows). Each export is an audit event: who took which rows out."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_file, xlsx_response
from lianfang.core.models import AuditKind
from lianfang.materials.models import Movement
from lianfang.materials.selectors.stock import StockReport


def _level(level: str) -> str:
    if level == "low":
        return _("Below threshold or under 3 days")
    if level == "short":
        return _("Below target days")
    return _("Enough")


def stock_sheet(report: StockReport) -> Sheet:
    headers = [
        _("Unit code"),
        _("Unit"),
        _("Item code"),
        _("Item"),
        _("Unit of measure"),
        _("On hand"),
        _("Subtree total"),
        _("In transit"),
        _("Daily use"),
        _("Forecast from front-line headcount"),
        _("Days of supply"),
        _("Threshold"),
        _("Target days"),
        _("Level"),
    ]

    def rows() -> Iterator[list]:
        for r in report.rows:
            s = r.supply
            yield [
                r.unit.code,
                r.unit.name,
                r.item.code,
                r.item.label,
                r.item.get_measure_display(),
                s.on_hand,
                r.subtree_on_hand,
                s.in_transit_in,
                s.daily_use,
                _("yes") if s.forecast_used else "",
                s.days_of_supply,
                s.threshold,
                s.target_days,
                _level(s.level),
            ]

    title = _("Stock %(date)s") % {"date": report.as_of.isoformat()}
    return Sheet(
        title=title, headers=headers, rows=rows(), widths=(12, 24, 16, 18, 14, 12, 12, 12, 12, 10, 12, 12, 10, 22)
    )


def movements_sheet(movements: QuerySet[Movement]) -> Sheet:
    headers = [
        _("Date"),
        _("Unit code"),
        _("Unit"),
        _("Item"),
        _("Kind"),
        _("Quantity"),
        _("Balance after"),
        _("Unit of measure"),
        _("To the front line"),
        _("From / to"),
        _("Reference"),
        _("Note"),
        _("Recorded"),
        _("Recorded by"),
    ]

    def rows() -> Iterator[list]:
        for m in movements.iterator(chunk_size=2000):
            yield [
                m.date,
                m.unit.code,
                m.unit.name,
                m.item.label,
                m.get_kind_display(),
                m.quantity,
                m.balance_after,
                m.item.get_measure_display(),
                _("yes") if m.front_line else "",
                m.counterparty,
                m.reference,
                m.note,
                m.created,
                m.created_by.get_username() if m.created_by else "",
            ]

    return Sheet(
        title=_("Movements"),
        headers=headers,
        rows=rows(),
        widths=(11, 12, 24, 18, 18, 11, 12, 14, 8, 20, 16, 30, 17, 14),
    )


def export_response(*, actor, sheet: Sheet, file_name: str, what: str, filters: str):
    """Write the workbook, record the export (rows and filters), and answer with the download."""
    file, count = xlsx_file([sheet])
    record_event(kind=AuditKind.EXPORT, actor=actor, object_repr=what, rows=count, filters=filters)
    return xlsx_response(file, file_name=file_name)
