"""Reading single cells of a roster file: each column's value from what Excel, WPS or a CSV file hold.

A converter takes the raw value of one cell (text, a number, a date, or ``None``) and returns the
value to store, ``None`` for an empty cell of a column that must not be empty, or raises
:class:`CellError` with a message that says what to write instead. Cells are read the way people
fill rosters in: codes and numbers typed in full width (ＨＴ－０３), choices as Chinese labels,
English labels or codes, dates as Excel dates, serial day numbers or text (2022-02-15, 2022年2月15日).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from lianfang.core.exports import unescape_formula
from lianfang.people.importer.format import CHOICE_DEFAULTS, CHOICE_LABELS, allowed_values_text, choice_lookup
from lianfang.people.models import Tag
from lianfang.people.validators import (
    normalize_id_number,
    normalize_person_name,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

_TAG_SPLIT = re.compile(r"[,，、;；/\s]+")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+\d+$", re.IGNORECASE)


class CellError(Exception):
    """A cell holds a value that cannot be stored; ``message`` says what to write instead."""

    def __init__(self, message: str):
        self.message = message


class CellConverters:
    """The converters of one import, which know the units and tags the importer may use.

    ``units`` maps the codes of the units the actor may import into to ``(pk, is_active)``,
    ``units_ci`` their upper-case spellings to the codes; ``tags`` maps every spelling of a tag
    (code, name, English name, lower case) to its pk.
    """

    def __init__(
        self,
        *,
        units: dict[str, tuple[int, bool]],
        units_ci: dict[str, str],
        tags: dict[str, int],
        tag_objects: dict[int, Tag],
    ):
        self._units = units
        self._units_ci = units_ci
        self._tags = tags
        self._tag_objects = tag_objects
        self._choices = {field: choice_lookup(field) for field in CHOICE_LABELS}

    def by_field(self) -> dict[str, Callable[[Any], Any]]:
        """The converter of each Person field a column may fill."""
        return {
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

    @staticmethod
    def _text(raw: Any) -> str:
        if raw is None:
            return ""
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))
        if isinstance(raw, datetime.datetime | datetime.date):
            return raw.isoformat()
        # Our own export writes "'=..." for text that a spreadsheet would run as a formula.
        return unescape_formula(str(raw).strip())

    def _limited(self, raw: Any, limit: int) -> str | None:
        text = self._text(raw)
        if len(text) > limit:
            raise CellError(_("Too long: at most %(max)d characters.") % {"max": limit})
        return text or None

    def _name(self, raw: Any) -> str | None:
        # "张　三" typed with a full-width space is 张三, as the roster and the check-in search know it.
        text = normalize_person_name(self._text(raw))
        if len(text) > 60:
            raise CellError(_("Too long: at most %(max)d characters.") % {"max": 60})
        return text or None

    def _returned_from(self, raw: Any) -> str:
        return self._limited(raw, 60) or ""

    def _employee_no(self, raw: Any) -> str | None:
        text = _halfwidth(self._text(raw))
        if len(text) > 32:
            raise CellError(_("Too long: at most %(max)d characters.") % {"max": 32})
        return text or None

    def _id_number(self, raw: Any) -> str:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise CellError(
                _(
                    "Excel stored this ID number as a number and dropped its last digits. Format the column as "
                    "text and type the number again."
                )
            )
        text = normalize_id_number(_halfwidth(self._text(raw)))
        if not text:
            return ""
        if _SCIENTIFIC.match(text):
            raise CellError(
                _(
                    "Excel turned this ID number into a number (%(value)s) and dropped its last digits. Format the "
                    "column as text and type the number again."
                )
                % {"value": text}
            )
        if "*" in text:
            if len(text) != 18:
                raise CellError(_("An ID number has 18 characters: 17 digits and a last digit or X."))
            return text  # masked: checked against the record when writing
        try:
            validate_id_number(text)
        except ValidationError as exc:
            raise CellError(exc.messages[0]) from None
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
            raise CellError(exc.messages[0]) from None
        return text

    def _unit(self, raw: Any) -> int | None:
        code = _halfwidth(self._text(raw))
        if not code:
            return None
        found = self._units.get(code)
        if found is None and code.upper() in self._units_ci:
            found = self._units[self._units_ci[code.upper()]]
        if found is None:
            raise CellError(
                _(
                    "Unknown unit code “%(code)s”. Use the code shown on the unit's page; you can only import "
                    "people into the units you look after."
                )
                % {"code": code}
            )
        pk, active = found
        if not active:
            raise CellError(
                _(
                    "This unit is deactivated, so people cannot be added to it. Ask the group office to reactivate "
                    "it, or use the code of an active unit."
                )
            )
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
                raise CellError(
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
                raise CellError(
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
        raise CellError(_("Not a date. Write it as YYYY-MM-DD (for example 2022-02-15) or use an Excel date."))


def _halfwidth(text: str) -> str:
    """Codes and numbers typed with a Chinese input method in full width (ＨＴ－０３, １３８…) as ASCII."""
    return text.strip() if text.isascii() else unicodedata.normalize("NFKC", text).strip()
