"""Roster export (花名册导出) and the import template, in the file format of :mod:`lianfang.people.importer`.

The export holds exactly what the user may export: ``Person.objects.restrict(user, "export")``
narrowed by the list's filters (``PersonFilterSet``), so the file matches the list on screen. ID
numbers and phones are masked except for people in units where the user holds ``unmask``; the
export, and any unmasking it did, are audited. An exported file imports back unchanged, masked
values included (the importer keeps a masked value that matches the record).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator, Mapping
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_event
from lianfang.core.exports import Sheet, cell_value, escape_formula, xlsx_bytes, xlsx_file
from lianfang.core.masking import mask_id_number, mask_phone
from lianfang.core.models import AuditKind
from lianfang.core.scoping import Action
from lianfang.org.scoping import allowed_paths, has_any
from lianfang.people.filters import PersonFilterSet
from lianfang.people.importer import (
    CHOICE_LABELS,
    COLUMNS,
    HEADERS,
    PERSON_LABEL,
    allowed_values_text,
    choice_label,
)
from lianfang.people.models import Person, Tag
from lianfang.people.validators import normalize_id_number

SHEET_TITLE = "花名册"
UNIT_NAME_HEADER = "单位名称"
# The unit's name sits next to its code for the reader; the importer reads past it.
EXPORT_HEADERS = (*HEADERS[:6], UNIT_NAME_HEADER, *HEADERS[6:])
EXPORT_WIDTHS = (10, 6, 12, 21, 14, 12, 26, 10, 14, 9, 10, 9, 12, 13)
BATCH = 2000

_EXPORT_FIELDS = (
    "pk",
    "name",
    "gender",
    "employee_no",
    "id_number",
    "phone",
    "unit__code",
    "unit__name",
    "unit__path",
    "category",
    "employment_status",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
)


def export_file_name() -> str:
    return f"{SHEET_TITLE}-{timezone.localdate():%Y%m%d}.xlsx"


def roster_export(*, actor, params: Mapping[str, Any]) -> bytes:
    """The filtered, scoped roster as .xlsx bytes (for the API and tests; pages use the file variant)."""
    file, _count = roster_export_file(actor=actor, params=params)
    with file:
        return file.read()


def roster_export_file(*, actor, params: Mapping[str, Any]) -> tuple[IO[bytes], int]:
    """The filtered, scoped roster as an .xlsx in a temporary file (rewound), and its row count.

    Rows are read in batches and the workbook is streamed to disk, so memory stays flat however
    many people are exported. Raises ``PermissionDenied`` if the actor may export nowhere.
    """
    if not has_any(actor, PERSON_LABEL, Action.EXPORT):
        raise PermissionDenied
    filterset = PersonFilterSet(params, queryset=Person.objects.restrict(actor, Action.EXPORT), viewer=actor)
    # Like the list, filters that do not validate are ignored (the list says so on screen).
    queryset = filterset.qs.order_by("unit__path", "employee_no")
    unmask_paths = None if actor.is_superuser else tuple(allowed_paths(actor, PERSON_LABEL, Action.UNMASK))
    stats = {"unmasked": 0}
    rows = _rows(queryset, unmask_paths, stats)
    sheet = Sheet(title=SHEET_TITLE, headers=EXPORT_HEADERS, rows=rows, widths=EXPORT_WIDTHS)
    file, count = xlsx_file([sheet])
    filters = _audited_filters(filterset)
    record_event(
        kind=AuditKind.EXPORT,
        actor=actor,
        object_repr=_("Roster"),
        what="roster",
        rows=count,
        unmasked=stats["unmasked"],
        filters=filters,
    )
    if stats["unmasked"]:
        record_event(
            kind=AuditKind.UNMASK,
            actor=actor,
            object_repr=_("Roster export"),
            fields=["id_number", "phone"],
            people=stats["unmasked"],
            source="export",
            filters=filters,
        )
    return file, count


def _audited_filters(filterset: PersonFilterSet) -> dict[str, Any]:
    """The filters that were applied, for the audit log; a searched ID number is logged masked."""
    filterset.is_valid()  # validates; ``cleaned_data`` then holds only the filters that apply
    applied: dict[str, Any] = {}
    for name, value in getattr(filterset.form, "cleaned_data", {}).items():
        if isinstance(value, QuerySet | list | tuple):
            value = [str(getattr(v, "code", v)) for v in value]
        elif name == "q" and value:
            text = normalize_id_number(str(value))
            value = mask_id_number(text) if len(text) == 18 else str(value)
        elif value is not None:
            value = str(value)
        if value not in (None, "", []):
            applied[name] = value
    return applied


def _rows(queryset, unmask_paths: tuple[str, ...] | None, stats: dict[str, int]) -> Iterator[list[Any]]:
    """Export rows in batches: one query for people (streamed) and one for their tags per batch."""
    tag_names = dict(Tag.objects.values_list("pk", "name"))
    batch: list[tuple] = []
    for values in queryset.values_list(*_EXPORT_FIELDS).iterator(chunk_size=BATCH):
        batch.append(values)
        if len(batch) >= BATCH:
            yield from _render(batch, tag_names, unmask_paths, stats)
            batch = []
    if batch:
        yield from _render(batch, tag_names, unmask_paths, stats)


def _render(
    batch: list[tuple], tag_names: dict[int, str], unmask_paths: tuple[str, ...] | None, stats: dict[str, int]
) -> Iterator[list[Any]]:
    tags: dict[int, list[str]] = {}
    through = Person.tags.through
    links = through.objects.filter(person_id__in=[v[0] for v in batch]).order_by("tag_id")
    for person_id, tag_id in links.values_list("person_id", "tag_id"):
        tags.setdefault(person_id, []).append(tag_names[tag_id])
    for (
        pk,
        name,
        gender,
        employee_no,
        id_number,
        phone,
        unit_code,
        unit_name,
        unit_path,
        category,
        status,
        whereabouts,
        returned_from,
        returned_on,
        expected_return_on,
    ) in batch:
        unmasked = unmask_paths is None or unit_path.startswith(unmask_paths)
        if unmasked and (id_number or phone):
            stats["unmasked"] += 1
        yield [
            name,
            choice_label("gender", gender) if gender else "",
            employee_no,
            id_number if unmasked else mask_id_number(id_number),
            phone if unmasked else mask_phone(phone),
            unit_code,
            unit_name,
            choice_label("category", category),
            "、".join(tags.get(pk, ())),
            choice_label("employment_status", status),
            choice_label("whereabouts", whereabouts),
            returned_from,
            returned_on,
            expected_return_on,
        ]


# --- the template ---------------------------------------------------------------------------------


def roster_template(*, example_unit_code: str = "") -> bytes:
    """The import template: the headers and one example row, and a sheet explaining every column.

    ``example_unit_code`` fills the example row's unit (the page passes one of the user's units),
    so the example itself imports. Choice columns offer drop-down lists; the ID number, phone and
    code columns are formatted as text so Excel keeps every digit.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(HEADERS))
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    text_fields = {"employee_no", "id_number", "phone", "unit"}
    date_fields = {"returned_on", "expected_return_on"}
    last_row = 5000
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = bold
        if column.required:
            cell.fill = required_fill
        dimension = sheet.column_dimensions[letter]
        dimension.width = EXPORT_WIDTHS[index if index > 6 else index - 1]
        if column.field in text_fields:
            dimension.number_format = "@"
        elif column.field in date_fields:
            dimension.number_format = "yyyy-mm-dd"
        if column.field in CHOICE_LABELS:
            choices = ",".join(CHOICE_LABELS[column.field].values())
            # A warning, not a stop: English labels and codes are accepted too.
            validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True, errorStyle="warning")
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    example = {column.field: column.example for column in COLUMNS}
    example["unit"] = escape_formula(example_unit_code)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=2, column=index, value=example[column.field])
        if column.field in text_fields:
            cell.number_format = "@"
        elif column.field in date_fields:
            cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet("填写说明")
    help_sheet.append([_("Column"), _("Required"), _("What to write"), _("Allowed values")])
    for cell in help_sheet[1]:
        cell.font = bold
    tags = "、".join(Tag.objects.order_by("code").values_list("name", flat=True))
    for column in COLUMNS:
        if column.field in CHOICE_LABELS:
            allowed = allowed_values_text(column.field)
        elif column.field == "tags":
            allowed = tags
        elif column.field in date_fields:
            allowed = _("A date, e.g. %(example)s") % {"example": datetime.date(2022, 2, 15).isoformat()}
        else:
            allowed = ""
        # Tag names are typed by the office: escaped like every exported cell.
        help_sheet.append(
            [
                cell_value(v)
                for v in (column.header, _("Yes") if column.required else _("No"), str(column.help), allowed)
            ]
        )
    help_sheet.append([])
    for note in (
        _("One row per person, under the header row. The example row may be overwritten or deleted."),
        _("A person whose employee number is already on the roster is updated; anyone else is added."),
        _("A column left out of the file leaves that value unchanged; an empty cell clears it."),
        _("Choices may also be written in English or as codes; tags may also be written as codes."),
        _("If any row has a problem, nothing is imported and every problem is listed with its row and column."),
        _("Columns %(ignored)s may be kept for reference; they are not imported.")
        % {"ignored": "、".join((UNIT_NAME_HEADER, "序号"))},
    ):
        help_sheet.append([cell_value(note)])
    for letter, width in zip("ABCD", (14, 8, 70, 40), strict=True):
        help_sheet.column_dimensions[letter].width = width
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_file_name() -> str:
    return f"{SHEET_TITLE}导入模板.xlsx"


def error_report(errors: list[dict[str, Any]]) -> bytes:
    """The errors of a failed import as a workbook (values from the upload are escaped like any export)."""
    sheet = Sheet(
        title=_("Errors"),
        headers=[_("Row"), _("Column"), _("Value"), _("What to fix")],
        rows=([e.get("row"), e.get("column", ""), e.get("value", ""), e.get("message", "")] for e in errors),
        widths=(8, 14, 24, 90),
    )
    return xlsx_bytes([sheet])
