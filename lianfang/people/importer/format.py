"""The roster file format: its columns, how headers are recognised, the Chinese labels of choices.

The format is defined here once. The importer (:mod:`.rows`) reads it, and the template and the
export (:mod:`lianfang.people.exports`) write it with the same definitions, so an exported file
imports back. Headers are matched after normalising (full-width to half-width, case, a required
star or a "(必填)" note removed), and each column also answers to a few English names.

The Chinese labels of the choices are part of the file format, not translations: a file means the
same whatever language its reader uses. English labels and the stored codes are accepted too.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from lianfang.people.choices import Category, EmploymentStatus, Gender, Whereabouts

# The Chinese labels of the choices, as people write them in rosters.
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
    """One column of the roster file: its Chinese header, the Person field it fills, the help the
    template shows, the template's example value and the other names the header may be given."""

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
FIELDS = tuple(c.field for c in COLUMNS)

_HEADER_NOISE = re.compile(r"[*＊\s]|[(（](必填|选填|可选)[)）]")


def norm_header(value: Any) -> str:
    """A header cell as it is looked up: half-width, lower case, without stars, spaces or "(必填)"."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    return _HEADER_NOISE.sub("", text).strip().lower()


# Every accepted spelling of every header → its column.
HEADER_LOOKUP: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.header, *_column.aliases):
        HEADER_LOOKUP[norm_header(_name)] = _column
IGNORED = {norm_header(h) for h in IGNORED_HEADERS}


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
    """The Chinese labels of a choice, as error messages and the template list them."""
    return "、".join(CHOICE_LABELS[field].values())
