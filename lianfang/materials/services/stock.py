"""Writes of the stock part of materials: the catalogue, a unit's stock levels, movements recorded by
hand (purchase received, allocation from the group, issue for use) and the daily stock-take.

Every stock change goes through :func:`lianfang.materials.ledger.post`; these services check who may
do it, check the input with messages that say what to enter, write the change log, and re-check
the scope after the write (raising rolls everything back). Transfers and donations have their own
services (``*transfer*``, ``*donation*``) and post through the same ledger.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.materials import ledger, quantities
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item, Movement, Stock, StockTake, StockTakeLine
from lianfang.org.models import Unit
from lianfang.org.scoping import ensure_can, ensure_in_scope, has_any

# The movements a keeper records by hand; transfers, donations and adjustments have their own pages.
RECORDABLE_KINDS = (MovementKind.PURCHASE, MovementKind.ALLOCATION, MovementKind.ISSUE)
ITEM_FIELDS = (
    "code",
    "name",
    "name_en",
    "category",
    "measure",
    "pack_size",
    "reorder_threshold",
    "target_days",
    "daily_use_per_person",
    "sort",
    "is_active",
)


# --- the catalogue ------------------------------------------------------------------------------


def _ensure_catalogue(actor, action: str) -> None:
    """The catalogue is group-wide: whoever may add (or change) items somewhere keeps it."""
    if not has_any(actor, "materials.item", action):
        raise PermissionDenied(_("Only the group office keeps the catalogue of materials."))


def _clean_item(item: Item) -> None:
    try:
        item.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def item_create(*, actor, **fields: Any) -> Item:
    """Add an item to the catalogue (e.g. 医用外科口罩, counted in 只, 50 to a box)."""
    _ensure_catalogue(actor, Action.ADD)
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    item = Item(**fields)
    _clean_item(item)
    item.save()
    record_change(actor=actor, obj=item, action=ChangeAction.CREATE)
    return item


@transaction.atomic
def item_update(*, actor, item: Item, **fields: Any) -> Item:
    """Change an item. Its code and unit of measure stay once stock of it has moved, so that
    every movement keeps its meaning (a new measure is a new item)."""
    _ensure_catalogue(actor, Action.CHANGE)
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"unknown item fields: {sorted(unknown)}")
    item = Item.objects.select_for_update().get(pk=item.pk)
    before = snapshot(item)
    moved = Movement.objects.filter(item=item).exists()
    errors: dict[str, str] = {}
    if moved and "code" in fields and fields["code"] != item.code:
        errors["code"] = _("The code of an item cannot change once stock of it has moved.")
    if moved and "measure" in fields and fields["measure"] != item.measure:
        errors["measure"] = _(
            "The unit of measure cannot change once stock of the item has moved; add a new item instead."
        )
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(item, name, value)
    _clean_item(item)
    item.save()
    record_change(actor=actor, obj=item, action=ChangeAction.UPDATE, before=before)
    return item


# --- a unit's levels ----------------------------------------------------------------------------


@transaction.atomic
def stock_set_levels(
    *, actor, unit: Unit, item: Item, reorder_threshold: Decimal | None, target_days: int | None
) -> Stock:
    """Set the unit's own reorder threshold and target days for an item (None: the item's)."""
    ensure_can(actor, Action.CHANGE, Stock, unit)
    errors: dict[str, str] = {}
    if reorder_threshold is not None and reorder_threshold < 0:
        errors["reorder_threshold"] = _("Enter a threshold of zero or more, or leave it empty to use the item's.")
    if target_days is not None and not 1 <= target_days <= 365:
        errors["target_days"] = _("Enter a target between 1 and 365 days, or leave it empty to use the item's.")
    if errors:
        raise ValidationError(errors)
    Stock.objects.bulk_create([Stock(unit=unit, item=item)], ignore_conflicts=True)
    stock = Stock.objects.select_for_update().get(unit=unit, item=item)
    before = snapshot(stock)
    stock.reorder_threshold = reorder_threshold
    stock.target_days = target_days
    stock.save(update_fields=["reorder_threshold", "target_days", "updated"])
    record_change(actor=actor, obj=stock, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, stock, Action.CHANGE)
    return stock


# --- movements recorded by hand -----------------------------------------------------------------


def _check_day(day: datetime.date) -> None:
    if day > timezone.localdate():
        raise ValidationError({"date": _("Enter a date no later than today.")})


def _check_unit_item(unit: Unit, item: Item) -> None:
    errors: dict[str, str] = {}
    if not unit.is_active:
        errors["unit"] = _("%(unit)s is no longer active; choose an active unit.") % {"unit": unit.name}
    if not item.is_active:
        errors["item"] = _("%(item)s is no longer in the catalogue; choose another item.") % {"item": item.label}
    if errors:
        raise ValidationError(errors)


def _check_lengths(**values: str) -> None:
    errors = {}
    for name, value in values.items():
        limit = getattr(Movement._meta.get_field(name), "max_length", None) or 0
        if len(value) > limit:
            errors[name] = _("Shorten this to at most %(limit)s characters.") % {"limit": limit}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def movement_record(
    *,
    actor,
    unit: Unit,
    item: Item,
    kind: str,
    quantity: Decimal | str | int,
    date: datetime.date,
    reference: str = "",
    counterparty: str = "",
    note: str = "",
    front_line: bool = False,
) -> Movement:
    """Record a purchase received, an allocation from the group or an issue for use (to the front
    line or not). Refused, naming what is on hand, if it would take the stock below zero."""
    ensure_can(actor, Action.ADD, Movement, unit)
    if kind not in RECORDABLE_KINDS:
        raise ValidationError(
            {
                "kind": _(
                    "Record purchases, allocations and issues here; "
                    "transfers, donations and counts have their own pages."
                )
            }
        )
    _check_unit_item(unit, item)
    _check_day(date)
    reference, counterparty, note = reference.strip(), counterparty.strip(), note.strip()
    _check_lengths(reference=reference, counterparty=counterparty, note=note)
    try:
        amount = ledger.clean_quantity(item, quantity)
    except ValidationError as exc:
        raise ValidationError({"quantity": exc.messages}) from None
    posting = ledger.Posting(
        unit=unit,
        item=item,
        kind=kind,
        quantity=amount,
        date=date,
        reference=reference,
        counterparty=counterparty,
        note=note,
        front_line=front_line and kind == MovementKind.ISSUE,
    )
    try:
        (movement,) = ledger.post(actor=actor, postings=[posting])
    except ledger.InsufficientStock as exc:
        raise ledger.InsufficientStock({"quantity": exc.messages}) from None
    record_change(actor=actor, obj=movement, action=ChangeAction.CREATE)
    ensure_in_scope(actor, movement, Action.ADD)
    return movement


# --- the daily stock-take (日清单) ----------------------------------------------------------------


def clean_count(item: Item, value: Any) -> Decimal:
    """A counted quantity: zero or more, whole for items counted in pieces, at most two decimals."""
    try:
        counted = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number for the count of %(item)s.") % {"item": item.label}) from None
    if not counted.is_finite():
        raise ValidationError(_("Enter a number for the count of %(item)s.") % {"item": item.label})
    if counted < 0:
        raise ValidationError(_("Enter a count of %(item)s of zero or more.") % {"item": item.label})
    if counted == 0:
        return Decimal(0)
    return ledger.clean_quantity(item, counted)


def stocktake_exists_message(unit: Unit, day: datetime.date) -> str:
    return _(
        "%(unit)s was already counted on %(date)s. Open that stock-take to see its counts; "
        "a later change is corrected by tomorrow's count."
    ) % {"unit": unit.name, "date": date_format(day, "Y-m-d")}


@transaction.atomic
def stocktake_record(
    *, actor, unit: Unit, date: datetime.date, counts: Mapping[Item, Decimal | str | int], note: str = ""
) -> StockTake:
    """Record a unit's count of the day: for each item counted, the books' balance at the time of
    the count, the variance (counted − book) and, where there is one, the adjustment movement that
    makes the books agree with the count. One per unit and day; a second is refused."""
    ensure_can(actor, Action.ADD, StockTake, unit)
    if not unit.is_active:
        raise ValidationError({"unit": _("%(unit)s is no longer active; choose an active unit.") % {"unit": unit.name}})
    _check_day(date)
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Shorten this to at most %(limit)s characters.") % {"limit": 200}})
    errors: list[str] = []
    cleaned: dict[Item, Decimal] = {}
    for item, value in counts.items():
        if value is None or str(value).strip() == "":
            continue
        try:
            cleaned[item] = clean_count(item, value)
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"counts": errors})
    if not cleaned:
        raise ValidationError({"counts": [_("Enter the count of at least one item.")]})
    if StockTake.objects.filter(unit=unit, date=date).exists():
        raise ValidationError({"date": stocktake_exists_message(unit, date)}, code="exists")

    # The books are read under the same row locks the ledger takes (in the same order), so no
    # movement slips in between reading the balance and posting the variance.
    items = sorted(cleaned, key=lambda i: i.pk)
    Stock.objects.bulk_create([Stock(unit=unit, item=i) for i in items], ignore_conflicts=True)
    books = {
        item_id: on_hand
        for item_id, on_hand in Stock.objects.select_for_update()
        .filter(unit=unit, item__in=items)
        .order_by("item_id")
        .values_list("item_id", "on_hand")
    }
    try:
        with transaction.atomic():
            stocktake = StockTake.objects.create(unit=unit, date=date, note=note, created_by=actor)
    except IntegrityError:  # counted at the same moment by someone else
        raise ValidationError({"date": stocktake_exists_message(unit, date)}, code="exists") from None
    reference = f"ST-{date:%Y%m%d}-{stocktake.pk}"
    lines: list[StockTakeLine] = []
    postings: list[ledger.Posting] = []
    for item in items:
        book = books.get(item.pk, Decimal(0))
        variance = cleaned[item] - book
        lines.append(StockTakeLine(stocktake=stocktake, item=item, counted=cleaned[item], book=book, variance=variance))
        if variance:
            postings.append(
                ledger.Posting(
                    unit=unit,
                    item=item,
                    kind=MovementKind.ADJUSTMENT,
                    quantity=variance,
                    date=date,
                    reference=reference,
                    note=_("Stock-take: counted %(counted)s, books %(book)s.")
                    % {
                        "counted": quantities.format_quantity(item, cleaned[item]),
                        "book": quantities.format_quantity(item, book),
                    },
                )
            )
    movements = {m.item_id: m for m in ledger.post(actor=actor, postings=postings)}
    for line in lines:
        line.movement = movements.get(line.item_id)
    StockTakeLine.objects.bulk_create(lines)
    record_change(actor=actor, obj=stocktake, action=ChangeAction.CREATE, extra_after={"lines": len(lines)})
    for movement in movements.values():
        record_change(actor=actor, obj=movement, action=ChangeAction.CREATE)
    ensure_in_scope(actor, stocktake, Action.ADD)
    return stocktake
