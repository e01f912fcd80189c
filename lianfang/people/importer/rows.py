"""Reading a roster file and checking every row on its own: the first half of an import.

:class:`RosterReader` streams the rows of a checked upload (:func:`lianfang.core.uploads.open_rows`),
finds the header row, and turns each row into a :class:`Row` of Person values, or into errors that
name the row, the column and what to write instead. Every problem of the file is collected, not
only the first, so the person fixes the file in one go; the write phase
(:class:`~lianfang.people.importer.run.RosterImporter`, a subclass) adds the problems only the
roster itself reveals and raises them all together.

A column that is not in the file reads as :data:`KEEP` in every row (the value on record stays);
an empty cell of a column that is in the file reads as empty (or the choice's default).

Unit codes are looked up among the units the actor may import into only: every other code is
"unknown", whether or not it exists, so a file cannot be used to discover units outside one's scope.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from lianfang.core.jobs import JobFailed, error, job_report_progress
from lianfang.core.masking import mask_id_number
from lianfang.core.models import Job
from lianfang.core.scoping import Action
from lianfang.core.uploads import SpreadsheetKind, open_rows
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths
from lianfang.people.choices import Whereabouts
from lianfang.people.importer.cells import CellConverters, CellError
from lianfang.people.importer.format import COLUMNS, FIELDS, HEADER_LOOKUP, HEADERS, IGNORED, Column, norm_header
from lianfang.people.models import Tag

PERSON_LABEL = "people.person"
PROGRESS_EVERY = 1000
# Every error is listed up to this many; beyond it the file is clearly the wrong one.
MAX_ERRORS = 10_000

_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}


class _Keep:
    """The column is not in the file: keep the value on record (or the default for new people)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(slots=True)
class Row:
    """One checked row; fields whose column is absent hold ``KEEP``."""

    number: int
    name: Any
    gender: Any
    employee_no: str
    id_number: Any
    phone: Any
    unit: Any
    category: Any
    tags: Any
    employment_status: Any
    whereabouts: Any
    returned_from: Any
    returned_on: Any
    expected_return_on: Any


class RosterReader:
    """Reads and checks one roster file for one actor; :class:`~.run.RosterImporter` adds the write."""

    def __init__(self, *, actor, job: Job | None = None):
        self.sheet_name = ""  # the worksheet read, once read (the result says which)
        self.actor = actor
        self.job = job
        self.errors: list[dict[str, Any]] = []
        self.today = timezone.localdate()
        self.timings = {"parse": 0.0, "validate": 0.0, "write": 0.0}
        self.fields_in_file: set[str] = set()
        self.max_rows = int(getattr(settings, "LIANFANG_MAX_IMPORT_ROWS", 200_000))
        self._paths: tuple[str, ...] = tuple(allowed_paths(actor, PERSON_LABEL, Action.IMPORT))
        self._units, self._units_ci = self._importable_units()
        self._tags, self._tag_objects = self._tag_lookup()
        self._converters = CellConverters(
            units=self._units, units_ci=self._units_ci, tags=self._tags, tag_objects=self._tag_objects
        ).by_field()

    # --- scope ------------------------------------------------------------------------------------

    def _in_scope(self, unit_path: str) -> bool:
        return bool(self.actor.is_superuser) or unit_path.startswith(self._paths)

    def _importable_units(self) -> tuple[dict[str, tuple[int, bool]], dict[str, str]]:
        """Codes of the units the actor may import into. Every other code is "unknown", whether or
        not it exists, so a file cannot be used to discover units outside one's scope."""
        if self.actor.is_superuser:
            units = Unit.objects.all()
        elif self._paths:
            condition = Q()
            for path in self._paths:
                condition |= Q(path__startswith=path)
            units = Unit.objects.filter(condition)
        else:
            units = Unit.objects.none()
        by_code = {code: (pk, active) for code, pk, active in units.values_list("code", "pk", "is_active")}
        folded = {code.upper(): code for code in by_code}
        return by_code, folded

    @staticmethod
    def _tag_lookup() -> tuple[dict[str, int], dict[int, Tag]]:
        lookup: dict[str, int] = {}
        objects = {}
        for tag in Tag.objects.all():
            objects[tag.pk] = tag
            for key in (tag.code, tag.name, tag.name_en):
                if key:
                    lookup[key.strip().lower()] = tag.pk
        return lookup, objects

    # --- reading and checking ---------------------------------------------------------------------

    def _fail_if_errors(self) -> None:
        if self.errors:
            # Errors found while reading and while checking against the roster, in file order.
            self.errors.sort(key=lambda e: e["row"] or 0)
            raise JobFailed(self.errors[:MAX_ERRORS] + self._overflow_note())

    def _overflow_note(self) -> list[dict[str, Any]]:
        if len(self.errors) <= MAX_ERRORS:
            return []
        extra = len(self.errors) - MAX_ERRORS
        return [
            error(
                _("%(count)d more errors are not listed. Fix the ones above and import the file again.")
                % {"count": extra}
            )
        ]

    def _add_error(self, message: str, *, row: int | None = None, column: str = "", value: Any = "") -> None:
        self.errors.append(error(message, row=row, column=column, value=value))

    def read(self, *, kind: SpreadsheetKind, data: bytes) -> list[Row]:
        """The rows of the file that passed the checks of their own cells.

        Problems with the file as a whole raise JobFailed at once. Problems of single rows are kept
        and raised by :meth:`write` together with those only the roster reveals (people outside the
        scope, masked values), so the person sees every problem of the file in one go.
        """
        started = time.perf_counter()
        validating = 0.0
        rows: list[Row] = []
        seen: dict[str, int] = {}
        with open_rows(kind=kind, data=data) as sheet:
            self.sheet_name = sheet.sheet
            iterator = iter(sheet.rows)
            layout = self._read_header(iterator)
            self.fields_in_file = {column.field for _index, column in layout.columns}
            total = (sheet.total - layout.header_row) if sheet.total else None
            self._progress(0, total)
            for number, values in enumerate(iterator, start=layout.header_row + 1):
                tick = time.perf_counter()
                if not _is_blank(values):
                    if len(rows) + 1 > self.max_rows:
                        self._add_error(
                            _("The file has more than %(max)d people; split it into smaller files.")
                            % {"max": self.max_rows}
                        )
                        break
                    row = self._check_row(number, values, layout.columns, seen)
                    if row is not None:
                        rows.append(row)
                    if number % PROGRESS_EVERY == 0:
                        self._progress(number - layout.header_row, total)
                validating += time.perf_counter() - tick
        if not rows and not self.errors:
            self._add_error(
                _("The file has no people in it: under the header row, fill in one row per person."),
                row=layout.header_row + 1,
            )
        self.timings["validate"] = validating
        self.timings["parse"] = time.perf_counter() - started - validating
        if not rows:
            self._fail_if_errors()
        return rows

    @dataclass
    class _Layout:
        header_row: int
        columns: list[tuple[int, Column]]

    def _read_header(self, iterator: Iterator[tuple[Any, ...]]) -> RosterReader._Layout:
        """Find the header row (rows above it, such as a title, are read past) and map the columns."""
        candidates: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(iterator, start=1):
            if _is_blank(values):
                if number > 50:
                    break
                continue
            known = sum(1 for v in values if norm_header(v) in HEADER_LOOKUP)
            if known >= 2:
                return self._map_header(number, values)
            candidates.append((number, values))
            if len(candidates) >= 10:
                break
        if not candidates:
            raise JobFailed([error(_("The file is empty."))])
        # No row looks like the header: report the first row's headers as missing and unknown.
        self._map_header(*candidates[0])
        raise JobFailed(self.errors)  # not reached: the first row lacks the required headers

    def _map_header(self, number: int, values: Sequence[Any]) -> RosterReader._Layout:
        columns: list[tuple[int, Column]] = []
        used: dict[str, int] = {}
        for index, value in enumerate(values):
            text = str(value).strip() if value is not None else ""
            key = norm_header(value)
            if not key or key in IGNORED:
                continue
            column = HEADER_LOOKUP.get(key)
            if column is None:
                self._add_error(
                    _(
                        "Unknown column “%(header)s”. Rename it to one of the template's headers or delete it. "
                        "The headers are: %(headers)s."
                    )
                    % {"header": text, "headers": "、".join(HEADERS)},
                    row=number,
                    column=text,
                    value=text,
                )
                continue
            if column.field in used:
                self._add_error(
                    _("The column “%(header)s” appears twice; keep only one.") % {"header": column.header},
                    row=number,
                    column=column.header,
                    value=text,
                )
                continue
            used[column.field] = index
            columns.append((index, column))
        for column in COLUMNS:
            if column.required and column.field not in used:
                self._add_error(
                    _("The required column “%(header)s” is missing. Add it to the header row (see the template).")
                    % {"header": column.header},
                    row=number,
                    column=column.header,
                )
        self._fail_if_errors()
        return self._Layout(header_row=number, columns=columns)

    def _check_row(
        self, number: int, values: Sequence[Any], columns: list[tuple[int, Column]], seen: dict[str, int]
    ) -> Row | None:
        cleaned: dict[str, Any] = dict.fromkeys(FIELDS, KEEP)
        ok = True
        width = len(values)
        for index, column in columns:
            raw = values[index] if index < width else None
            try:
                if isinstance(raw, str) and raw.strip() in _EXCEL_ERRORS:
                    raise CellError(
                        _("The cell shows an Excel error (%(value)s); correct the formula or type the value.")
                        % {"value": raw.strip()}
                    )
                value = self._converters[column.field](raw)
                if value is None and column.required:
                    raise CellError(_("This cell is required; fill it in."))
                cleaned[column.field] = value
            except CellError as exc:
                ok = False
                shown = mask_id_number(str(raw)) if column.field == "id_number" and raw else raw
                self._add_error(exc.message, row=number, column=column.header, value=_display(shown))
        employee_no = cleaned["employee_no"]
        if isinstance(employee_no, str):
            first = seen.get(employee_no)
            if first is not None:
                ok = False
                self._add_error(
                    _(
                        "The employee number %(number)s is also on row %(first)d; each person may appear only once "
                        "in a file."
                    )
                    % {"number": employee_no, "first": first},
                    row=number,
                    column="工号",
                    value=employee_no,
                )
            else:
                seen[employee_no] = number
        returned_on = cleaned["returned_on"]
        if cleaned["whereabouts"] is not KEEP and returned_on is not KEEP:
            ok = self._check_returned(number, cleaned["whereabouts"], returned_on) and ok
        if isinstance(returned_on, datetime.date) and returned_on > self.today:
            ok = False
            self._add_error(
                _("The date of return is in the future; for a planned return fill in 预计返回日期 instead."),
                row=number,
                column="返回日期",
                value=_display(returned_on),
            )
        if not ok:
            return None
        return Row(number=number, **cleaned)

    def _progress(self, done: int, total: int | None, phase: Promise | str | None = None) -> None:
        if self.job is not None:
            job_report_progress(job=self.job, done=done, total=total, phase=str(phase or _("Reading the file")))

    def _check_returned(self, number: int, whereabouts: str, returned_on: datetime.date | None) -> bool:
        # The database refuses this too (person_returned_has_date); saying it per row is kinder.
        if whereabouts == Whereabouts.RETURNED and returned_on is None:
            self._add_error(
                _("Give the date of return for a person who returned from elsewhere (去向类别 外地返回)."),
                row=number,
                column="返回日期",
            )
            return False
        return True


def _is_blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
