"""Writes of donations in goods and money, received from outside donors or given to hospitals,
communities or the Red Cross. Goods post one ledger movement per line in the same transaction
(``DONATION_IN`` / ``DONATION_OUT``); a donation is never edited, only cancelled, which posts the
reverse movements."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.models import Donation, DonationLine
from lianfang.donations.services.base import _active_unit, _day, _insert_numbered, _not_future, _text, clean_amount
from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind
from lianfang.materials.models import Item
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope


def _clean_lines(lines: Iterable[tuple[Item, Any]]) -> list[tuple[Item, Decimal]]:
    cleaned: list[tuple[Item, Decimal]] = []
    seen: set[int] = set()
    errors: list[str] = []
    for item, quantity in lines:
        if item.pk in seen:
            errors.append(_("%(item)s is listed twice; put its whole quantity on one line.") % {"item": item.label})
            continue
        seen.add(item.pk)
        if not item.is_active:
            errors.append(_("%(item)s is no longer in the catalogue; choose another item.") % {"item": item.label})
            continue
        try:
            cleaned.append((item, ledger.clean_quantity(item, quantity)))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"lines": errors})
    return cleaned


def may_record_donation(user, unit: Unit) -> bool:
    return can(user, Action.ADD, Donation, unit)


@transaction.atomic
def donation_record(
    *,
    actor,
    direction: str,
    kind: str,
    unit: Unit,
    counterparty: str,
    date: datetime.date,
    amount: Any = None,
    lines: Sequence[tuple[Item, Any]] = (),
    receipt_no: str = "",
    note: str = "",
) -> Donation:
    """Record a donation received (from an outside donor) or given (to a hospital, community, the
    Red Cross…). Goods list items and quantities and move the unit's stock; money has an amount."""
    if not may_record_donation(actor, unit):
        raise PermissionDenied(
            _("You may not record donations of %(unit)s: its materials keeper or the group prevention office can.")
            % {"unit": unit.name}
        )
    if direction not in Direction.values:
        raise ValidationError({"direction": _("Choose whether the donation was received or given.")})
    if kind not in DonationKind.values:
        raise ValidationError({"kind": _("Choose goods or money.")})
    _active_unit(unit)
    who = _("Name the donor.") if direction == Direction.IN else _("Name the recipient.")
    counterparty = _text(counterparty, field="counterparty", limit=100, required_message=who)
    _not_future(date)
    receipt_no = _text(receipt_no, field="receipt_no", limit=40)
    note = _text(note, field="note", limit=200)
    cleaned_lines: list[tuple[Item, Decimal]] = []
    money: Decimal | None = None
    if kind == DonationKind.MONEY:
        if lines:
            raise ValidationError({"lines": _("A money donation has an amount, not items; record goods separately.")})
        if amount in (None, ""):
            raise ValidationError({"amount": _("Enter the amount in yuan.")})
        money = clean_amount(amount)
    else:
        if amount not in (None, ""):
            raise ValidationError({"amount": _("Goods are listed by item and quantity; leave the amount empty.")})
        cleaned_lines = _clean_lines(lines)
        if not cleaned_lines:
            raise ValidationError({"lines": _("List at least one item with its quantity.")})

    donation = Donation(
        direction=direction,
        kind=kind,
        unit=unit,
        counterparty=counterparty,
        date=date,
        amount=money,
        receipt_no=receipt_no,
        note=note,
        created_by=actor,
    )
    _insert_numbered(donation)
    if cleaned_lines:
        movement_kind = MovementKind.DONATION_IN if direction == Direction.IN else MovementKind.DONATION_OUT
        postings = [
            ledger.Posting(
                unit=unit,
                item=item,
                kind=movement_kind,
                quantity=quantity,
                date=date,
                reference=donation.number,
                counterparty=counterparty,
                note=note,
            )
            for item, quantity in cleaned_lines
        ]
        movements = ledger.post(actor=actor, postings=postings)  # InsufficientStock says what is on hand
        DonationLine.objects.bulk_create(
            [
                DonationLine(donation=donation, item=item, quantity=quantity, movement=movement)
                for (item, quantity), movement in zip(cleaned_lines, movements, strict=True)
            ]
        )
    record_change(
        actor=actor,
        obj=donation,
        action=ChangeAction.CREATE,
        extra_after={"lines": [{"item": item.code, "quantity": str(q)} for item, q in cleaned_lines]},
    )
    ensure_in_scope(actor, donation, Action.ADD)
    return donation


@transaction.atomic
def donation_cancel(*, actor, donation: Donation, reason: str) -> Donation:
    """Cancel a recorded donation: goods post the reverse movements (refused, saying what is on
    hand, if the stock received has already been used); the record stays, marked cancelled."""
    if not can(actor, Action.CHANGE, Donation, donation.unit):
        raise PermissionDenied(
            _("You may not cancel donations of %(unit)s: its materials keeper or the group prevention office can.")
            % {"unit": donation.unit.name}
        )
    donation = Donation.objects.select_for_update().select_related("unit").get(pk=donation.pk)
    if donation.cancelled is not None:
        raise ValidationError(
            _("Donation %(number)s was already cancelled on %(date)s.")
            % {"number": donation.number, "date": _day(timezone.localdate(donation.cancelled))}
        )
    reason = _text(
        reason,
        field="reason",
        limit=200,
        required_message=_("Say why the donation is cancelled; the reason is kept with it."),
    )
    before = snapshot(donation)
    lines = list(donation.lines.select_related("item"))
    if lines:
        reverse_kind = MovementKind.DONATION_OUT if donation.direction == Direction.IN else MovementKind.DONATION_IN
        today = timezone.localdate()
        try:
            ledger.post(
                actor=actor,
                postings=[
                    ledger.Posting(
                        unit=donation.unit,
                        item=line.item,
                        kind=reverse_kind,
                        quantity=line.quantity,
                        date=today,
                        reference=donation.number,
                        counterparty=donation.counterparty,
                        note=(_("Cancelled: %(reason)s") % {"reason": reason})[:200],
                    )
                    for line in lines
                ],
            )
        except ledger.InsufficientStock as exc:
            raise ledger.InsufficientStock(
                _("Donation %(number)s cannot be cancelled: %(reason)s")
                % {"number": donation.number, "reason": " ".join(exc.messages)},
                code="insufficient_stock",
            ) from None
    donation.cancelled = timezone.now()
    donation.cancelled_by = actor
    donation.cancel_reason = reason
    donation.save(update_fields=["cancelled", "cancelled_by", "cancel_reason"])
    record_change(actor=actor, obj=donation, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, donation, Action.CHANGE)
    return donation
