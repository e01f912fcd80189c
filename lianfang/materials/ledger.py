"""The one way stock changes: :func:`post` writes movements and moves the balances with them.

Every caller (issuing, receiving a purchase, a transfer's shipment and receipt, a donation, a
stock-take adjustment) builds :class:`Posting` objects and calls :func:`post` inside its own
transaction. :func:`post`:

1. checks each quantity (positive; whole numbers for items counted in pieces, pairs, sets…);
2. makes sure a :class:`Stock` row exists for every (unit, item), then locks those rows with
   ``SELECT … FOR UPDATE`` in (unit, item) order, so two postings touching the same rows queue up
   instead of deadlocking;
3. refuses, naming what is available, if any balance would go below zero, before writing anything;
4. writes the movements with ``balance_after`` and the new balances.

The ``stock_never_negative`` constraint backs step 3 in the database. Callers check the actor's
scope; :func:`post` records who did it but does not decide who may.

It also keeps two dates on each :class:`Stock` row (the first movement, which the burn rate uses to
know how much history there is; and the last low-stock alert), and once the caller's transaction
commits, checks the rows whose balance went down against their threshold and days of supply
(:mod:`lianfang.materials.alerts`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item, Movement, Stock
from lianfang.materials.quantities import format_quantity
from lianfang.org.models import Unit

MAX_QUANTITY = Decimal("999999999999.99")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Posting:
    """One movement to write. ``quantity`` is the positive amount moved; the kind gives the sign,
    except for a stock-take adjustment, whose ``quantity`` is the signed variance."""

    unit: Unit
    item: Item
    kind: str
    quantity: Decimal
    date: datetime.date
    reference: str = ""
    counterparty: str = ""
    note: str = ""
    front_line: bool = False


def clean_quantity(item: Item, value, *, signed: bool = False) -> Decimal:
    """A quantity the ledger accepts, or a ValidationError that says what to enter instead."""
    try:
        quantity = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number for the quantity of %(item)s.") % {"item": item.label}) from None
    if not quantity.is_finite():
        raise ValidationError(_("Enter a number for the quantity of %(item)s.") % {"item": item.label})
    if quantity == 0 or (quantity < 0 and not signed):
        raise ValidationError(_("Enter a quantity of %(item)s above zero.") % {"item": item.label})
    if abs(quantity) > MAX_QUANTITY:
        raise ValidationError(_("The quantity of %(item)s is too large.") % {"item": item.label})
    if item.is_counted and quantity != quantity.to_integral_value():
        raise ValidationError(
            _("%(item)s is counted in whole %(measure)s; enter a whole number.")
            % {"item": item.label, "measure": item.get_measure_display()}
        )
    if quantity != quantity.quantize(Decimal("0.01")):  # 5.000000 from an API client is fine, 0.125 is not
        raise ValidationError(_("Enter the quantity of %(item)s with at most two decimals.") % {"item": item.label})
    return quantity


def signed_quantity(kind: str, quantity: Decimal) -> Decimal:
    if kind in MovementKind.outbound():
        return -quantity
    return quantity


class InsufficientStock(ValidationError):
    """Raised when a posting would take a balance below zero; the message says what is available."""


@transaction.atomic
def post(*, actor, postings: Sequence[Posting]) -> list[Movement]:
    """Write ``postings`` as movements and update the balances, all or nothing."""
    if not postings:
        return []
    deltas: list[Decimal] = []
    for p in postings:
        if p.kind not in MovementKind.values:
            raise ValueError(f"unknown movement kind {p.kind!r}")
        quantity = clean_quantity(p.item, p.quantity, signed=p.kind == MovementKind.ADJUSTMENT)
        deltas.append(signed_quantity(p.kind, quantity))

    keys = sorted({(p.unit.pk, p.item.pk) for p in postings})
    existing = set(
        Stock.objects.filter(unit_id__in={u for u, _i in keys}, item_id__in={i for _u, i in keys}).values_list(
            "unit_id", "item_id"
        )
    )
    missing = [Stock(unit_id=u, item_id=i) for (u, i) in keys if (u, i) not in existing]
    if missing:
        Stock.objects.bulk_create(missing, ignore_conflicts=True)
    locked: dict[tuple[int, int], Stock] = {}
    for unit_id, item_id in keys:  # one lock at a time, in a fixed order: no deadlocks between postings
        stock = Stock.objects.select_for_update().get(unit_id=unit_id, item_id=item_id)
        locked[(unit_id, item_id)] = stock

    balances = {key: stock.on_hand for key, stock in locked.items()}
    movements: list[Movement] = []
    for p, delta in zip(postings, deltas, strict=True):
        key = (p.unit.pk, p.item.pk)
        after = balances[key] + delta
        if after < 0:
            raise InsufficientStock(
                _(
                    "%(unit)s has only %(available)s of %(item)s on hand, so %(asked)s cannot be taken out. "
                    "Enter at most %(available)s, or record what came in first."
                )
                % {
                    "unit": p.unit.name,
                    "available": format_quantity(p.item, balances[key]),
                    "item": p.item.label,
                    "asked": format_quantity(p.item, -delta),
                },
                code="insufficient_stock",
            )
        balances[key] = after
        movements.append(
            Movement(
                unit=p.unit,
                item=p.item,
                kind=p.kind,
                quantity=delta,
                balance_after=after,
                date=p.date,
                front_line=p.front_line,
                reference=p.reference,
                counterparty=p.counterparty,
                note=p.note,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        )
    Movement.objects.bulk_create(movements)
    now = timezone.now()
    first_dates: dict[tuple[int, int], datetime.date] = {}
    for p in postings:
        key = (p.unit.pk, p.item.pk)
        first_dates[key] = min(first_dates.get(key, p.date), p.date)
    went_down: list[tuple[int, int]] = []
    for key, stock in locked.items():
        changes: dict = {}
        if stock.on_hand != balances[key]:
            changes["on_hand"] = balances[key]
            if balances[key] < stock.on_hand:
                went_down.append(key)
        if stock.first_movement_on is None or first_dates[key] < stock.first_movement_on:
            changes["first_movement_on"] = first_dates[key]
        if changes:
            Stock.objects.filter(pk=stock.pk).update(updated=now, **changes)
    if went_down:
        # After the commit, so an alert never announces stock that was rolled back, and a slow
        # alert never holds the row locks.
        transaction.on_commit(lambda: _alert_after_commit(went_down))
    return movements


def _alert_after_commit(keys: list[tuple[int, int]]) -> None:
    from lianfang.materials.alerts import stock_alerts_check

    try:
        stock_alerts_check(keys=keys)
    except Exception:  # the movement stands; a failed alert is logged, not shown to whoever issued
        logger.exception("low-stock alert check failed for %s", keys)
