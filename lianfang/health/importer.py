"""Risk-area lists in and out of Excel: the import (all or nothing, every error with its row and
column), its template, and the export, which imports back unchanged.

The authorities publish risk areas as lists; the office pastes them into the template. A list is a
few hundred rows, so the import runs within the request (no job): the upload passes the same
safety checks as a roster (:mod:`lianfang.core.uploads`: size, type by content, zip-bomb and DTD
checks), every row is checked, and only a clean file is written, in one transaction
(:func:`lianfang.health.services.risk_areas.risk_areas_import`).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, unescape_formula, xlsx_bytes, xlsx_file
from lianfang.core.jobs import error
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.core.uploads import UnreadableFile, check_spreadsheet, open_rows
from lianfang.health import divisions
from lianfang.health.choices import RiskLevel
from lianfang.health.models import RiskArea
from lianfang.health.services import risk_areas as risk_services
from lianfang.org.scoping import has_any

MAX_ROWS = 5000
MAX_ERRORS = 500
SHEET_TITLE = "风险地区"

LEVEL_LABELS = {RiskLevel.HIGH: "高", RiskLevel.MEDIUM: "中", RiskLevel.LOW: "低"}
_LEVEL_ALIASES = {"高风险": RiskLevel.HIGH, "中风险": RiskLevel.MEDIUM, "低风险": RiskLevel.LOW}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    help: Promise
    example: Any
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column(
        "区划代码",
        "division_code",
        True,
        gettext_lazy("National division code: 2 digits for a province, 4 for a city, 6 for a district."),
        "420102",
        ("division code", "code", "行政区划代码"),
    ),
    Column(
        "地区名称",
        "name",
        False,
        gettext_lazy("The area's name as published; left empty, the division's full name is used."),
        "湖北省武汉市江岸区",
        ("area", "area name", "名称", "地区"),
    ),
    Column(
        "风险等级",
        "level",
        True,
        gettext_lazy("高, 中 or 低 (high, medium or low)."),
        "高",
        ("level", "risk level", "等级"),
    ),
    Column(
        "生效日期",
        "effective_from",
        True,
        gettext_lazy("The day the area comes into force: an Excel date or text such as 2022-11-20."),
        datetime.date(2022, 11, 20),
        ("in force from", "effective from", "开始日期"),
    ),
    Column(
        "解除日期",
        "lifted_on",
        False,
        gettext_lazy("The day the area is lifted, if it is; it no longer applies from that day."),
        None,
        ("lifted on", "lifted", "结束日期"),
    ),
    Column(
        "发布来源",
        "source",
        False,
        gettext_lazy("Who published it, e.g. a notice number; at most 200 characters."),
        "武汉市疫情防控指挥部通告第12号",
        ("source", "来源"),
    ),
)
HEADERS = tuple(c.header for c in COLUMNS)
_NOISE = re.compile(r"[*＊\s]|[(（](必填|选填|可选)[)）]")


def _norm(value: Any) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", str(value or ""))).strip().lower()


_LOOKUP = {_norm(name): column for column in COLUMNS for name in (column.header, *column.aliases)}


def _level_lookup() -> dict[str, str]:
    lookup = {_norm(k): v.value for k, v in _LEVEL_ALIASES.items()}
    with translation.override("en"):
        for member in RiskLevel:
            for key in (LEVEL_LABELS[member], member.value, str(member.label)):
                lookup[_norm(key)] = member.value
    return lookup


class CellError(Exception):
    pass


class ImportRefused(ValidationError):
    """A refused import: ``errors`` lists every problem (row, column, value, message)."""

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__(_("The file has problems; nothing was imported."))
        self.errors = errors


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return unescape_formula(unicodedata.normalize("NFKC", str(raw)).strip())


def _code(raw: Any) -> str:
    text = _text(raw)
    if not text:
        raise CellError(_("Give the division code of the area, e.g. 420102."))
    if not divisions.is_valid(text):
        raise CellError(
            _(
                "Not a division code. Give the 2-digit code of a province, the 4-digit code of a city or the "
                "6-digit code of a district, e.g. 42, 4201 or 420102."
            )
        )
    return text


_DATE_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def _date(raw: Any, *, required: bool) -> datetime.date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise CellError(_("Give a date, as YYYY-MM-DD (for example 2022-11-20) or an Excel date."))
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        from openpyxl.utils.datetime import from_excel

        value = from_excel(raw)
        return value.date() if isinstance(value, datetime.datetime) else value
    match = _DATE_TEXT.match(_text(raw))
    if match:
        try:
            return datetime.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise CellError(_("Not a date. Write it as YYYY-MM-DD (for example 2022-11-20) or use an Excel date."))


def read_rows(*, file_name: str, data: bytes) -> list[dict[str, Any]]:
    """The checked rows of an upload; :class:`ImportRefused` listing every problem (row, column,
    value, message), so the page can show them and offer the error report."""
    kind = check_spreadsheet(file_name=file_name, data=data)
    levels = _level_lookup()
    errors: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    try:
        with open_rows(kind=kind, data=data) as sheet:
            iterator = iter(sheet.rows)
            header = next(iterator, None)
            if header is None:
                raise _file_error(_("The file is empty: fill in the template's header row and one row per area."))
            columns: dict[int, Column] = {}
            for index, cell in enumerate(header):
                column = _LOOKUP.get(_norm(cell))
                if column is not None:
                    columns[index] = column
            missing = [c.header for c in COLUMNS if c.required and c not in columns.values()]
            if missing:
                raise _file_error(
                    _("The header row lacks the columns %(columns)s: use the template's header row.")
                    % {"columns": "、".join(missing)}
                )
            for number, cells in enumerate(iterator, start=2):
                if not any(v not in (None, "") for v in cells):
                    continue
                if len(rows) >= MAX_ROWS:
                    raise _file_error(
                        _("The file has more than %(n)s areas: split it into smaller files.") % {"n": MAX_ROWS}
                    )
                row, row_errors = _read_row(number, cells, columns, levels)
                errors.extend(row_errors)
                if len(errors) >= MAX_ERRORS:
                    break
                rows.append(row)
    except UnreadableFile as exc:
        raise _file_error(exc.messages[0]) from None
    if not rows and not errors:
        raise _file_error(_("The file has no areas under the header row: fill in one row per area."))
    if errors:
        raise ImportRefused(errors)
    return rows


def _file_error(message: str) -> ImportRefused:
    return ImportRefused([error(message)])


def _read_row(
    number: int, cells: tuple[Any, ...], columns: dict[int, Column], levels: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    row: dict[str, Any] = {"_row": number}
    errors: list[dict[str, Any]] = []
    for index, column in columns.items():
        raw = cells[index] if index < len(cells) else None
        try:
            if column.field == "division_code":
                value: Any = _code(raw)
            elif column.field == "level":
                value = levels.get(_norm(raw))
                if value is None:
                    raise CellError(_("Write the level as 高, 中 or 低 (or high, medium, low)."))
            elif column.field in ("effective_from", "lifted_on"):
                value = _date(raw, required=column.required)
            else:
                value = _text(raw)
                limit = 100 if column.field == "name" else 200
                if len(value) > limit:
                    raise CellError(_("Write at most %(n)s characters.") % {"n": limit})
        except CellError as exc:
            errors.append(error(str(exc), row=number, column=column.header, value=raw))
            continue
        row[column.field] = value
    start, lifted = row.get("effective_from"), row.get("lifted_on")
    if isinstance(start, datetime.date) and isinstance(lifted, datetime.date) and lifted < start:
        errors.append(
            error(
                _("An area cannot be lifted before it comes into force: give a later day."),
                row=number,
                column="解除日期",
                value=lifted,
            )
        )
    return row, errors


def risk_import(*, actor, file_name: str, data: bytes) -> list[RiskArea]:
    """Check and import a file, all or nothing; audited. Raises ValidationError with the errors."""
    if not has_any(actor, risk_services.RISK_LABEL, Action.IMPORT):
        raise PermissionDenied
    rows = read_rows(file_name=file_name, data=data)
    try:
        areas = risk_services.risk_areas_import(actor=actor, rows=rows)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            errors = [
                error(message, row=int(key) if key.isdigit() else None)
                for key, messages in exc.message_dict.items()
                for message in messages
            ]
        else:
            errors = [error(message) for message in exc.messages]
        raise ImportRefused(errors) from exc
    record_event(kind=AuditKind.IMPORT, actor=actor, object_repr=_("Risk areas"), what="risk_areas", rows=len(areas))
    return areas


def import_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """The per-row errors of a refused import (or the messages of another refusal: a bad upload)."""
    if isinstance(exc, ImportRefused):
        return list(exc.errors)
    return [error(m) for m in exc.messages]


# --- template and export --------------------------------------------------------------------------


def template_file_name() -> str:
    return f"{SHEET_TITLE}导入模板.xlsx"


def export_file_name() -> str:
    return f"{SHEET_TITLE}-{timezone.localdate():%Y%m%d}.xlsx"


def risk_template() -> bytes:
    """The header row, one example row, and a sheet explaining each column."""
    example = [c.example for c in COLUMNS]
    help_rows = [[c.header, _("Yes") if c.required else _("No"), str(c.help)] for c in COLUMNS] + [
        [],
        [_("One row per area, under the header row. The example row may be overwritten or deleted.")],
        [_("A row with the code and start day of an area already on the list updates that area.")],
        [_("If any row has a problem, nothing is imported and every problem is listed with its row and column.")],
    ]
    return xlsx_bytes(
        [
            Sheet(title=SHEET_TITLE, headers=HEADERS, rows=[example], widths=(12, 28, 10, 12, 12, 36)),
            Sheet(
                title="填写说明",
                headers=[_("Column"), _("Required"), _("What to write")],
                rows=help_rows,
                widths=(14, 8, 80),
            ),
        ]
    )


def risk_export_file(*, actor, areas: QuerySet[RiskArea]) -> tuple[IO[bytes], int]:
    """The areas as the import reads them (so an export imports back); audited."""
    if not has_any(actor, risk_services.RISK_LABEL, Action.EXPORT):
        raise PermissionDenied
    rows = (
        [a.division_code, a.name, LEVEL_LABELS.get(a.level, a.level), a.effective_from, a.lifted_on, a.source]
        for a in areas.order_by("-effective_from", "division_code").iterator()
    )
    file, count = xlsx_file([Sheet(title=SHEET_TITLE, headers=HEADERS, rows=rows, widths=(12, 28, 10, 12, 12, 36))])
    record_event(kind=AuditKind.EXPORT, actor=actor, object_repr=_("Risk areas"), what="risk_areas", rows=count)
    return file, count
