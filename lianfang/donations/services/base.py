"""What every write of donations, collections and funds shares: amounts in yuan (at most two
decimals, never above the ceiling), business dates (not in the future), text limits, units that are
active and in the actor's scope, and race-free JZ-YYYY-NNNN numbers.

The writes themselves are in :mod:`.donations`, :mod:`.collections` and :mod:`.funds`."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lianfang.donations.models import Donation
from lianfang.org.models import Unit

MAX_AMOUNT = Decimal("999999999999.99")
NUMBER_PREFIX = "JZ"
NUMBER_ATTEMPTS = 50


# --- amounts, dates and text --------------------------------------------------------------------


def yuan(amount: Decimal | int) -> str:
    """``47,993.00 yuan`` / ``47,993.00 元``: an amount as people read it."""
    return _("%(amount)s yuan") % {"amount": formats.number_format(amount, decimal_pos=2, force_grouping=True)}


def clean_amount(value: Any, *, field: str = "amount") -> Decimal:
    """An amount in yuan: above zero, at most two decimals (fen); else a field error saying what to enter."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter the amount in yuan as a number, e.g. 1200.50.")}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter the amount in yuan as a number, e.g. 1200.50.")})
    if amount <= 0:
        raise ValidationError({field: _("Enter an amount above zero.")})
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationError({field: _("Enter the amount with at most two decimals (fen).")})
    if amount > MAX_AMOUNT:
        raise ValidationError({field: _("The amount is too large; check the number.")})
    return amount.quantize(Decimal("0.01"))


def _day(date: datetime.date) -> str:
    return formats.date_format(date, "SHORT_DATE_FORMAT")


def _not_future(date: datetime.date, *, field: str = "date") -> None:
    if date > timezone.localdate():
        raise ValidationError({field: _("Choose today or an earlier day.")})


def _text(value: str, *, field: str, limit: int, required_message: str | None = None) -> str:
    text = (value or "").strip()
    if required_message and not text:
        raise ValidationError({field: required_message})
    if len(text) > limit:
        raise ValidationError({field: _("Keep this under %(limit)s characters.") % {"limit": limit}})
    return text


def _active_unit(unit: Unit, *, field: str = "unit") -> None:
    if not unit.is_active:
        raise ValidationError({field: _("%(unit)s is no longer active; choose an active unit.") % {"unit": unit.name}})


def _within(unit: Unit, top: Unit) -> bool:
    return unit.path.startswith(top.path)


def _url(name: str, pk: int) -> str:
    return reverse(name, args=[pk])


# --- donation numbers ---------------------------------------------------------------------------


def _next_number(year: int) -> str:
    prefix = f"{NUMBER_PREFIX}-{year}-"
    # By length first: JZ-2026-10000 comes after JZ-2026-9999.
    last = (
        Donation.objects.filter(number__startswith=prefix)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def _insert_numbered(donation: Donation) -> None:
    """Insert with the next free number of the donation's year (JZ-2026-0001).

    Two writers may read the same last number; the unique constraint lets one win, the other's
    savepoint rolls back and it reads again (on PostgreSQL it waits for the winner to commit, then
    sees its row).
    """
    for _attempt in range(NUMBER_ATTEMPTS):
        donation.number = _next_number(donation.date.year)
        try:
            with transaction.atomic():
                donation.save(force_insert=True)
        except IntegrityError:
            if not Donation.objects.filter(number=donation.number).exists():
                raise
            donation.pk = None
            continue
        return
    raise ValidationError(_("Too many donations are being recorded at once; try again in a moment."))
