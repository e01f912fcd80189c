"""The stock report, the movements and the transfers as .xlsx, through :mod:`lianfang.core.exports`
(formula escaping, streamed rows). Each export is an audit event: who took which rows out. The pages
and the API hand out the same files from here."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_file, xlsx_response
from lianfang.core.models import AuditKind
from lianfang.materials.choices import TransferStatus
from lianfang.materials.models import Movement, Transfer
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
        pgettext("material", "Item"),
        _("Unit of measure"),
        _("On hand"),
        _("Subtree total"),
        _("In transit"),
        _("Daily use"),
        _("Forecast from front-line headcount"),
        _("Days of supply"),
        _("Threshold"),
        _("Target days"),
        pgettext("stock", "Level"),
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
        _("Business date"),
        _("Unit code"),
        _("Unit"),
        pgettext("material", "Item"),
        _("Kind"),
        _("Quantity"),
        _("Balance after"),
        _("Unit of measure"),
        _("To the front line"),
        _("From / to"),
        _("Reference"),
        _("Note"),
        _("Recorded at"),
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


IN_TRANSIT = (TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED)


def transfer_sheet(transfers) -> Sheet:
    """One row per transfer line. The dates shipped and received are those the keepers entered (the
    day the goods left and arrived); when each step was recorded follows at the end."""

    def rows() -> Iterator[list]:
        for t in transfers:
            for line in t.lines.all():
                yield [
                    t.number,
                    t.get_status_display(),
                    t.from_unit.name,
                    t.to_unit.name,
                    line.item.label,
                    line.item.get_measure_display(),
                    line.quantity,
                    line.shipped,
                    line.received,
                    line.shipped - line.received if t.status in IN_TRANSIT else 0,
                    line.discrepancy_note,
                    timezone.localtime(t.created).date() if t.created else None,
                    timezone.localtime(t.approved).date() if t.approved else None,
                    t.shipped_on,
                    t.received_on,
                    t.note,
                    t.shipped,
                    t.received,
                ]

    headers = [
        pgettext("transfer", "Transfer note number"),
        _("Status"),
        pgettext("transfer", "From"),
        pgettext("transfer", "To"),
        pgettext("material", "Item"),
        _("Unit of measure"),
        pgettext("transfer quantity", "Agreed"),
        pgettext("transfer quantity", "Shipped"),
        pgettext("transfer quantity", "Received"),
        pgettext("transfer quantity", "In transit"),
        _("Discrepancy"),
        pgettext("transfer", "Proposed on"),
        pgettext("transfer", "Approved on"),
        pgettext("transfer", "Shipped on"),
        pgettext("transfer", "Received on"),
        _("Note"),
        pgettext("transfer", "Shipment recorded at"),
        pgettext("transfer", "Receipt recorded at"),
    ]
    return Sheet(
        title=pgettext("transfer", "Transfers"),
        headers=headers,
        rows=rows(),
        widths=(18, 10, 24, 24, 16, 8, 10, 10, 10, 10, 24, 12, 12, 12, 12, 24, 17, 17),
    )


def transfers_export_response(*, actor, transfers: QuerySet[Transfer]):
    """The transfers as .xlsx (pages and API alike), recorded as an export."""
    file, count = xlsx_file([transfer_sheet(transfers)])
    record_event(
        kind=AuditKind.EXPORT, actor=actor, object_repr=pgettext("transfer", "Transfers"), what="transfers", rows=count
    )
    return xlsx_response(file, file_name=f"transfers-{timezone.localdate():%Y%m%d}.xlsx")
