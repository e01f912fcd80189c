"""The .xlsx files of donations, a collection's ledger, a fund and the donations-and-funds report.

Written through :mod:`lianfang.core.exports` (formula-safe cells, streamed rows). Callers restrict
the rows and audit the export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, xlsx_file, xlsx_response
from lianfang.core.models import AuditKind
from lianfang.donations.models import Collection, Donation, Fund, Spending
from lianfang.donations.selectors import CollectionLedger, CollectionTotals, DonationReport, FundsSummary


def audit_export(*, actor, what: str, object_repr: str, unit=None, **detail) -> None:
    """Record who took which file out (pages and API alike)."""
    record_event(
        kind=AuditKind.EXPORT,
        actor=actor,
        unit=unit,
        object_repr=str(object_repr),
        what=what,
        format="xlsx",
        **detail,
    )


def _stem(name: str) -> str:
    return f"{name}-{timezone.localdate().isoformat()}"


def _respond(sheets: list[Sheet], name: str) -> FileResponse:
    file, _count = xlsx_file(sheets)
    return xlsx_response(file, file_name=f"{_stem(name)}.xlsx")


def _lines_text(donation: Donation) -> str:
    return "; ".join(f"{line.item.label} {line.quantity.normalize():f}" for line in donation.lines.all())


def donations_xlsx(rows: Iterable[Donation]) -> FileResponse:
    def body() -> Iterator[list]:
        for d in rows.prefetch_related("lines__item") if hasattr(rows, "prefetch_related") else rows:
            yield [
                d.number,
                d.date,
                d.get_direction_display(),
                d.get_kind_display(),
                d.unit.name,
                d.counterparty,
                d.amount,
                _lines_text(d),
                d.receipt_no,
                d.collection.name if d.collection else "",
                d.note,
                timezone.localtime(d.cancelled) if d.cancelled else None,
                d.cancel_reason,
            ]

    sheet = Sheet(
        title=_("Donations"),
        headers=[
            pgettext("donation", "Number"),
            _("Date"),
            _("Direction"),
            _("Kind"),
            _("Unit"),
            _("Donor or recipient"),
            _("Amount (yuan)"),
            _("Goods"),
            _("Receipt number"),
            _("Collection"),
            _("Note"),
            _("Cancelled"),
            _("Reason for cancelling"),
        ],
        rows=body(),
        widths=(15, 11, 8, 8, 24, 24, 14, 40, 16, 20, 30, 16, 30),
    )
    return _respond([sheet], "donations")


def collection_xlsx(ledger: CollectionLedger) -> FileResponse:
    collection: Collection = ledger.collection
    totals = ledger.totals
    gifts = Sheet(
        title=_("Who gave"),
        headers=[_("Unit"), _("Date"), _("Amount (yuan)"), _("People who gave"), _("Note")],
        rows=[
            [gift.unit.name, gift.date, gift.amount, gift.donors, gift.note]
            for row in ledger.rows
            for gift in row.gifts
        ],
        widths=(28, 11, 14, 12, 30),
    )
    passed = Sheet(
        title=_("Where it went"),
        headers=[
            pgettext("donation", "Number"),
            _("Date"),
            pgettext("money", "To"),
            _("Amount (yuan)"),
            _("Receipt number"),
            _("Cancelled"),
        ],
        rows=[
            [d.number, d.date, d.counterparty, d.amount, d.receipt_no, _("Cancelled") if d.cancelled else ""]
            for d in ledger.passed_on
        ],
        widths=(15, 11, 28, 14, 16, 10),
    )
    summary = Sheet(
        title=_("Totals"),
        headers=[
            _("Collection"),
            _("For"),
            _("Collected"),
            _("Passed on"),
            pgettext("collection", "Left"),
            _("Units"),
            _("People"),
        ],
        rows=[
            [
                collection.name,
                collection.recipient,
                totals.collected,
                totals.passed_on,
                totals.left,
                totals.units,
                totals.donors,
            ]
        ],
        widths=(28, 24, 14, 14, 14, 8, 8),
    )
    return _respond([summary, gifts, passed], "collection")


def fund_xlsx(fund: Fund, spendings: list[Spending]) -> FileResponse:
    summary = Sheet(
        title=_("Fund"),
        headers=[
            _("Fund"),
            _("Unit"),
            _("Budget"),
            _("Approved, not yet paid"),
            _("Paid"),
            pgettext("money", "Balance"),
        ],
        rows=[[fund.name, fund.unit.name, fund.budget, fund.committed, fund.spent, fund.balance]],
        widths=(28, 24, 14, 14, 14, 14),
    )
    rows = Sheet(
        title=_("Spending"),
        headers=[
            _("Requested"),
            _("Unit"),
            _("Purpose"),
            _("Amount (yuan)"),
            _("Status"),
            _("Decision note"),
            _("Voucher number"),
            _("Paid on"),
        ],
        rows=[
            [
                s.requested,
                s.unit.name,
                s.purpose,
                s.amount,
                s.get_status_display(),
                s.decision_note,
                s.voucher_no,
                s.paid_on,
            ]
            for s in spendings
        ],
        widths=(16, 24, 40, 14, 10, 30, 16, 11),
    )
    return _respond([summary, rows], "fund")


def report_xlsx(
    *,
    report: DonationReport | None,
    collections: list[tuple[Collection, CollectionTotals]] | None,
    funds: FundsSummary | None,
) -> FileResponse:
    sheets: list[Sheet] = []
    if report is not None:
        sheets.append(
            Sheet(
                title=_("Money donations"),
                headers=[_("Unit"), _("Received (yuan)"), _("Given (yuan)"), _("Donations")],
                rows=[[r.unit.name, r.received, r.given, r.count] for r in report.money],
                widths=(28, 16, 16, 10),
            )
        )
        sheets.append(
            Sheet(
                title=_("Goods donations"),
                headers=[
                    _("Unit"),
                    pgettext("material", "Item"),
                    _("Unit of measure"),
                    pgettext("donation", "Received"),
                    _("Given"),
                ],
                rows=[
                    [r.unit.name if r.unit else "", r.item.label, r.item.get_measure_display(), r.received, r.given]
                    for r in report.goods
                ],
                widths=(28, 24, 12, 12, 12),
            )
        )
    if collections is not None:
        sheets.append(
            Sheet(
                title=_("Collections"),
                headers=[
                    _("Collection"),
                    _("Organised by"),
                    _("For"),
                    _("Opened on"),
                    _("Collected"),
                    _("Passed on"),
                    pgettext("collection", "Left"),
                    _("Units"),
                    _("People"),
                ],
                rows=[
                    [
                        c.name,
                        c.organiser.name,
                        c.recipient,
                        c.opened_on,
                        t.collected,
                        t.passed_on,
                        t.left,
                        t.units,
                        t.donors,
                    ]
                    for c, t in collections
                ],
                widths=(28, 24, 24, 11, 14, 14, 14, 8, 8),
            )
        )
    if funds is not None:
        sheets.append(
            Sheet(
                title=_("Emergency funds"),
                headers=[
                    _("Fund"),
                    _("Unit"),
                    _("Budget"),
                    _("Approved, not yet paid"),
                    _("Paid"),
                    pgettext("money", "Balance"),
                    pgettext("spending", "Waiting"),
                ],
                rows=[
                    [f.name, f.unit.name, f.budget, f.committed, f.spent, f.balance, getattr(f, "waiting", 0)]
                    for f in funds.funds
                ],
                widths=(28, 24, 14, 14, 14, 14, 8),
            )
        )
    return _respond(sheets, "donations-and-funds")
