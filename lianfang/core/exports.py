"""Writing .xlsx and .csv files that are safe to open: exports, error reports, bulletins.

Every workbook Lianfang hands out goes through :func:`write_xlsx`, and every CSV file through
:func:`csv_response`; both write each cell through :func:`cell_value`, which

* escapes text that a spreadsheet would run as a formula (CSV/formula injection, OWASP): a cell
  that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single
  quote, so ``=HYPERLINK(...)`` typed into a name field shows as text and never executes;
* streams rows through openpyxl's write-only mode, which spools each sheet to a temporary file as
  rows arrive, so an export of 100,000 people does not hold 100,000 rows of cells in memory.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses control characters in cells; openpyxl raises on them. They carry no meaning in a roster.
_ILLEGAL = {c: None for c in range(32) if chr(c) not in "\t\n\r"}


def escape_formula(value: str) -> str:
    """Text as it must be written to a cell so that no spreadsheet evaluates it."""
    value = value.translate(_ILLEGAL)
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """The text :func:`escape_formula` protected, so an exported file imports back unchanged."""
    if value.startswith("'") and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def cell_value(value: Any) -> Any:
    """A Python value as a safe cell: numbers, dates and booleans typed, everything else escaped text."""
    if value is None or isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if isinstance(value, datetime.datetime):
        # Excel has no time zones: show the time as the group reads it.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, datetime.date):
        return value
    return escape_formula(str(value))


@dataclass
class Sheet:
    """One worksheet to write: a header row, then ``rows`` (any iterable, consumed once)."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = field(default_factory=tuple)


def write_xlsx(target: IO[bytes], sheets: Iterable[Sheet]) -> int:
    """Write ``sheets`` as an .xlsx to ``target``; returns the number of data rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    count = 0
    for spec in sheets:
        sheet = workbook.create_sheet(_sheet_title(spec.title))
        sheet.freeze_panes = "A2"
        for index, width in enumerate(spec.widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header = []
        for title in spec.headers:
            cell = WriteOnlyCell(sheet, value=cell_value(title))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            values = [cell_value(v) for v in row]
            for index, value in enumerate(values):
                if isinstance(value, datetime.date):
                    # Without a number format Excel shows a date as a serial number (44927).
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime.datetime) else "yyyy-mm-dd"
                    values[index] = cell
            sheet.append(values)
            count += 1
    workbook.save(target)
    return count


def _sheet_title(title: str) -> str:
    # Excel's limits: 31 characters, none of []:*?/\ .
    for ch in "[]:*?/\\":
        title = title.replace(ch, " ")
    return title[:31] or "Sheet1"


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The workbook as bytes, for small files (templates, error reports) and for API callers."""
    with tempfile.TemporaryFile() as target:
        write_xlsx(target, sheets)
        target.seek(0)
        return target.read()


def xlsx_file(sheets: Iterable[Sheet]) -> tuple[IO[bytes], int]:
    """The workbook in an anonymous temporary file, rewound, and its data-row count.

    For big exports: the response streams the file from disk instead of holding the bytes.
    """
    target = tempfile.TemporaryFile()  # noqa: SIM115  (handed to the caller, who closes it)
    try:
        count = write_xlsx(target, sheets)
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return target, count


def xlsx_response(file: IO[bytes] | bytes, *, file_name: str) -> FileResponse:
    """A download of a workbook (a file object is streamed and closed by the response)."""
    if isinstance(file, bytes):
        file = io.BytesIO(file)
    response = FileResponse(file, as_attachment=True, filename=file_name, content_type=XLSX_CONTENT_TYPE)
    # Personal data: never kept by a shared cache or the browser's back button.
    response["Cache-Control"] = "no-store"
    return response


# --- CSV ----------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose ``write`` returns the line, so rows stream as they are written."""

    def write(self, value: str) -> str:
        return value


def csv_text_value(value: Any) -> str:
    """A value as a CSV cell: strings escaped like a workbook's cells, numbers (negative ones too),
    dates and booleans written as they are, since only text can carry a formula."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_lines(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """The lines of a CSV file (UTF-8 with a BOM, so Excel opens Chinese text), every cell escaped."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([csv_text_value(h) for h in headers])
    for row in rows:
        yield writer.writerow([csv_text_value(v) for v in row])


def csv_response(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, file_name: str) -> StreamingHttpResponse:
    """A streamed CSV download (rows are consumed as the response is sent)."""
    response = StreamingHttpResponse(csv_lines(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response
