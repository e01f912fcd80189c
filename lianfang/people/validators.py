"""Validation of mainland identifiers."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(value: str) -> None:
    """An 18-character resident ID (GB 11643-1999): 17 digits, a valid birth date, the check character."""
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a last digit or X."), code="id_format")
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("Characters 7–14 of the ID number must be a birth date (YYYYMMDD)."), code="id_birth_date"
        ) from None
    if born.year < 1900 or born > timezone.localdate():
        raise ValidationError(_("The birth date in the ID number is not plausible."), code="id_birth_date")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(
            _("The ID number's check character is wrong; please check the number for a typo."), code="id_checksum"
        )


def normalize_phone(value: str) -> str:
    value = (value or "").strip().replace(" ", "")
    if value.startswith("+86"):
        value = value[3:]
    return value


def validate_phone(value: str) -> None:
    value = normalize_phone(value)
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise ValidationError(
            _("Enter an 11-digit mobile number (e.g. 13812345678) or a landline with area code (e.g. 0913-1234567)."),
            code="phone",
        )
