"""Writes of requests, offers, transfers between units (调拨) and group rebalancing proposals.

Who does what (roles in :mod:`lianfang.org.roles`):

* a unit's liaison or materials keeper *requests* an item for the unit, or *offers* surplus;
* the group prevention office (``approve`` on transfers, held on a unit above both units) *matches*
  a request with an offer or a donor unit, *approves* proposed transfers, and runs *rebalancing
  proposals* that become approved transfers in one action;
* a unit's keeper *pledges* to a request it can see (a proposed transfer from the unit);
* the sending unit's keeper *ships* (stock leaves: ``TRANSFER_OUT`` movements), the receiving
  unit's keeper *receives*, possibly in parts (``TRANSFER_IN`` movements per receipt); a transfer
  finished with less than was shipped needs a discrepancy note on every short line.

Every function here is one transaction: a refusal leaves nothing written. Stock moves only through
:func:`lianfang.materials.ledger.post`. Each step notifies the other side (inbox, kind ``transfer``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.materials import ledger
from lianfang.materials import quantities as quantitie_materials
from lianfang.materials.choices import (
    MovementKind,
    OfferStatus,
    RequestStatus,
    TransferStatus,
    Urgency,
)
from lianfang.materials.models import (
    Item,
    MaterialRequest,
    Offer,
    RebalanceProposal,
    Stock,
    Transfer,
    TransferLine,
    TransferReceipt,
)
from lianfang.materials.selectors import transfers as transfer_selectors
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Role
from lianfang.org.models import RoleAssignment, Unit
from lianfang.org.scoping import can, ensure_in_scope

NOT_SHIPPED = (TransferStatus.PROPOSED, TransferStatus.APPROVED)
IN_TRANSIT = (TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED)
CLOSED = (TransferStatus.RECEIVED, TransferStatus.REJECTED, TransferStatus.CANCELLED)
TEXT_MAX = 200
NUMBER_ATTEMPTS = 20


# --- small helpers ------------------------------------------------------------------------------


def fmt(item: Item, quantity: Decimal) -> str:
    return quantitie_materials.format_quantity(item, quantity)


def on_hand(unit: Unit, item: Item) -> Decimal:
    value = Stock.objects.filter(unit=unit, item=item).values_list("on_hand", flat=True).first()
    return value if value is not None else Decimal(0)


def _text(value: str, field: str, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: message or _("Fill this in.")})
    if len(value) > TEXT_MAX:
        raise ValidationError({field: _("Keep this under %(n)d characters.") % {"n": TEXT_MAX}})
    return value


def _quantity(item: Item, value: Any, field: str = "quantity") -> Decimal:
    try:
        return ledger.clean_quantity(item, value)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def is_office_for(user, *units: Unit) -> bool:
    """May the user approve transfers touching all these units (the office above them)?"""
    return all(can(user, Action.APPROVE, Transfer, unit) for unit in units)


def _ensure_office(user, transfer_or_units: Transfer | Sequence[Unit], message: str) -> None:
    units = (
        [transfer_or_units.from_unit, transfer_or_units.to_unit]
        if isinstance(transfer_or_units, Transfer)
        else list(transfer_or_units)
    )
    if not is_office_for(user, *units):
        raise PermissionDenied(message)


def _side_user_ids(unit: Unit) -> set[int]:
    """Who hears about a unit's transfers: its materials keepers and liaisons, on it or above it
    (below the group itself, whose office hears through approvals)."""
    steplen = Unit.steplen
    prefixes = [unit.path[:end] for end in range(steplen * 2, len(unit.path) + 1, steplen)] or [unit.path]
    return set(
        RoleAssignment.objects.filter(
            role__in=[Role.MATERIALS_KEEPER, Role.UNIT_ADMIN], unit__path__in=prefixes
        ).values_list("user_id", flat=True)
    )


def _office_user_ids(*units: Unit) -> set[int]:
    """The office above the units: group admins on a unit that is an ancestor of (or is) each."""
    steplen = Unit.steplen
    common = None
    for unit in units:
        prefixes = {unit.path[:end] for end in range(steplen, len(unit.path) + 1, steplen)}
        common = prefixes if common is None else common & prefixes
    return set(
        RoleAssignment.objects.filter(role=Role.GROUP_ADMIN, unit__path__in=sorted(common or ())).values_list(
            "user_id", flat=True
        )
    )


def _notify(actor, user_ids: Iterable[int], *, title: str, body: str = "", url: str = "") -> None:
    me = getattr(actor, "pk", None)
    recipients = sorted({pk for pk in user_ids if pk != me})
    if recipients:
        message_send(recipients=recipients, kind=MessageKind.TRANSFER, title=title, body=body, url=url)


def transfer_url(transfer: Transfer) -> str:
    return reverse("materials:transfer-detail", args=[transfer.pk])


def _lines_text(transfer: Transfer, attr: str = "quantity") -> str:
    return "；".join(f"{line.item.label} {fmt(line.item, getattr(line, attr))}" for line in transfer.lines.all())


# --- requests -----------------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    actor,
    unit: Unit,
    item: Item,
    quantity: Any,
    reason: str,
    urgency: str = Urgency.NORMAL,
    front_line: bool = False,
    needed_by: datetime.date | None = None,
) -> MaterialRequest:
    """A unit asks for an item; the office hears of it."""
    if not can(actor, Action.ADD, MaterialRequest, unit):
        raise PermissionDenied(
            _("You may not request materials for %(unit)s: its liaison, its materials keeper or the office can.")
            % {"unit": unit.name}
        )
    if not item.is_active:
        raise ValidationError(
            {"item": _("%(item)s is no longer in the catalogue: choose another item.") % {"item": item.label}}
        )
    qty = _quantity(item, quantity)
    if urgency not in Urgency.values:
        raise ValidationError({"urgency": _("Choose normal, urgent or critical.")})
    reason = _text(reason, "reason", required=True, message=_("Say what the materials are for."))
    if needed_by is not None and needed_by < timezone.localdate():
        raise ValidationError({"needed_by": _("The date it is needed by has passed: enter today or a later day.")})
    request = MaterialRequest(
        unit=unit,
        item=item,
        quantity=qty,
        urgency=urgency,
        front_line=front_line,
        reason=reason,
        needed_by=needed_by,
        created_by=actor,
    )
    request.save()
    record_change(actor=actor, obj=request, action=ChangeAction.CREATE)
    ensure_in_scope(actor, request, Action.VIEW)
    _notify(
        actor,
        _office_user_ids(unit),
        title=_("%(unit)s requests %(quantity)s of %(item)s")
        % {"unit": unit.name, "quantity": fmt(item, qty), "item": item.label},
        body=reason,
        url=reverse("materials:request-detail", args=[request.pk]),
    )
    return request


def request_covered(request: MaterialRequest) -> Decimal:
    """What the request's transfers cover: agreed quantities of transfers under way, what arrived
    of finished ones. Proposed transfers are not agreed yet, rejected and cancelled ones count nothing."""
    total = Decimal(0)
    lines = TransferLine.objects.filter(transfer__request=request, item_id=request.item_id).select_related("transfer")
    for line in lines:
        status = line.transfer.status
        if status == TransferStatus.RECEIVED:
            total += line.received
        elif status in (TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED):
            total += line.shipped
        elif status == TransferStatus.APPROVED:
            total += line.quantity
    return total


def request_outstanding(request: MaterialRequest) -> Decimal:
    """What is still to find: asked − covered − proposed (not yet approved) for it."""
    proposed = sum(
        (
            line.quantity
            for line in TransferLine.objects.filter(
                transfer__request=request, transfer__status=TransferStatus.PROPOSED, item_id=request.item_id
            )
        ),
        Decimal(0),
    )
    return max(request.quantity - request_covered(request) - proposed, Decimal(0))


def _refresh_request(actor, request: MaterialRequest | None) -> None:
    if request is None:
        return
    request = MaterialRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == RequestStatus.CANCELLED:
        return
    covered = request_covered(request)
    status = (
        RequestStatus.COVERED
        if covered >= request.quantity
        else RequestStatus.PARTLY
        if covered > 0
        else RequestStatus.OPEN
    )
    if status != request.status:
        before = snapshot(request)
        request.status = status
        request.save(update_fields=["status"])
        record_change(actor=actor, obj=request, action=ChangeAction.UPDATE, before=before)


@transaction.atomic
def request_cancel(*, actor, request: MaterialRequest) -> MaterialRequest:
    """Withdraw a request that is no longer needed (by whoever may change it, or who made it)."""
    request = MaterialRequest.objects.select_for_update().select_related("unit", "item").get(pk=request.pk)
    own = request.created_by_id == getattr(actor, "pk", None) and can(actor, Action.ADD, MaterialRequest, request.unit)
    if not (own or can(actor, Action.CHANGE, MaterialRequest, request.unit)):
        raise PermissionDenied(
            _("Only who made this request, the materials keeper of %(unit)s or the office can cancel it.")
            % {"unit": request.unit.name}
        )
    if request.status in (RequestStatus.CANCELLED, RequestStatus.COVERED):
        raise ValidationError(
            _("This request is %(status)s already: there is nothing to cancel.")
            % {"status": request.get_status_display()}
        )
    under_way = list(request.transfers.exclude(status__in=CLOSED).order_by("number").values_list("number", flat=True))
    if under_way:
        raise ValidationError(
            _("Transfers for this request are under way (%(numbers)s): cancel them first, or wait until they arrive.")
            % {"numbers": ", ".join(under_way)}
        )
    before = snapshot(request)
    request.status = RequestStatus.CANCELLED
    request.save(update_fields=["status"])
    record_change(actor=actor, obj=request, action=ChangeAction.UPDATE, before=before)
    return request


# --- offers -------------------------------------------------------------------------------------


def offer_remaining(offer: Offer) -> Decimal:
    """What is still free of an offer: offered − on transfers that are not rejected or cancelled."""
    taken = sum(
        (
            line.quantity if line.transfer.status in NOT_SHIPPED else line.shipped
            for line in TransferLine.objects.filter(transfer__offer=offer, item_id=offer.item_id)
            .exclude(transfer__status__in=[TransferStatus.REJECTED, TransferStatus.CANCELLED])
            .select_related("transfer")
        ),
        Decimal(0),
    )
    return max(offer.quantity - taken, Decimal(0))


def _refresh_offer(actor, offer: Offer | None) -> None:
    if offer is None:
        return
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status == OfferStatus.WITHDRAWN:
        return
    status = OfferStatus.TAKEN if offer_remaining(offer) <= 0 else OfferStatus.OPEN
    if status != offer.status:
        before = snapshot(offer)
        offer.status = status
        offer.save(update_fields=["status"])
        record_change(actor=actor, obj=offer, action=ChangeAction.UPDATE, before=before)


@transaction.atomic
def offer_create(
    *,
    actor,
    unit: Unit,
    item: Item,
    quantity: Any,
    note: str = "",
    available_until: datetime.date | None = None,
) -> Offer:
    """A unit offers surplus; never more than it has on hand."""
    if not can(actor, Action.ADD, Offer, unit):
        raise PermissionDenied(
            _("You may not offer materials of %(unit)s: its liaison, its materials keeper or the office can.")
            % {"unit": unit.name}
        )
    qty = _quantity(item, quantity)
    have = on_hand(unit, item)
    if qty > have:
        raise ValidationError(
            {
                "quantity": _("%(unit)s has only %(on_hand)s of %(item)s on hand: offer at most that.")
                % {"unit": unit.name, "on_hand": fmt(item, have), "item": item.label}
            }
        )
    note = _text(note, "note")
    if available_until is not None and available_until < timezone.localdate():
        raise ValidationError({"available_until": _("That day has passed: enter today or a later day.")})
    offer = Offer(unit=unit, item=item, quantity=qty, note=note, available_until=available_until, created_by=actor)
    offer.save()
    record_change(actor=actor, obj=offer, action=ChangeAction.CREATE)
    ensure_in_scope(actor, offer, Action.VIEW)
    _notify(
        actor,
        _office_user_ids(unit),
        title=_("%(unit)s offers %(quantity)s of %(item)s")
        % {"unit": unit.name, "quantity": fmt(item, qty), "item": item.label},
        body=note,
        url=reverse("materials:offer-list"),
    )
    return offer


@transaction.atomic
def offer_withdraw(*, actor, offer: Offer) -> Offer:
    offer = Offer.objects.select_for_update().select_related("unit").get(pk=offer.pk)
    own = offer.created_by_id == getattr(actor, "pk", None) and can(actor, Action.ADD, Offer, offer.unit)
    if not (own or can(actor, Action.CHANGE, Offer, offer.unit)):
        raise PermissionDenied(
            _("Only who made this offer, the materials keeper of %(unit)s or the office can withdraw it.")
            % {"unit": offer.unit.name}
        )
    if offer.status != OfferStatus.OPEN:
        raise ValidationError(
            _("Only an open offer can be withdrawn; this one is %(status)s.") % {"status": offer.get_status_display()}
        )
    before = snapshot(offer)
    offer.status = OfferStatus.WITHDRAWN
    offer.save(update_fields=["status"])
    record_change(actor=actor, obj=offer, action=ChangeAction.UPDATE, before=before)
    return offer


# --- transfers: creating ------------------------------------------------------------------------


def next_number(day: datetime.date) -> str:
    """The next free transfer note number of the day: DB-20261121-0001, DB-20261121-0002…"""
    prefix = f"DB-{day:%Y%m%d}-"
    last = (
        Transfer.objects.filter(number__startswith=prefix)
        .order_by(Length("number").desc(), "-number")
        .values_list("number", flat=True)
        .first()
    )
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{n:04d}"


def _insert_numbered(transfer: Transfer) -> Transfer:
    """Save with the next number; a number taken meanwhile by another transaction is retried.

    The unique constraint decides: on PostgreSQL a second insert of the same number waits for the
    first transaction and then fails, inside its own savepoint, and takes the next number.
    """
    day = timezone.localdate()
    for _attempt in range(NUMBER_ATTEMPTS):
        transfer.number = next_number(day)
        try:
            with transaction.atomic():
                transfer.save()
            return transfer
        except IntegrityError:
            if Transfer.objects.filter(number=transfer.number).exists():
                transfer.pk = None
                transfer._state.adding = True
                continue
            raise
    raise ValidationError(_("Many transfers are being created at this moment: try again."))  # pragma: no cover


@dataclass(frozen=True)
class LineInput:
    item: Item
    quantity: Any


def _clean_lines(lines: Sequence[LineInput]) -> list[tuple[Item, Decimal]]:
    if not lines:
        raise ValidationError({"lines": _("Add at least one item to the transfer.")})
    cleaned: list[tuple[Item, Decimal]] = []
    seen: set[int] = set()
    for line in lines:
        if line.item.pk in seen:
            raise ValidationError(
                {"lines": _("%(item)s is on the transfer twice: put it on one line.") % {"item": line.item.label}}
            )
        seen.add(line.item.pk)
        cleaned.append((line.item, _quantity(line.item, line.quantity, "lines")))
    return cleaned


def _create_transfer(
    *,
    actor,
    from_unit: Unit,
    to_unit: Unit,
    lines: Sequence[LineInput],
    approved: bool,
    note: str = "",
    request: MaterialRequest | None = None,
    offer: Offer | None = None,
    proposal: RebalanceProposal | None = None,
    notify: bool = True,
) -> Transfer:
    if from_unit.pk == to_unit.pk:
        raise ValidationError({"from_unit": _("A transfer goes from one unit to another: choose a different unit.")})
    for unit, field in ((from_unit, "from_unit"), (to_unit, "to_unit")):
        if not unit.is_active:
            raise ValidationError({field: _("%(unit)s is inactive: choose an active unit.") % {"unit": unit.name}})
    cleaned = _clean_lines(lines)
    now = timezone.now()
    transfer = Transfer(
        from_unit=from_unit,
        to_unit=to_unit,
        status=TransferStatus.APPROVED if approved else TransferStatus.PROPOSED,
        request=request,
        offer=offer,
        proposal=proposal,
        note=_text(note, "note"),
        created_by=actor,
        approved=now if approved else None,
        approved_by=actor if approved else None,
    )
    _insert_numbered(transfer)
    TransferLine.objects.bulk_create([TransferLine(transfer=transfer, item=item, quantity=q) for item, q in cleaned])
    record_change(actor=actor, obj=transfer, action=ChangeAction.CREATE, extra_after={"lines": _line_log(transfer)})
    ensure_in_scope(actor, transfer, Action.VIEW)
    if notify:
        _notify_step(actor, transfer)
    return transfer


def _line_log(transfer: Transfer) -> list[dict[str, str]]:
    return [
        {
            "item": line.item.code,
            "quantity": str(line.quantity),
            "shipped": str(line.shipped),
            "received": str(line.received),
            **({"discrepancy": line.discrepancy_note} if line.discrepancy_note else {}),
        }
        for line in transfer.lines.select_related("item").order_by("pk")
    ]


def _step_title(transfer: Transfer) -> str:
    params = {"number": transfer.number, "from": transfer.from_unit.name, "to": transfer.to_unit.name}
    # Written out so that makemessages finds each sentence.
    titles = {
        TransferStatus.PROPOSED: _("Transfer %(number)s proposed: %(from)s → %(to)s"),
        TransferStatus.APPROVED: _("Transfer %(number)s approved: %(from)s → %(to)s"),
        TransferStatus.SHIPPED: _("Transfer %(number)s shipped: %(from)s → %(to)s"),
        TransferStatus.PARTLY_RECEIVED: _("Transfer %(number)s partly received: %(from)s → %(to)s"),
        TransferStatus.RECEIVED: _("Transfer %(number)s received: %(from)s → %(to)s"),
        TransferStatus.REJECTED: _("Transfer %(number)s rejected: %(from)s → %(to)s"),
        TransferStatus.CANCELLED: _("Transfer %(number)s cancelled: %(from)s → %(to)s"),
    }
    return titles[TransferStatus(transfer.status)] % params


def _notify_step(actor, transfer: Transfer, body: str = "") -> None:
    """Tell the other side (and the office when its decision is needed or was overruled)."""
    status = transfer.status
    recipients = _side_user_ids(transfer.from_unit) | _side_user_ids(transfer.to_unit)
    if status in (TransferStatus.PROPOSED, TransferStatus.REJECTED, TransferStatus.CANCELLED):
        recipients |= _office_user_ids(transfer.from_unit, transfer.to_unit)
    _notify(
        actor, recipients, title=_step_title(transfer), body=body or _lines_text(transfer), url=transfer_url(transfer)
    )


@transaction.atomic
def transfer_propose(*, actor, from_unit: Unit, to_unit: Unit, lines: Sequence[LineInput], note: str = "") -> Transfer:
    """The sending unit (or the office) proposes to send items; the office approves it."""
    if not can(actor, Action.ADD, Transfer, from_unit):
        raise PermissionDenied(
            _("You may not propose transfers from %(unit)s: its materials keeper or the office can.")
            % {"unit": from_unit.name}
        )
    if not Unit.objects.restrict(actor, Action.VIEW).filter(pk=to_unit.pk).exists():
        raise ValidationError({"to_unit": _("Choose a unit you can see as the receiving unit.")})
    return _create_transfer(actor=actor, from_unit=from_unit, to_unit=to_unit, lines=lines, approved=False, note=note)


@dataclass(frozen=True)
class ReceiverInput:
    """One receiving unit of a shipment to several units, with its items and quantities."""

    to_unit: Unit
    lines: Sequence[LineInput]


@transaction.atomic
def transfer_distribute(
    *, actor, from_unit: Unit, receivers: Sequence[ReceiverInput], note: str = "", approve: bool = False
) -> list[Transfer]:
    """One unit sends to several units in one action: one transfer (its own note and number) per
    receiving unit, all or none. Proposed for the office to approve, or approved at once when the
    office does it (``approve``; it must be the office above both units of every transfer).

    Refused, before anything is written, when a receiving unit is named twice or is the sending unit,
    when a receiving unit is outside what the actor can see, or when the transfers together send
    more of an item than the sending unit has on hand (less what it promised to other transfers)."""
    if not can(actor, Action.ADD, Transfer, from_unit):
        raise PermissionDenied(
            _("You may not propose transfers from %(unit)s: its materials keeper or the office can.")
            % {"unit": from_unit.name}
        )
    if not receivers:
        raise ValidationError({"receivers": _("Add at least one receiving unit.")})
    seen: set[int] = set()
    visible = set(
        Unit.objects.restrict(actor, Action.VIEW)
        .filter(pk__in=[r.to_unit.pk for r in receivers])
        .values_list("pk", flat=True)
    )
    totals: dict[int, Decimal] = {}
    items: dict[int, Item] = {}
    for receiver in receivers:
        unit = receiver.to_unit
        if unit.pk in seen:
            raise ValidationError(
                {"receivers": _("%(unit)s is named twice: put all its items on one row.") % {"unit": unit.name}}
            )
        seen.add(unit.pk)
        if unit.pk == from_unit.pk:
            raise ValidationError(
                {"receivers": _("%(unit)s is the sending unit: it cannot receive from itself.") % {"unit": unit.name}}
            )
        if unit.pk not in visible:
            raise ValidationError({"receivers": _("Choose units you can see as the receiving units.")})
        for item, qty in _clean_lines(receiver.lines):
            totals[item.pk] = totals.get(item.pk, Decimal(0)) + qty
            items[item.pk] = item
    if approve:
        for receiver in receivers:
            _ensure_office(
                actor,
                [from_unit, receiver.to_unit],
                _("Only the group prevention office above %(from)s and %(to)s can approve this transfer: ask them.")
                % {"from": from_unit.name, "to": receiver.to_unit.name},
            )
    promised = transfer_selectors.promised_out([from_unit.pk], list(totals))
    for item_id, total in totals.items():
        item = items[item_id]
        have = on_hand(from_unit, item) - promised.get((from_unit.pk, item_id), Decimal(0))
        if total > have:
            raise ValidationError(
                {
                    "receivers": _(
                        "%(unit)s has %(available)s of %(item)s free to send, and these transfers send %(total)s "
                        "in all: send less, or to fewer units."
                    )
                    % {
                        "unit": from_unit.name,
                        "available": fmt(item, max(have, Decimal(0))),
                        "item": item.label,
                        "total": fmt(item, total),
                    }
                }
            )
    return [
        _create_transfer(
            actor=actor,
            from_unit=from_unit,
            to_unit=receiver.to_unit,
            lines=receiver.lines,
            approved=approve,
            note=note,
        )
        for receiver in receivers
    ]


@transaction.atomic
def request_match(
    *,
    actor,
    request: MaterialRequest,
    from_unit: Unit | None = None,
    offer: Offer | None = None,
    quantity: Any = None,
    approve: bool = True,
    note: str = "",
) -> Transfer:
    """The office covers a request from an offer or a chosen donor unit: a transfer, approved at
    once unless ``approve`` is false (then it waits as proposed)."""
    request = MaterialRequest.objects.select_for_update().select_related("unit", "item").get(pk=request.pk)
    if offer is not None:
        offer = Offer.objects.select_for_update().select_related("unit", "item").get(pk=offer.pk)
        from_unit = offer.unit
    if from_unit is None:
        raise ValidationError({"from_unit": _("Choose the unit that sends, or one of the offers.")})
    _ensure_office(
        actor,
        [from_unit, request.unit],
        _("Only the group prevention office above %(from)s and %(to)s can match this request.")
        % {"from": from_unit.name, "to": request.unit.name},
    )
    if request.status in (RequestStatus.CANCELLED, RequestStatus.COVERED):
        raise ValidationError(
            _("This request is %(status)s: there is nothing left to match.") % {"status": request.get_status_display()}
        )
    item = request.item
    outstanding = request_outstanding(request)
    if outstanding <= 0:
        raise ValidationError(_("Transfers for the whole request are already proposed or under way."))
    limit = outstanding
    if offer is not None:
        if offer.item_id != item.pk:
            raise ValidationError(
                {"offer": _("That offer is of %(item)s, not of the item requested.") % {"item": offer.item.label}}
            )
        if offer.status != OfferStatus.OPEN:
            raise ValidationError(
                {"offer": _("That offer is %(status)s: choose an open one.") % {"status": offer.get_status_display()}}
            )
        limit = min(limit, offer_remaining(offer))
    qty = limit if quantity in (None, "") else _quantity(item, quantity)
    if qty > outstanding:
        raise ValidationError(
            {
                "quantity": _("The request still needs %(outstanding)s: match at most that.")
                % {"outstanding": fmt(item, outstanding)}
            }
        )
    if offer is not None and qty > limit:
        raise ValidationError(
            {"quantity": _("The offer has %(left)s left: match at most that.") % {"left": fmt(item, limit)}}
        )
    have = on_hand(from_unit, item)
    if qty > have:
        raise ValidationError(
            {
                "quantity": _(
                    "%(unit)s has only %(on_hand)s of %(item)s on hand: match at most that, or choose another unit."
                )
                % {"unit": from_unit.name, "on_hand": fmt(item, have), "item": item.label}
            }
        )
    # What it already promised to other transfers not yet shipped is not free to give again.
    promised = transfer_selectors.promised_out([from_unit.pk], [item.pk]).get((from_unit.pk, item.pk), Decimal(0))
    if promised and qty > have - promised:
        raise ValidationError(
            {
                "quantity": _(
                    "%(unit)s has %(on_hand)s of %(item)s on hand, of which %(promised)s are promised to other "
                    "transfers: match at most %(free)s, or choose another unit."
                )
                % {
                    "unit": from_unit.name,
                    "on_hand": fmt(item, have),
                    "item": item.label,
                    "promised": fmt(item, promised),
                    "free": fmt(item, max(have - promised, Decimal(0))),
                }
            }
        )
    transfer = _create_transfer(
        actor=actor,
        from_unit=from_unit,
        to_unit=request.unit,
        lines=[LineInput(item, qty)],
        approved=approve,
        note=note or request.reason,
        request=request,
        offer=offer,
    )
    _refresh_request(actor, request)
    _refresh_offer(actor, offer)
    return transfer


@transaction.atomic
def request_pledge(
    *, actor, request: MaterialRequest, from_unit: Unit, quantity: Any = None, note: str = ""
) -> Transfer:
    """A unit offers to cover (part of) a request: a proposed transfer from it, for the office to approve."""
    request = MaterialRequest.objects.select_for_update().select_related("unit", "item").get(pk=request.pk)
    if not can(actor, Action.ADD, Transfer, from_unit):
        raise PermissionDenied(
            _("You may not pledge materials of %(unit)s: its materials keeper or the office can.")
            % {"unit": from_unit.name}
        )
    if from_unit.pk == request.unit_id:
        raise ValidationError({"from_unit": _("A unit cannot pledge to its own request: choose another unit.")})
    if request.status in (RequestStatus.CANCELLED, RequestStatus.COVERED):
        raise ValidationError(
            _("This request is %(status)s: there is nothing left to pledge to.")
            % {"status": request.get_status_display()}
        )
    item = request.item
    outstanding = request_outstanding(request)
    if outstanding <= 0:
        raise ValidationError(_("Transfers for the whole request are already proposed or under way."))
    qty = outstanding if quantity in (None, "") else _quantity(item, quantity)
    if qty > outstanding:
        raise ValidationError(
            {
                "quantity": _("The request still needs %(outstanding)s: pledge at most that.")
                % {"outstanding": fmt(item, outstanding)}
            }
        )
    have = on_hand(from_unit, item)
    if qty > have:
        raise ValidationError(
            {
                "quantity": _("%(unit)s has only %(on_hand)s of %(item)s on hand: pledge at most that.")
                % {"unit": from_unit.name, "on_hand": fmt(item, have), "item": item.label}
            }
        )
    transfer = _create_transfer(
        actor=actor,
        from_unit=from_unit,
        to_unit=request.unit,
        lines=[LineInput(item, qty)],
        approved=False,
        note=note,
        request=request,
    )
    _refresh_request(actor, request)
    return transfer


# --- transfers: the steps -----------------------------------------------------------------------


def _locked(transfer: Transfer) -> Transfer:
    """The transfer re-read under a row lock: two clicks on "ship" queue up, the second sees it shipped."""
    return Transfer.objects.select_for_update().select_related("from_unit", "to_unit").get(pk=transfer.pk)


def _status_refusal(transfer: Transfer, doing: str) -> ValidationError:
    messages = {
        "approve": _("Transfer %(number)s is %(status)s: only a proposed transfer can be approved."),
        "ship": _("Transfer %(number)s is %(status)s: only an approved transfer can be shipped."),
        "receive": _("Transfer %(number)s is %(status)s: only a shipped transfer can be received."),
        "reject": _("Transfer %(number)s is %(status)s: only a transfer not yet shipped can be rejected."),
        "cancel": _("Transfer %(number)s is %(status)s: only a transfer not yet shipped can be cancelled."),
    }
    return ValidationError(messages[doing] % {"number": transfer.number, "status": transfer.get_status_display()})


def _log(actor, transfer: Transfer, before: dict, lines_before: list | None = None) -> None:
    extra = {"lines": _line_log(transfer)}
    if lines_before is not None:
        before = {**before, "lines": lines_before}
    record_change(actor=actor, obj=transfer, action=ChangeAction.UPDATE, before=before, extra_after=extra)


def shortage_text(transfer: Transfer, shortages: Sequence[transfer_selectors.Shortage]) -> str:
    """What the sending unit lacks, line by line, as the office reads it before approving."""
    parts = []
    for short in shortages:
        params = {
            "unit": transfer.from_unit.name,
            "item": short.item.label,
            "on_hand": fmt(short.item, short.on_hand),
            "promised": fmt(short.item, short.promised),
            "needed": fmt(short.item, short.needed),
        }
        if short.promised:
            parts.append(
                _(
                    "%(unit)s has %(on_hand)s of %(item)s on hand, of which %(promised)s are promised to other "
                    "transfers not yet shipped; this transfer needs %(needed)s."
                )
                % params
            )
        else:
            parts.append(_("%(unit)s has %(on_hand)s of %(item)s on hand; this transfer needs %(needed)s.") % params)
    return " ".join(parts)


@transaction.atomic
def transfer_approve(*, actor, transfer: Transfer, confirm_short: bool = False) -> Transfer:
    """The office approves. When the sending unit does not have the stock for a line (counting what it
    promised to its other open transfers), approval is refused with what is missing unless the office
    confirms (``confirm_short``): it would not ship as it stands."""
    transfer = _locked(transfer)
    _ensure_office(
        actor,
        transfer,
        _("Only the group prevention office above %(from)s and %(to)s can approve this transfer: ask them.")
        % {"from": transfer.from_unit.name, "to": transfer.to_unit.name},
    )
    if transfer.status != TransferStatus.PROPOSED:
        raise _status_refusal(transfer, "approve")
    shortages = transfer_selectors.sender_shortages(transfer)
    if shortages and not confirm_short:
        raise ValidationError(
            {
                "confirm_short": _(
                    "The sending unit does not have the stock: %(shortage)s Approve anyway only if more "
                    "arrives there before it ships."
                )
                % {"shortage": shortage_text(transfer, shortages)}
            },
            code="short_stock",
        )
    before = snapshot(transfer)
    transfer.status = TransferStatus.APPROVED
    transfer.approved = timezone.now()
    transfer.approved_by = actor
    transfer.save(update_fields=["status", "approved", "approved_by"])
    _log(actor, transfer, before)
    _refresh_request(actor, transfer.request)
    _refresh_offer(actor, transfer.offer)
    _notify_step(actor, transfer)
    return transfer


def _clean_step_quantities(transfer: Transfer, quantities: Mapping[int, Any] | None, field: str) -> dict[int, Decimal]:
    """Per line id a quantity ≥ 0 (blank is 0); whole numbers for counted items."""
    out: dict[int, Decimal] = {}
    lines = {line.pk: line for line in transfer.lines.select_related("item")}
    for pk, value in (quantities or {}).items():
        line = lines.get(int(pk))
        if line is None:
            raise ValidationError(
                {field: _("Transfer %(number)s has no line %(line)s.") % {"number": transfer.number, "line": pk}}
            )
        if value in (None, "") or (isinstance(value, str) and value.strip() in ("", "0")) or value == 0:
            out[line.pk] = Decimal(0)
            continue
        try:
            out[line.pk] = ledger.clean_quantity(line.item, value)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
    return out


@transaction.atomic
def transfer_ship(
    *, actor, transfer: Transfer, quantities: Mapping[int, Any] | None = None, date: datetime.date | None = None
) -> Transfer:
    """The sending unit ships: stock leaves it now (one ``TRANSFER_OUT`` movement per line).

    ``quantities`` (line id → quantity) may ship less than agreed, never more; left out, each line
    ships what was agreed. Refused, naming what is available, if the unit has less on hand.

    ``date`` is the day the goods left (default today, never in the future): a shipment recorded
    afterwards keeps it on the transfer (``shipped_on``) and on its movements, while ``shipped`` and
    the movements' ``created`` keep when it was recorded. The ledger is never reordered.
    """
    transfer = _locked(transfer)
    if not can(actor, Action.CHANGE, Transfer, transfer.from_unit):
        raise PermissionDenied(
            _("Only the materials keeper of %(unit)s (the sending unit) or the office can ship this transfer.")
            % {"unit": transfer.from_unit.name}
        )
    if transfer.status != TransferStatus.APPROVED:
        raise _status_refusal(transfer, "ship")
    day = date or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"date": _("A shipment cannot be dated in the future.")})
    given = _clean_step_quantities(transfer, quantities, "quantities")
    lines = list(transfer.lines.select_related("item").order_by("pk"))
    lines_before = _line_log(transfer)
    postings = []
    for line in lines:
        qty = given.get(line.pk, line.quantity)
        if qty > line.quantity:
            raise ValidationError(
                {
                    "quantities": _("%(item)s: %(asked)s were agreed; ship at most that.")
                    % {"item": line.item.label, "asked": fmt(line.item, line.quantity)}
                }
            )
        line.shipped = qty
        if qty > 0:
            postings.append(
                ledger.Posting(
                    unit=transfer.from_unit,
                    item=line.item,
                    kind=MovementKind.TRANSFER_OUT,
                    quantity=qty,
                    date=day,
                    reference=transfer.number,
                    counterparty=transfer.to_unit.name[:100],
                    front_line=bool(transfer.request and transfer.request.front_line),
                )
            )
    if not postings:
        raise ValidationError({"quantities": _("Ship at least one item, or cancel the transfer.")})
    try:
        ledger.post(actor=actor, postings=postings)
    except ledger.InsufficientStock as exc:
        raise ValidationError({"quantities": exc.messages}) from None
    TransferLine.objects.bulk_update(lines, ["shipped"])
    before = snapshot(transfer)
    transfer.status = TransferStatus.SHIPPED
    transfer.shipped = timezone.now()
    transfer.shipped_on = day
    transfer.shipped_by = actor
    transfer.save(update_fields=["status", "shipped", "shipped_on", "shipped_by"])
    _log(actor, transfer, before, lines_before)
    _refresh_request(actor, transfer.request)
    _refresh_offer(actor, transfer.offer)
    _notify_step(actor, transfer, _lines_text(transfer, "shipped"))
    return transfer


@transaction.atomic
def transfer_receive(
    *,
    actor,
    transfer: Transfer,
    quantities: Mapping[int, Any],
    date: datetime.date | None = None,
    note: str = "",
    finish: bool = False,
    discrepancies: Mapping[int, str] | None = None,
) -> TransferReceipt:
    """The receiving unit records what arrived (``TRANSFER_IN`` movements); parts may come
    separately. Never more than was shipped. ``finish`` closes the transfer with less than was
    shipped: each short line needs a discrepancy note (what happened to the rest).

    ``date`` is the day it arrived (default today; not in the future, not before the shipment left):
    the receipt and its movements keep it, and the transfer's ``received_on`` is the day the last of
    it arrived."""
    transfer = _locked(transfer)
    if not can(actor, Action.CHANGE, Transfer, transfer.to_unit):
        raise PermissionDenied(
            _("Only the materials keeper of %(unit)s (the receiving unit) or the office can receive this transfer.")
            % {"unit": transfer.to_unit.name}
        )
    if transfer.status not in IN_TRANSIT:
        raise _status_refusal(transfer, "receive")
    day = date or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"date": _("A receipt cannot be dated in the future.")})
    if transfer.shipped_on is not None and day < transfer.shipped_on:
        raise ValidationError(
            {
                "date": _(
                    "Transfer %(number)s was shipped on %(shipped)s: a receipt cannot be dated before its "
                    "shipment. Enter %(shipped)s or a later day."
                )
                % {"number": transfer.number, "shipped": transfer.shipped_on.isoformat()}
            }
        )
    note = _text(note, "note")
    given = _clean_step_quantities(transfer, quantities, "quantities")
    lines = list(transfer.lines.select_related("item").order_by("pk"))
    lines_before = _line_log(transfer)
    receipt = TransferReceipt(transfer=transfer, date=day, note=note, created_by=actor)
    receipt.save()
    postings = []
    for line in lines:
        qty = given.get(line.pk, Decimal(0))
        if line.received + qty > line.shipped:
            raise ValidationError(
                {
                    "quantities": _(
                        "%(item)s: %(shipped)s were shipped and %(received)s already received; "
                        "at most %(left)s can arrive. Record what is short as a discrepancy instead."
                    )
                    % {
                        "item": line.item.label,
                        "shipped": fmt(line.item, line.shipped),
                        "received": fmt(line.item, line.received),
                        "left": fmt(line.item, line.shipped - line.received),
                    }
                }
            )
        if qty > 0:
            line.received += qty
            postings.append(
                ledger.Posting(
                    unit=transfer.to_unit,
                    item=line.item,
                    kind=MovementKind.TRANSFER_IN,
                    quantity=qty,
                    date=day,
                    reference=transfer.number,
                    counterparty=transfer.from_unit.name[:100],
                    note=_("Receipt %(n)s") % {"n": receipt.pk},
                    front_line=bool(transfer.request and transfer.request.front_line),
                )
            )
    complete = all(line.received >= line.shipped for line in lines)
    if not postings and not finish:
        raise ValidationError({"quantities": _("Enter what arrived, or finish the transfer with a discrepancy note.")})
    notes = {int(k): (v or "").strip() for k, v in (discrepancies or {}).items()}
    if finish and not complete:
        missing = []
        for line in lines:
            if line.received < line.shipped:
                text = notes.get(line.pk, "")
                if not text:
                    missing.append(line.item.label)
                elif len(text) > TEXT_MAX:
                    raise ValidationError(
                        {"discrepancies": _("Keep each discrepancy note under %(n)d characters.") % {"n": TEXT_MAX}}
                    )
                line.discrepancy_note = text
        if missing:
            raise ValidationError(
                {
                    "discrepancies": _(
                        "Less arrived than was shipped of %(items)s: "
                        "say what happened to the rest in a discrepancy note."
                    )
                    % {"items": "、".join(missing)}
                }
            )
    if postings:
        ledger.post(actor=actor, postings=postings)
    TransferLine.objects.bulk_update(lines, ["received", "discrepancy_note"])
    before = snapshot(transfer)
    if complete or finish:
        transfer.status = TransferStatus.RECEIVED
        transfer.received = timezone.now()
        transfer.received_on = day
    else:
        transfer.status = TransferStatus.PARTLY_RECEIVED
    transfer.save(update_fields=["status", "received", "received_on"])
    _log(actor, transfer, before, lines_before)
    record_change(actor=actor, obj=receipt, action=ChangeAction.CREATE)
    _refresh_request(actor, transfer.request)
    _notify_step(actor, transfer, _lines_text(transfer, "received"))
    return receipt


@transaction.atomic
def transfer_reject(*, actor, transfer: Transfer, reason: str) -> Transfer:
    """The office, or the sending unit, says no before anything is shipped."""
    transfer = _locked(transfer)
    if not (
        is_office_for(actor, transfer.from_unit, transfer.to_unit)
        or can(actor, Action.CHANGE, Transfer, transfer.from_unit)
    ):
        raise PermissionDenied(
            _(
                "Only the group prevention office or the materials keeper of %(unit)s (the sending unit) "
                "can reject this transfer."
            )
            % {"unit": transfer.from_unit.name}
        )
    return _close_unshipped(actor, transfer, TransferStatus.REJECTED, reason, "reject")


@transaction.atomic
def transfer_cancel(*, actor, transfer: Transfer, reason: str) -> Transfer:
    """The office, the receiving unit (no longer needed) or who proposed it withdraws it before shipping."""
    transfer = _locked(transfer)
    own = transfer.created_by_id == getattr(actor, "pk", None) and (
        can(actor, Action.ADD, Transfer, transfer.from_unit) or can(actor, Action.ADD, Transfer, transfer.to_unit)
    )
    if not (
        own
        or is_office_for(actor, transfer.from_unit, transfer.to_unit)
        or can(actor, Action.CHANGE, Transfer, transfer.to_unit)
    ):
        raise PermissionDenied(
            _(
                "Only the group prevention office, who proposed it or the materials keeper of %(unit)s "
                "(the receiving unit) can cancel this transfer."
            )
            % {"unit": transfer.to_unit.name}
        )
    return _close_unshipped(actor, transfer, TransferStatus.CANCELLED, reason, "cancel")


def _close_unshipped(actor, transfer: Transfer, status: str, reason: str, doing: str) -> Transfer:
    if transfer.status not in NOT_SHIPPED:
        raise _status_refusal(transfer, doing)
    reason = _text(reason, "reason", required=True, message=_("Say why, so that both units know."))
    before = snapshot(transfer)
    transfer.status = status
    note = f"{transfer.note} · {reason}" if transfer.note else reason
    transfer.note = note[:TEXT_MAX]
    transfer.save(update_fields=["status", "note"])
    _log(actor, transfer, before)
    _refresh_request(actor, transfer.request)
    _refresh_offer(actor, transfer.offer)
    _notify_step(actor, transfer, reason)
    return transfer
