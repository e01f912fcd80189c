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


_SPACES_RE = re.compile(r"\s+")  # every kind of space, the full-width U+3000 and no-break space too
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalize_phone(value: str) -> str:
    """A phone as stored: spaces and a +86 prefix left out, and a mobile typed in groups
    (``157-6679-0446``, ``157 6679 0446``) as its 11 digits. A landline keeps its area-code dash."""
    value = _SPACES_RE.sub("", value or "")
    if value.startswith("+86"):
        value = value[3:].lstrip("-")
    digits = re.sub(r"[-.()]", "", value)
    if _MOBILE_RE.match(digits):
        return digits
    return value


def normalize_person_name(value: str) -> str:
    """A name as stored: a Chinese name loses every space typed inside it (``张　三`` → ``张三``, the
    full-width space of a Chinese input method included); a Latin name keeps one normal space between
    its parts."""
    value = (value or "").strip()
    if _CJK_RE.search(value):
        return _SPACES_RE.sub("", value)
    return _SPACES_RE.sub(" ", value)


def validate_phone(value: str) -> None:
    value = normalize_phone(value)
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise ValidationError(
            _("Enter an 11-digit mobile number (e.g. 13812345678) or a landline with area code (e.g. 0913-1234567)."),
            code="phone",
        )
