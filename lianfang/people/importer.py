"""Roster import (花名册导入): an .xlsx or .csv file with Chinese headers, upserted by employee number.

All or nothing: the whole file is read and checked first, every problem is collected with its row,
column and what to fix, and only a clean file is written, in one transaction. The file format (the
headers and the Chinese labels of every choice) is defined here once; the template and the export
(:mod:`lianfang.people.exporter`) use the same definitions, so an exported file imports back.

Column semantics, for the people who fill the file in:

* a column that is not in the file is left as it is on people who already exist (and takes its
  default on new people), so a file with only 工号, 姓名, 单位编码 and 去向类别 updates whereabouts;
* an empty cell in a column that is in the file clears the value (or sets the choice's default);
* an ID number or phone that is masked with ``*`` (as exported to people who may not see them)
  keeps the value on record, provided it matches it.

Scope: unit codes outside the importer's ``import`` scope read as unknown, exactly like codes that
do not exist, and a person who exists in a unit outside that scope cannot be changed by the file.
After the write, every written row is re-checked against the scope inside the transaction.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lianfang.core import audit
from lianfang.core.audit import record_event, snapshot
from lianfang.core.fields import EncryptedCharField, blind_index
from lianfang.core.jobs import JobFailed, error, job_create, job_enqueue, job_report_progress
from lianfang.core.masking import mask_id_number, mask_phone
from lianfang.core.models import AuditKind, ChangeAction, Job, ObjectChange
from lianfang.core.uploads import SpreadsheetKind, check_spreadsheet, open_rows
from lianfang.org.choices import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths, has_any
from lianfang.people.choices import Category, EmploymentStatus, Gender, Whereabouts
from lianfang.people.models import Person, Tag
from lianfang.people.validators import normalize_id_number, normalize_phone, validate_id_number, validate_phone

logger = logging.getLogger(__name__)

ROSTER_IMPORT = "roster_import"
PERSON_LABEL = "people.person"
PROGRESS_EVERY = 1000
WRITE_BATCH = 2000
# Every error is listed up to this many; beyond it the file is clearly the wrong one.
MAX_ERRORS = 10_000

# --- the file format ------------------------------------------------------------------------------
# The Chinese labels of the choices, as people write them in rosters. They are the file format, not
# translations: a file means the same whatever language its reader uses.

GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}
CATEGORY_LABELS = {
    Category.EMPLOYEE: "正式员工",
    Category.TEMPORARY: "临时工",
    Category.DISPATCHED: "劳务派遣",
    Category.OUTSOURCED: "外包",
    Category.FAMILY: "家属",
}
EMPLOYMENT_STATUS_LABELS = {
    EmploymentStatus.ACTIVE: "在职",
    EmploymentStatus.ON_LEAVE: "休假",
    EmploymentStatus.LEFT: "离职",
    EmploymentStatus.RETIRED: "退休",
}
WHEREABOUTS_LABELS = {
    Whereabouts.STAYED: "留守本地",
    Whereabouts.RETURNED: "外地返回",
    Whereabouts.NOT_RETURNED: "尚未返回",
}
# Other spellings met in real rosters.
_ALIASES: dict[str, dict[str, Any]] = {
    "gender": {"男性": Gender.MALE, "女性": Gender.FEMALE},
    "category": {
        "正式工": Category.EMPLOYEE,
        "员工": Category.EMPLOYEE,
        "职工": Category.EMPLOYEE,
        "临时": Category.TEMPORARY,
        "劳务派遣工": Category.DISPATCHED,
        "派遣": Category.DISPATCHED,
        "外包人员": Category.OUTSOURCED,
        "职工家属": Category.FAMILY,
    },
    "employment_status": {"请假": EmploymentStatus.ON_LEAVE, "已离职": EmploymentStatus.LEFT},
    "whereabouts": {"留守": Whereabouts.STAYED, "本地": Whereabouts.STAYED, "已返回": Whereabouts.RETURNED},
}
CHOICE_LABELS: dict[str, dict[Any, str]] = {
    "gender": GENDER_LABELS,
    "category": CATEGORY_LABELS,
    "employment_status": EMPLOYMENT_STATUS_LABELS,
    "whereabouts": WHEREABOUTS_LABELS,
}
CHOICE_DEFAULTS: dict[str, str] = {
    "gender": "",
    "category": Category.EMPLOYEE.value,
    "employment_status": EmploymentStatus.ACTIVE.value,
    "whereabouts": Whereabouts.STAYED.value,
}


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    help: Promise
    example: Any
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", True, gettext_lazy("Full name, at most 60 characters."), "张伟", ("name",)),
    Column("性别", "gender", False, gettext_lazy("男 or 女; may be left empty."), "男", ("gender",)),
    Column(
        "工号",
        "employee_no",
        True,
        gettext_lazy(
            "Employee number, unique in the whole group; a row with a number that exists already updates "
            "that person. Up to 32 characters."
        ),
        "E0001",
        ("employee number", "employee no"),
    ),
    Column(
        "身份证号",
        "id_number",
        False,
        gettext_lazy(
            "18-character resident ID number; the last character is checked. Format the column as text "
            "so that Excel keeps every digit."
        ),
        "11010519491231002X",
        ("id number",),
    ),
    Column(
        "手机号",
        "phone",
        False,
        gettext_lazy("11-digit mobile number, or a landline with area code."),
        "13812345678",
        ("phone",),
    ),
    Column(
        "单位编码",
        "unit",
        True,
        gettext_lazy("Code of the person's unit, as shown on the unit's page. Only your own units can be used."),
        "",
        ("unit code",),
    ),
    Column("人员类别", "category", False, gettext_lazy("Empty means 正式员工."), "正式员工", ("category",)),
    Column(
        "标签",
        "tags",
        False,
        gettext_lazy("Any of the tags, separated by 、 or commas; may be left empty."),
        "党员、一线",
        ("tags",),
    ),
    Column(
        "在职状态",
        "employment_status",
        False,
        gettext_lazy("Empty means 在职."),
        "在职",
        ("employment status",),
    ),
    Column("去向类别", "whereabouts", False, gettext_lazy("Empty means 留守本地."), "外地返回", ("whereabouts",)),
    Column(
        "返回地", "returned_from", False, gettext_lazy("Where the person came back from."), "武汉", ("returned from",)
    ),
    Column(
        "返回日期",
        "returned_on",
        False,
        gettext_lazy("Date of return, required for 外地返回: an Excel date or text such as 2022-02-15."),
        datetime.date(2022, 2, 15),
        ("returned on",),
    ),
    Column(
        "预计返回日期",
        "expected_return_on",
        False,
        gettext_lazy("For 尚未返回: the planned date of return."),
        None,
        ("expected return",),
    ),
)
# Columns that people (and the export) add for readability; they are read past.
IGNORED_HEADERS = ("单位名称", "unit name", "序号", "no.", "no")
HEADERS = tuple(c.header for c in COLUMNS)
_FIELDS = tuple(c.field for c in COLUMNS)

_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}
_TAG_SPLIT = re.compile(r"[,，、;；/\s]+")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)
_HEADER_NOISE = re.compile(r"[*＊\s]|[(（](必填|选填|可选)[)）]")


class _Keep:
    """The column is not in the file: keep the value on record (or the default for new people)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def _norm_header(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return _HEADER_NOISE.sub("", text).strip().lower()


_HEADER_LOOKUP: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        _HEADER_LOOKUP[_norm_header(_name)] = _column
_IGNORED = {_norm_header(h) for h in IGNORED_HEADERS}


def choice_lookup(field: str) -> dict[str, str]:
    """Every accepted spelling of a choice (Chinese label, English label, code) → stored value."""
    lookup: dict[str, str] = {}
    with translation.override("en"):
        for member, label in CHOICE_LABELS[field].items():
            for key in (label, member.value, str(member.label)):
                lookup[key.lower()] = member.value
    for key, member in _ALIASES.get(field, {}).items():
        lookup.setdefault(key.lower(), member.value)
    return lookup


def choice_label(field: str, value: str) -> str:
    """The Chinese label a file uses for a stored choice value (export, template)."""
    return CHOICE_LABELS[field].get(value, value)


def allowed_values_text(field: str) -> str:
    return "、".join(CHOICE_LABELS[field].values())


# --- submitting ----------------------------------------------------------------------------------


@transaction.atomic
def roster_import_submit(*, actor, file_name: str, data: bytes) -> Job:
    """Check the upload quickly (size, type, zip bomb) and start the import job.

    Raises ``PermissionDenied`` if the actor may import nowhere and ``ValidationError`` for a file
    that cannot be a roster. The job runs after the transaction commits.
    """
    if not has_any(actor, PERSON_LABEL, Action.IMPORT):
        raise PermissionDenied
    check_spreadsheet(file_name=file_name, data=data)
    job = job_create(
        actor=actor, kind=ROSTER_IMPORT, unit=_top_import_unit(actor), file_name=file_name, payload=bytes(data)
    )
    job_enqueue(job=job)
    return job


def example_unit_code(actor) -> str:
    """A unit code the actor may import into, for the template's example row."""
    unit = _top_import_unit(actor)
    if unit is None and actor.is_superuser:
        unit = Unit.objects.order_by("path").first()
    return unit.code if unit is not None else ""


def _top_import_unit(actor) -> Unit | None:
    """The unit a job is filed under, so the job list is scoped like the units; None for the group office."""
    if actor.is_superuser:
        return None
    paths = allowed_paths(actor, PERSON_LABEL, Action.IMPORT)
    if not paths:
        return None
    return Unit.objects.filter(path=min(paths, key=len)).first()


# --- running -------------------------------------------------------------------------------------


def roster_import_run(*, job: Job) -> dict[str, Any]:
    """Run an import job: read and check the whole file, then write it all or nothing.

    Returns the counts (``rows``, ``created``, ``updated``, ``unchanged``) and timings; raises
    :class:`~lianfang.core.jobs.JobFailed` with every error found, after recording the failed
    attempt in the audit log. Used as the job runner (see ``people/tasks.py``).
    """
    actor = job.created_by
    if actor is None or job.payload is None:
        raise JobFailed([error(_("The uploaded file is no longer available; upload it again."))])
    data = bytes(job.payload)
    importer = RosterImporter(actor=actor, job=job)
    try:
        kind = check_spreadsheet(file_name=job.file_name, data=data)
        rows = importer.read(kind=kind, data=data)
        result = importer.write(rows)
    except ValidationError as exc:  # the file itself (type, size, damage) is the problem
        failed = JobFailed([error(message) for message in exc.messages])
        _audit_failure(actor=actor, job=job, errors=failed.errors)
        raise failed from None
    except JobFailed as exc:
        _audit_failure(actor=actor, job=job, errors=exc.errors)
        raise
    return result


def _audit_failure(*, actor, job: Job, errors: list[dict]) -> None:
    record_event(
        kind=AuditKind.IMPORT,
        actor=actor,
        unit=job.unit,
        object_repr=job.file_name,
        job=job.pk,
        outcome="failed",
        errors=len(errors),
    )


class _CellError(Exception):
    def __init__(self, message: str):
        self.message = message


@dataclass(slots=True)
class _Row:
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


# The Person fields an import sets, in the order the existing values are loaded and compared.
_VALUE_FIELDS = (
    "name",
    "gender",
    "id_number",
    "phone",
    "unit",
    "category",
    "employment_status",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
)
_VALUE_INDEX = {field: index for index, field in enumerate(_VALUE_FIELDS)}
_UPDATE_FIELDS = [
    "name",
    "gender",
    "id_number",
    "id_number_digest",
    "phone",
    "unit",
    "category",
    "employment_status",
    "whereabouts",
    "returned_from",
    "returned_on",
    "expected_return_on",
    "updated",
]


@dataclass(slots=True)
class _Existing:
    pk: int
    unit_path: str
    values: tuple  # in _VALUE_FIELDS order, with the ID number as its digest (no decryption needed)
    tags: frozenset[int] | None = None

    def get(self, field: str) -> Any:
        return self.values[_VALUE_INDEX[field]]


class RosterImporter:
    """Reads, checks and writes one roster file for one actor. Used once, by :func:`roster_import_run`."""

    def __init__(self, *, actor, job: Job | None = None):
        self.actor = actor
        self.job = job
        self.errors: list[dict[str, Any]] = []
        self.today = timezone.localdate()
        self.timings = {"parse": 0.0, "validate": 0.0, "write": 0.0}
        self.fields_in_file: set[str] = set()
        self.stamp = timezone.now()  # set again when the write starts
        self.max_rows = int(getattr(settings, "LIANFANG_MAX_IMPORT_ROWS", 200_000))
        self._paths: tuple[str, ...] = tuple(allowed_paths(actor, PERSON_LABEL, Action.IMPORT))
        self._units, self._units_ci = self._importable_units()
        self._tags, self._tag_objects = self._tag_lookup()
        self._choices = {field: choice_lookup(field) for field in CHOICE_LABELS}
        self._converters: dict[str, Callable[[Any], Any]] = {
            "name": self._name,
            "gender": self._choice("gender"),
            "employee_no": self._employee_no,
            "id_number": self._id_number,
            "phone": self._phone,
            "unit": self._unit,
            "category": self._choice("category"),
            "tags": self._tag_ids,
            "employment_status": self._choice("employment_status"),
            "whereabouts": self._choice("whereabouts"),
            "returned_from": self._returned_from,
            "returned_on": self._date,
            "expected_return_on": self._date,
        }

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

    def read(self, *, kind: SpreadsheetKind, data: bytes) -> list[_Row]:
        """The rows of the file that passed the checks of their own cells.

        Problems with the file as a whole raise JobFailed at once. Problems of single rows are kept
        and raised by :meth:`write` together with those only the roster reveals (people outside the
        scope, masked values), so the person sees every problem of the file in one go.
        """
        started = time.perf_counter()
        validating = 0.0
        rows: list[_Row] = []
        seen: dict[str, int] = {}
        with open_rows(kind=kind, data=data) as sheet:
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

    def _read_header(self, iterator: Iterator[tuple[Any, ...]]) -> RosterImporter._Layout:
        """Find the header row (rows above it, such as a title, are read past) and map the columns."""
        candidates: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(iterator, start=1):
            if _is_blank(values):
                if number > 50:
                    break
                continue
            known = sum(1 for v in values if _norm_header(v) in _HEADER_LOOKUP)
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

    def _map_header(self, number: int, values: Sequence[Any]) -> RosterImporter._Layout:
        columns: list[tuple[int, Column]] = []
        used: dict[str, int] = {}
        for index, value in enumerate(values):
            text = str(value).strip() if value is not None else ""
            key = _norm_header(value)
            if not key or key in _IGNORED:
                continue
            column = _HEADER_LOOKUP.get(key)
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
    ) -> _Row | None:
        cleaned: dict[str, Any] = dict.fromkeys(_FIELDS, KEEP)
        ok = True
        width = len(values)
        for index, column in columns:
            raw = values[index] if index < width else None
            try:
                if isinstance(raw, str) and raw.strip() in _EXCEL_ERRORS:
                    raise _CellError(
                        _("The cell shows an Excel error (%(value)s); correct the formula or type the value.")
                        % {"value": raw.strip()}
                    )
                value = self._converters[column.field](raw)
                if value is None and column.required:
                    raise _CellError(_("This cell is required; fill it in."))
                cleaned[column.field] = value
            except _CellError as exc:
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
        return _Row(number=number, **cleaned)

    def _progress(self, done: int, total: int | None, phase: Promise | str | None = None) -> None:
        if self.job is not None:
            job_report_progress(job=self.job, done=done, total=total, phase=str(phase or _("Reading the file")))

    # --- cell converters: return the value, None for an empty cell, or raise _CellError -----------

    @staticmethod
    def _text(raw: Any) -> str:
        if raw is None:
            return ""
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        if isinstance(raw, datetime.datetime | datetime.date):
            return raw.isoformat()
        return str(raw).strip()

    def _limited(self, raw: Any, limit: int) -> str | None:
        text = self._text(raw)
        if len(text) > limit:
            raise _CellError(_("Too long: at most %(max)d characters.") % {"max": limit})
        return text or None

    def _name(self, raw: Any) -> str | None:
        return self._limited(raw, 60)

    def _returned_from(self, raw: Any) -> str:
        return self._limited(raw, 60) or ""

    def _employee_no(self, raw: Any) -> str | None:
        text = _halfwidth(self._text(raw))
        if len(text) > 32:
            raise _CellError(_("Too long: at most %(max)d characters.") % {"max": 32})
        return text or None

    def _id_number(self, raw: Any) -> str:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise _CellError(
                _(
                    "Excel stored this ID number as a number and dropped its last digits. Format the column as "
                    "text and type the number again."
                )
            )
        text = normalize_id_number(_halfwidth(self._text(raw)))
        if not text:
            return ""
        if _SCIENTIFIC.match(text):
            raise _CellError(
                _(
                    "Excel turned this ID number into a number (%(value)s) and dropped its last digits. Format the "
                    "column as text and type the number again."
                )
                % {"value": text}
            )
        if "*" in text:
            if len(text) != 18:
                raise _CellError(_("An ID number has 18 characters: 17 digits and a last digit or X."))
            return text  # masked: checked against the record when writing
        try:
            validate_id_number(text)
        except ValidationError as exc:
            raise _CellError(exc.messages[0]) from None
        return text

    def _phone(self, raw: Any) -> str:
        text = normalize_phone(_halfwidth(self._text(raw)))
        if not text:
            return ""
        if "*" in text:
            return text  # masked: checked against the record when writing
        try:
            validate_phone(text)
        except ValidationError as exc:
            raise _CellError(exc.messages[0]) from None
        return text

    def _unit(self, raw: Any) -> int | None:
        code = _halfwidth(self._text(raw))
        if not code:
            return None
        found = self._units.get(code)
        if found is None and code.upper() in self._units_ci:
            found = self._units[self._units_ci[code.upper()]]
        if found is None:
            raise _CellError(
                _(
                    "Unknown unit code “%(code)s”. Use the code shown on the unit's page; you can only import "
                    "people into the units you look after."
                )
                % {"code": code}
            )
        pk, active = found
        if not active:
            raise _CellError(_("This unit is deactivated; people cannot be added to it."))
        return pk

    def _choice(self, field: str) -> Callable[[Any], str]:
        lookup = self._choices[field]
        default = CHOICE_DEFAULTS[field]

        def convert(raw: Any) -> str:
            text = self._text(raw)
            if not text:
                return default
            value = lookup.get(text.lower())
            if value is None:
                raise _CellError(
                    _("Not one of the allowed values: %(values)s.") % {"values": allowed_values_text(field)}
                )
            return value

        return convert

    def _tag_ids(self, raw: Any) -> tuple[int, ...]:
        text = self._text(raw)
        ids = set()
        for part in _TAG_SPLIT.split(text):
            if not part:
                continue
            pk = self._tags.get(part.lower())
            if pk is None:
                names = "、".join(t.name for t in self._tag_objects.values())
                raise _CellError(
                    _("Unknown tag “%(tag)s”. Use %(tags)s, separated by 、 or commas.") % {"tag": part, "tags": names}
                )
            ids.add(pk)
        return tuple(sorted(ids))

    def _date(self, raw: Any) -> datetime.date | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2958466:
            # A date cell without a date format arrives as Excel's serial day number.
            from openpyxl.utils.datetime import from_excel

            value = from_excel(raw)
            return value.date() if isinstance(value, datetime.datetime) else value
        match = _DATE_TEXT.match(_halfwidth(str(raw)))
        if match:
            try:
                return datetime.date(*(int(g) for g in match.groups()))
            except ValueError:
                pass
        raise _CellError(_("Not a date. Write it as YYYY-MM-DD (for example 2022-02-15) or use an Excel date."))

    # --- writing ----------------------------------------------------------------------------------

    def write(self, rows: list[_Row]) -> dict[str, Any]:
        """Upsert the checked rows in one transaction; raises JobFailed (and writes nothing) on errors."""
        self._write_started = time.perf_counter()
        try:
            with transaction.atomic():
                counts = self._write(rows)
        except PermissionDenied:
            raise JobFailed(
                [error(_("Some rows would put people into units you may not import into, so nothing was written."))]
            ) from None
        except OperationalError as exc:
            if "locked" not in str(exc).lower():
                raise
            # SQLite: another import (or a long write) held the database past the lock timeout.
            raise JobFailed(
                [error(_("The roster is busy with another import, so nothing was written. Import the file again."))]
            ) from None
        except IntegrityError:
            # Another writer created one of the employee numbers between our read and our insert
            # (PostgreSQL; SQLite serialises writers). The transaction is gone, so nothing was written.
            logger.warning("Roster import %s hit an integrity error", self.job.pk if self.job else "-", exc_info=True)
            raise JobFailed(
                [
                    error(
                        _(
                            "Someone changed the roster while this file was being imported, so nothing was "
                            "written. Import the file again."
                        )
                    )
                ]
            ) from None
        self.timings["write"] = time.perf_counter() - self._write_started
        return {"rows": len(rows), **counts, "seconds": {k: round(v, 2) for k, v in self.timings.items()}}

    def _write(self, rows: list[_Row]) -> dict[str, int]:
        total = len(rows)
        self._progress(0, total, gettext_lazy("Checking against the roster"))
        existing = self._load_existing([r.employee_no for r in rows], with_tags="tags" in self.fields_in_file)
        self._resolve_masked(rows, existing)
        creates: list[_Row] = []
        updates: list[tuple[_Row, _Existing]] = []
        unchanged = 0
        for row in rows:
            current = existing.get(row.employee_no)
            if current is None:
                self._check_new(row)
                creates.append(row)
                continue
            if not self._in_scope(current.unit_path):
                self._add_error(
                    _(
                        "A person with this employee number exists in a unit you may not import into. Check the "
                        "number; if it is right, ask the group office to move the person to your unit first."
                    ),
                    row=row.number,
                    column="工号",
                    value=row.employee_no,
                )
                continue
            if self._differs(row, current):
                self._check_merged(row, current)
                updates.append((row, current))
            else:
                unchanged += 1
        self._fail_if_errors()
        checked = time.perf_counter()
        self.timings["validate"] += checked - self._write_started
        self._write_started = checked

        done = 0
        phase = gettext_lazy("Writing")
        # One time stamp for every row the import writes: it identifies them for the re-check.
        self.stamp = timezone.now()
        written = 0
        for batch in _chunks(creates, WRITE_BATCH):
            written += len(self._create(batch))
            done += len(batch)
            self._progress(done, len(creates) + len(updates), phase)
        for batch in _chunks(updates, WRITE_BATCH):
            written += len(self._update(batch))
            done += len(batch)
            self._progress(done, len(creates) + len(updates), phase)
        self._fail_if_errors()  # a row found out of scope once locked
        self._recheck_scope(written)
        counts = {"created": len(creates), "updated": len(updates), "unchanged": unchanged}
        record_event(
            kind=AuditKind.IMPORT,
            actor=self.actor,
            unit=self.job.unit if self.job else None,
            object_repr=self.job.file_name if self.job else "",
            job=self.job.pk if self.job else None,
            outcome="succeeded",
            rows=total,
            created=counts["created"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
        )
        return counts

    def _chunk_size(self) -> int:
        # SQLite allows 999 parameters per statement in Django's eyes; PostgreSQL many more.
        limit = connection.features.max_query_params or 10_000
        return max(100, min(5000, limit - 50))

    def _load_existing(self, employee_nos: list[str], *, with_tags: bool) -> dict[str, _Existing]:
        existing: dict[str, _Existing] = {}
        columns = {"id_number": "id_number_digest", "unit": "unit_id"}
        fields = ["pk", "employee_no", "unit__path", *(columns.get(f, f) for f in _VALUE_FIELDS)]
        for chunk in _chunks(employee_nos, self._chunk_size()):
            for pk, employee_no, path, *values in (
                Person.objects.filter(employee_no__in=chunk).order_by().values_list(*fields)
            ):
                existing[employee_no] = _Existing(pk=pk, unit_path=path, values=tuple(values))
        if with_tags and existing:
            by_pk = {e.pk: e for e in existing.values()}
            tags: dict[int, set[int]] = {pk: set() for pk in by_pk}
            through = Person.tags.through
            for chunk in _chunks(list(by_pk), self._chunk_size()):
                for person_id, tag_id in through.objects.filter(person_id__in=chunk).values_list("person_id", "tag_id"):
                    tags[person_id].add(tag_id)
            for pk, ids in tags.items():
                by_pk[pk].tags = frozenset(ids)
        return existing

    def _resolve_masked(self, rows: list[_Row], existing: dict[str, _Existing]) -> None:
        """A masked ID number or phone (as exported to people who may not see it) that matches the
        record keeps the record's value; anything else masked is an error, since it cannot be stored."""
        masked_ids = [r for r in rows if isinstance(r.id_number, str) and "*" in r.id_number]
        plain: dict[int, str] = {}
        pks = [existing[r.employee_no].pk for r in masked_ids if r.employee_no in existing]
        for chunk in _chunks(pks, self._chunk_size()):
            plain.update(Person.objects.filter(pk__in=chunk).values_list("pk", "id_number"))
        phones = {e.pk: e.get("phone") for e in existing.values()}
        for row in rows:
            current = existing.get(row.employee_no)
            if isinstance(row.id_number, str) and "*" in row.id_number:
                if current is not None and mask_id_number(plain.get(current.pk, "")) == row.id_number:
                    row.id_number = KEEP
                else:
                    message = self._masked_message(current)
                    self._add_error(message, row=row.number, column="身份证号", value=row.id_number)
            if isinstance(row.phone, str) and "*" in row.phone:
                if current is not None and mask_phone(phones.get(current.pk, "")) == row.phone:
                    row.phone = KEEP
                else:
                    self._add_error(self._masked_message(current), row=row.number, column="手机号", value=row.phone)

    @staticmethod
    def _masked_message(current: _Existing | None) -> str:
        if current is None:
            return _("This value is masked (it contains *); enter it in full.")
        return _("This value is masked (it contains *) and does not match the one on record; enter it in full.")

    def _differs(self, row: _Row, current: _Existing) -> bool:
        for field in _VALUE_FIELDS:
            value = getattr(row, field)
            if value is KEEP:
                continue
            if field == "id_number":
                value = blind_index(value) if value else ""
            if value != current.get(field):
                return True
        return row.tags is not KEEP and frozenset(row.tags) != current.tags

    def _check_new(self, row: _Row) -> None:
        if row.whereabouts is KEEP or row.returned_on is KEEP:  # else checked while reading
            whereabouts = Whereabouts.STAYED if row.whereabouts is KEEP else row.whereabouts
            returned_on = None if row.returned_on is KEEP else row.returned_on
            self._check_returned(row.number, whereabouts, returned_on)

    def _check_merged(self, row: _Row, current: _Existing) -> None:
        if row.whereabouts is KEEP or row.returned_on is KEEP:  # else checked while reading
            whereabouts = current.get("whereabouts") if row.whereabouts is KEEP else row.whereabouts
            returned_on = current.get("returned_on") if row.returned_on is KEEP else row.returned_on
            self._check_returned(row.number, whereabouts, returned_on)

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

    def _tag_cache(self, ids: Iterable[int]) -> list[Tag]:
        return [self._tag_objects[pk] for pk in ids]

    def _create(self, batch: Sequence[_Row]) -> list[int]:
        now = self.stamp
        people = []
        for row in batch:
            values = {f: getattr(row, f) for f in _VALUE_FIELDS if getattr(row, f) is not KEEP}
            values["unit_id"] = values.pop("unit")
            for field, default in CHOICE_DEFAULTS.items():
                values.setdefault(field, default)
            person = Person(employee_no=row.employee_no, created=now, updated=now, **values)
            # The fast insert skips Person.save(), which keeps the search digest of the ID number.
            person.id_number_digest = blind_index(person.id_number) if person.id_number else ""
            people.append(person)
        fast_insert(Person, people)
        pks: dict[str, int] = {}
        for chunk in _chunks([p.employee_no for p in people], self._chunk_size()):
            pks.update(Person.objects.filter(employee_no__in=chunk).values_list("employee_no", "pk"))
        links: list[models.Model] = []
        through = Person.tags.through
        for person, row in zip(people, batch, strict=True):
            person.pk = pks[person.employee_no]
            person._state.adding = False
            tag_ids = () if row.tags is KEEP else row.tags
            links.extend(through(person_id=person.pk, tag_id=tag_id) for tag_id in tag_ids)
            # The change log's snapshot reads tags from the prefetch cache instead of one query each.
            person._prefetched_objects_cache = {"tags": self._tag_cache(tag_ids)}  # type: ignore[attr-defined]
        fast_insert(through, links)
        _record_changes(actor=self.actor, items=[(p, ChangeAction.CREATE, None) for p in people])
        return [p.pk for p in people]

    def _update(self, batch: Sequence[tuple[_Row, _Existing]]) -> list[int]:
        by_pk = {current.pk: row for row, current in batch}
        # Locked in primary-key order (no deadlock between two imports), re-read for the change
        # log's "before", and checked against the scope again: the unlocked read may be stale.
        locked = list(
            Person.objects.select_for_update(of=("self",))
            .filter(pk__in=list(by_pk))
            .order_by("pk")
            .prefetch_related("tags")
        )
        now = self.stamp
        items = []
        retag: dict[int, tuple[int, ...]] = {}
        for person in locked:
            row = by_pk[person.pk]
            if not self._in_scope_unit(person.unit_id):
                self._add_error(
                    _("A person with this employee number exists in a unit you may not import into."),
                    row=row.number,
                    column="工号",
                    value=row.employee_no,
                )
                continue
            before = snapshot(person)
            for field in _VALUE_FIELDS:
                value = getattr(row, field)
                if value is not KEEP:
                    setattr(person, "unit_id" if field == "unit" else field, value)
            person.id_number_digest = blind_index(person.id_number) if person.id_number else ""
            person.updated = now
            if row.tags is not KEEP and set(row.tags) != {t.pk for t in person.tags.all()}:
                retag[person.pk] = row.tags
                person._prefetched_objects_cache = {"tags": self._tag_cache(row.tags)}  # type: ignore[attr-defined]
            items.append((person, ChangeAction.UPDATE, before))
        people = [item[0] for item in items]
        fast_update(Person, people, _UPDATE_FIELDS)
        if retag:
            through = Person.tags.through
            for chunk in _chunks(list(retag), self._chunk_size()):
                through.objects.filter(person_id__in=chunk).delete()
            fast_insert(through, [through(person_id=pk, tag_id=tag_id) for pk, ids in retag.items() for tag_id in ids])
        _record_changes(actor=self.actor, items=items)
        return [p.pk for p in people]

    def _in_scope_unit(self, unit_id: int) -> bool:
        if self.actor.is_superuser:
            return True
        if not hasattr(self, "_unit_paths"):
            self._unit_paths = dict(Unit.objects.values_list("pk", "path"))
        return self._in_scope(self._unit_paths.get(unit_id, ""))

    def _recheck_scope(self, written: int) -> None:
        """Every written person must now be inside the actor's import scope, or nothing is written.

        The written rows are those carrying this import's time stamp (microseconds, inside our
        transaction); two counts compare them with the same rows seen through ``restrict``.
        """
        stamped = Person.objects.filter(updated=self.stamp)
        if stamped.count() != written or stamped.restrict(self.actor, Action.IMPORT).count() != written:
            raise PermissionDenied


# --- the fast write path ---------------------------------------------------------------------------
# Django's bulk_create and bulk_update prepare every value through the query compiler; for 100,000
# people that is most of an import's time. These two helpers write model instances with one
# ``executemany`` per batch, converting values with the same database operations Django uses. They
# skip ``save()`` and signals as bulk_create does; constraints are the database's as always.

# Fields whose Python values the database drivers take as they are (exact types: subclasses such as
# EncryptedCharField change the value and go through their own preparation).
_PLAIN_FIELDS = (
    models.CharField,
    models.SlugField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
)


def _same(value: Any) -> Any:
    return value


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    ops = connection.ops
    if isinstance(field, EncryptedCharField):
        return field.get_prep_value
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else ops.adapt_json_value(v, field.encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if type(field) in _PLAIN_FIELDS:
        return _same
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.AutoField | models.BigAutoField):
        return _same
    return lambda v: field.get_db_prep_save(v, connection)


def _auto_stamp(fields: Iterable[models.Field], objs: Sequence[models.Model], *, add: bool) -> None:
    for field in fields:
        if getattr(field, "auto_now", False) or (add and getattr(field, "auto_now_add", False)):
            now = timezone.now()
            for obj in objs:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)


def _rows(objs: Sequence[models.Model], adapters: list[tuple[str, Callable[[Any], Any]]]) -> Iterator[tuple]:
    for obj in objs:
        yield tuple(adapt(getattr(obj, name)) for name, adapt in adapters)


def fast_insert(model: type[models.Model], objs: Sequence[models.Model], batch: int = 5000) -> None:
    """INSERT the instances (primary keys are left to the database and not read back).

    PostgreSQL gets one COPY (a prepared INSERT per row still costs the server a parse and plan
    each); SQLite gets ``executemany`` of one prepared statement, its fastest path.
    """
    if not objs:
        return
    fields = [cast(models.Field, f) for f in model._meta.local_concrete_fields if not f.primary_key]
    _auto_stamp(fields, objs, add=True)
    adapters = [(f.attname, _adapter(f)) for f in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in _rows(objs, adapters):
                    copy.write_row(values)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        for chunk in _chunks(objs, batch):
            cursor.executemany(sql, list(_rows(chunk, adapters)))


def fast_update(
    model: type[models.Model], objs: Sequence[models.Model], names: Sequence[str], batch: int = 5000
) -> None:
    """UPDATE the named fields of the instances, by primary key.

    On PostgreSQL the new values are copied into a temporary table and applied with one
    ``UPDATE … FROM``; elsewhere one prepared UPDATE runs per row (``executemany``).
    """
    if not objs:
        return
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    pk = cast(models.Field, model._meta.pk)
    adapters = [(pk.attname, _same), *((f.attname, _adapter(f)) for f in fields)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = quote(f"lianfang_staging_{model._meta.db_table}")
            columns = ", ".join(quote(str(c)) for c in (pk.column, *(f.column for f in fields)))
            # Same column types as the target, no constraints; dropped at commit at the latest.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
            )
            with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for values in _rows(objs, adapters):
                    copy.write_row(values)
            assignments = ", ".join(f"{quote(str(f.column))} = s.{quote(str(f.column))}" for f in fields)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
                f"WHERE t.{quote(str(pk.column))} = s.{quote(str(pk.column))}"
            )
            cursor.execute(f"DROP TABLE {staging}")
            return
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  (names from model metadata)
            table, ", ".join(f"{quote(str(f.column))} = %s" for f in fields), quote(str(pk.column))
        )
        for chunk in _chunks(objs, batch):
            cursor.executemany(sql, [(*values[1:], values[0]) for values in _rows(chunk, adapters)])


def _record_changes(*, actor, items: Sequence[tuple[models.Model, str, dict | None]]) -> int:
    """:func:`lianfang.core.audit.record_changes`, written with :func:`fast_insert`.

    The rows are the audit module's own (``snapshot`` and ``_change``), unchanged updates are left
    out the same way; only the INSERT differs, because Django's bulk_create of 100,000 change-log
    rows took longer than the rest of the import together.
    """
    rows = []
    for obj, action, before in items:
        after = None if action == ChangeAction.DELETE else snapshot(obj)
        if action == ChangeAction.UPDATE and before == after:
            continue
        rows.append(audit._change(actor=actor, obj=obj, action=action, before=before, after=after))
    fast_insert(ObjectChange, rows)
    return len(rows)


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _halfwidth(text: str) -> str:
    """Codes and numbers typed with a Chinese input method in full width (ＨＴ－０３, １３８…) as ASCII."""
    return text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()


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
