"""Every write of donations (捐赠), money collections among units (募捐) and the emergency fund
(应急专项资金).

* ``donation_record`` / ``donation_cancel``: goods and money, received from outside donors or
  given to hospitals, communities or the Red Cross. Goods post one ledger movement per line in the
  same transaction (``DONATION_IN`` / ``DONATION_OUT``); a donation is never edited, only cancelled,
  which posts the reverse movements.
* ``collection_open`` / ``contribution_record`` / ``collection_pass_on``: the office opens a
  collection, each unit's gift is recorded, and passing the money on is a money donation given,
  linked to the collection, never more than was collected.
* ``fund_open`` / ``fund_raise_budget`` / ``spending_request`` / ``spending_approve`` /
  ``spending_reject`` / ``spending_pay``: approval commits the amount under a lock on the fund row,
  paying moves it from committed to spent; the ``fund_never_overspent`` constraint backs the lock.

Refusals say why and who can act: ``PermissionDenied`` and ``ValidationError`` carry messages the
pages and the API show. Locks are always taken in the same order (fund or collection, then the
donation number, then stock rows) so concurrent writes queue instead of deadlocking.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.materials import ledger
from lianfang.materials.choices import Direction, DonationKind, MovementKind, SpendingStatus
from lianfang.materials.donation_selectors import approvers_of, collection_totals
from lianfang.materials.models import Collection, Contribution, Donation, DonationLine, Fund, Item, Spending
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.choices import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope

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


# --- donations ----------------------------------------------------------------------------------


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


# --- money collections among units --------------------------------------------------------------


@transaction.atomic
def collection_open(
    *,
    actor,
    organiser: Unit,
    name: str,
    recipient: str,
    opened_on: datetime.date,
    closed_on: datetime.date | None = None,
    note: str = "",
) -> Collection:
    """The office opens a collection among the units of ``organiser`` for ``recipient``."""
    if not can(actor, Action.ADD, Collection, organiser):
        raise PermissionDenied(
            _("You may not open a collection for %(unit)s: the group prevention office can.") % {"unit": organiser.name}
        )
    _active_unit(organiser, field="organiser")
    name = _text(
        name,
        field="name",
        limit=100,
        required_message=_("Name the collection, e.g. “Donations for the city Red Cross”."),
    )
    recipient = _text(
        recipient,
        field="recipient",
        limit=100,
        required_message=_("Say where the money goes, e.g. the city Red Cross."),
    )
    note = _text(note, field="note", limit=200)
    if closed_on is not None and closed_on < opened_on:
        raise ValidationError({"closed_on": _("The collection cannot close before it opens.")})
    collection = Collection.objects.create(
        organiser=organiser,
        name=name,
        recipient=recipient,
        opened_on=opened_on,
        closed_on=closed_on,
        note=note,
        created_by=actor,
    )
    record_change(actor=actor, obj=collection, action=ChangeAction.CREATE)
    ensure_in_scope(actor, collection, Action.ADD)
    return collection


def may_contribute(user, collection: Collection, unit: Unit) -> bool:
    return can(user, Action.ADD, Collection, unit) and _within(unit, collection.organiser)


@transaction.atomic
def contribution_record(
    *,
    actor,
    collection: Collection,
    unit: Unit,
    amount: Any,
    date: datetime.date,
    donors: int | None = None,
    note: str = "",
) -> Contribution:
    """Record what ``unit`` gave to ``collection`` (by the unit's liaison or the office)."""
    if not can(actor, Action.ADD, Collection, unit):
        raise PermissionDenied(
            _("You may not record what %(unit)s gave: its liaison or the group prevention office can.")
            % {"unit": unit.name}
        )
    collection = Collection.objects.select_for_update().select_related("organiser").get(pk=collection.pk)
    if not _within(unit, collection.organiser):
        raise ValidationError(
            {
                "unit": _("%(unit)s is not among the units of %(organiser)s, which organises this collection.")
                % {"unit": unit.name, "organiser": collection.organiser.name}
            }
        )
    _active_unit(unit)
    money = clean_amount(amount)
    _not_future(date)
    if date < collection.opened_on:
        raise ValidationError(
            {
                "date": _("The collection opened on %(date)s; choose that day or later.")
                % {"date": _day(collection.opened_on)}
            }
        )
    if collection.closed_on is not None and date > collection.closed_on:
        raise ValidationError(
            {
                "date": _("The collection closed on %(date)s; gifts after that are not part of it.")
                % {"date": _day(collection.closed_on)}
            }
        )
    if donors is not None and (isinstance(donors, bool) or not isinstance(donors, int) or donors < 1):
        raise ValidationError({"donors": _("Enter how many people gave, 1 or more, or leave it empty.")})
    note = _text(note, field="note", limit=200)
    contribution = Contribution.objects.create(
        collection=collection, unit=unit, amount=money, date=date, donors=donors, note=note, created_by=actor
    )
    record_change(actor=actor, obj=contribution, action=ChangeAction.CREATE)
    ensure_in_scope(actor, collection, Action.ADD)
    return contribution


@transaction.atomic
def collection_pass_on(
    *,
    actor,
    collection: Collection,
    amount: Any,
    date: datetime.date,
    recipient: str = "",
    receipt_no: str = "",
    note: str = "",
) -> Donation:
    """Pass collected money on: a money donation given by the organiser, linked to the collection.
    Never more than collected and not yet passed on (the collection row is locked meanwhile)."""
    if not can(actor, Action.CHANGE, Collection, collection.organiser):
        raise PermissionDenied(
            _("Only the organiser of the collection (the group prevention office) can pass its money on.")
        )
    collection = Collection.objects.select_for_update().select_related("organiser").get(pk=collection.pk)
    money = clean_amount(amount)
    totals = collection_totals(collection)
    if money > totals.left:
        raise ValidationError(
            {
                "amount": _(
                    "%(collection)s has collected %(collected)s, of which %(passed)s has been passed on: "
                    "at most %(left)s can be passed on now."
                )
                % {
                    "collection": collection.name,
                    "collected": yuan(totals.collected),
                    "passed": yuan(totals.passed_on),
                    "left": yuan(totals.left),
                }
            }
        )
    _not_future(date)
    if date < collection.opened_on:
        raise ValidationError(
            {
                "date": _("The collection opened on %(date)s; choose that day or later.")
                % {"date": _day(collection.opened_on)}
            }
        )
    recipient = _text(recipient, field="recipient", limit=100) or collection.recipient
    donation = Donation(
        direction=Direction.OUT,
        kind=DonationKind.MONEY,
        unit=collection.organiser,
        counterparty=recipient,
        date=date,
        amount=money,
        receipt_no=_text(receipt_no, field="receipt_no", limit=40),
        collection=collection,
        note=_text(note, field="note", limit=200),
        created_by=actor,
    )
    _insert_numbered(donation)
    record_change(actor=actor, obj=donation, action=ChangeAction.CREATE)
    ensure_in_scope(actor, collection, Action.CHANGE)
    return donation


# --- the emergency fund -------------------------------------------------------------------------


@transaction.atomic
def fund_open(*, actor, unit: Unit, name: str, budget: Any, opened_on: datetime.date, note: str = "") -> Fund:
    """The office opens an emergency fund (应急专项资金) for ``unit`` with a budget."""
    if not can(actor, Action.ADD, Fund, unit):
        raise PermissionDenied(
            _("You may not open an emergency fund for %(unit)s: the group prevention office can.") % {"unit": unit.name}
        )
    _active_unit(unit)
    name = _text(
        name, field="name", limit=100, required_message=_("Name the fund, e.g. “Epidemic emergency fund 2026”.")
    )
    money = clean_amount(budget, field="budget")
    fund = Fund.objects.create(
        unit=unit,
        name=name,
        budget=money,
        opened_on=opened_on,
        note=_text(note, field="note", limit=200),
        created_by=actor,
    )
    record_change(actor=actor, obj=fund, action=ChangeAction.CREATE)
    ensure_in_scope(actor, fund, Action.ADD)
    return fund


@transaction.atomic
def fund_raise_budget(*, actor, fund: Fund, increase: Any, reason: str) -> Fund:
    """Add ``increase`` yuan to the fund's budget (the reason is kept in the change log)."""
    if not can(actor, Action.CHANGE, Fund, fund.unit):
        raise PermissionDenied(
            _("You may not change the budget of %(fund)s: the group prevention office can.") % {"fund": fund.name}
        )
    money = clean_amount(increase, field="increase")
    reason = _text(reason, field="reason", limit=200, required_message=_("Say why the budget is raised."))
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    before = snapshot(fund)
    if fund.budget + money > MAX_AMOUNT:
        raise ValidationError({"increase": _("The amount is too large; check the number.")})
    Fund.objects.filter(pk=fund.pk).update(budget=F("budget") + money)
    fund.refresh_from_db()
    record_change(actor=actor, obj=fund, action=ChangeAction.UPDATE, before=before, extra_after={"reason": reason})
    ensure_in_scope(actor, fund, Action.CHANGE)
    return fund


@transaction.atomic
def spending_request(*, actor, fund: Fund, purpose: str, amount: Any, unit: Unit | None = None) -> Spending:
    """A unit asks to spend from the fund; the office is told and decides."""
    unit = unit or fund.unit
    if not Fund.objects.restrict(actor, Action.VIEW).filter(pk=fund.pk).exists():
        raise PermissionDenied(
            _("%(fund)s is not a fund of your units; ask its unit to request.") % {"fund": fund.name}
        )
    if not can(actor, Action.ADD, Spending, unit):
        raise PermissionDenied(
            _(
                "You may not request spending for %(unit)s: its liaison, its materials keeper or the group "
                "prevention office can."
            )
            % {"unit": unit.name}
        )
    if not _within(unit, fund.unit):
        raise ValidationError(
            {
                "unit": _("%(fund)s pays for %(unit)s and its sub-units only.")
                % {"fund": fund.name, "unit": fund.unit.name}
            }
        )
    purpose = _text(purpose, field="purpose", limit=200, required_message=_("Say what the money is for."))
    money = clean_amount(amount)
    spending = Spending.objects.create(fund=fund, unit=unit, purpose=purpose, amount=money, requested_by=actor)
    record_change(actor=actor, obj=spending, action=ChangeAction.CREATE)
    ensure_in_scope(actor, spending, Action.ADD)
    office = [u for u in approvers_of(unit) if u.pk != getattr(actor, "pk", None)]
    url = _url("materials:spending-detail", spending.pk)
    transaction.on_commit(
        lambda: message_send(
            recipients=office,
            kind=MessageKind.SPENDING,
            title=_("Spending request from %(unit)s: %(amount)s") % {"unit": unit.name, "amount": yuan(money)},
            body=_("%(purpose)s. The balance of %(fund)s is %(balance)s.")
            % {"purpose": purpose, "fund": fund.name, "balance": yuan(fund.balance)},
            url=url,
        )
    )
    return spending


def may_approve(user, spending: Spending) -> bool:
    return can(user, Action.APPROVE, Spending, spending.unit)


def _ensure_may_decide(actor, spending: Spending) -> None:
    if not may_approve(actor, spending):
        raise PermissionDenied(
            _(
                "Deciding on spending from the emergency fund needs the approve right on %(unit)s or a unit "
                "above it: the group prevention office decides."
            )
            % {"unit": spending.unit.name}
        )


def _lock(spending: Spending) -> tuple[Fund, Spending]:
    """The fund row, then the spending row: the same order for every writer."""
    fund = Fund.objects.select_for_update().get(pk=spending.fund_id)
    locked = Spending.objects.select_for_update().select_related("unit").get(pk=spending.pk)
    locked.fund = fund
    return fund, locked


def _ensure_requested(spending: Spending) -> None:
    if spending.status != SpendingStatus.REQUESTED:
        raise ValidationError(
            _("This request was already decided: it is %(status)s.") % {"status": spending.get_status_display().lower()}
        )


def _tell_requester(spending: Spending, title: str, body: str = "") -> None:
    if spending.requested_by_id is None:
        return
    recipients = [spending.requested_by_id]
    url = _url("materials:spending-detail", spending.pk)
    transaction.on_commit(
        lambda: message_send(recipients=recipients, kind=MessageKind.SPENDING, title=title, body=body, url=url)
    )


@transaction.atomic
def spending_approve(*, actor, spending: Spending, note: str = "") -> Spending:
    """Approve a request: its amount is committed from the fund's balance, never beyond it."""
    _ensure_may_decide(actor, spending)
    fund, spending = _lock(spending)
    _ensure_requested(spending)
    note = _text(note, field="note", limit=200)
    if spending.amount > fund.balance:
        raise ValidationError(
            {
                "amount": _(
                    "Approving %(amount)s would overspend %(fund)s: its balance is %(balance)s. Reject the request, "
                    "or raise the budget first."
                )
                % {"amount": yuan(spending.amount), "fund": fund.name, "balance": yuan(fund.balance)}
            }
        )
    before = snapshot(spending)
    Fund.objects.filter(pk=fund.pk).update(committed=F("committed") + spending.amount)
    spending.status = SpendingStatus.APPROVED
    spending.decided = timezone.now()
    spending.decided_by = actor
    spending.decision_note = note
    spending.save(update_fields=["status", "decided", "decided_by", "decision_note"])
    record_change(actor=actor, obj=spending, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, spending, Action.APPROVE)
    _tell_requester(
        spending,
        _("Spending approved: %(amount)s for %(purpose)s")
        % {"amount": yuan(spending.amount), "purpose": spending.purpose},
        note,
    )
    return spending


@transaction.atomic
def spending_reject(*, actor, spending: Spending, note: str) -> Spending:
    """Reject a request, saying why; nothing is committed."""
    _ensure_may_decide(actor, spending)
    _fund, spending = _lock(spending)
    _ensure_requested(spending)
    note = _text(
        note, field="note", limit=200, required_message=_("Say why the request is rejected; the requester reads it.")
    )
    before = snapshot(spending)
    spending.status = SpendingStatus.REJECTED
    spending.decided = timezone.now()
    spending.decided_by = actor
    spending.decision_note = note
    spending.save(update_fields=["status", "decided", "decided_by", "decision_note"])
    record_change(actor=actor, obj=spending, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, spending, Action.APPROVE)
    _tell_requester(
        spending,
        _("Spending rejected: %(amount)s for %(purpose)s")
        % {"amount": yuan(spending.amount), "purpose": spending.purpose},
        note,
    )
    return spending


@transaction.atomic
def spending_pay(*, actor, spending: Spending, voucher_no: str, paid_on: datetime.date) -> Spending:
    """Record the payment of approved spending with its voucher: committed becomes spent."""
    if not can(actor, Action.CHANGE, Spending, spending.unit):
        raise PermissionDenied(
            _("Recording payments from the emergency fund of %(unit)s is for the group prevention office.")
            % {"unit": spending.unit.name}
        )
    _fund, spending = _lock(spending)
    if spending.status == SpendingStatus.REQUESTED:
        raise ValidationError(_("This request has not been approved yet: it is paid only after approval."))
    if spending.status == SpendingStatus.REJECTED:
        raise ValidationError(_("This request was rejected: a rejected request is not paid."))
    if spending.status == SpendingStatus.PAID:
        raise ValidationError(
            _("This spending was already paid on %(date)s with voucher %(voucher)s.")
            % {"date": _day(spending.paid_on) if spending.paid_on else "—", "voucher": spending.voucher_no}
        )
    voucher_no = _text(
        voucher_no, field="voucher_no", limit=40, required_message=_("Enter the voucher number of the payment.")
    )
    _not_future(paid_on, field="paid_on")
    if spending.decided is not None and paid_on < timezone.localdate(spending.decided):
        raise ValidationError(
            {
                "paid_on": _("It was approved on %(date)s; the payment cannot be earlier.")
                % {"date": _day(timezone.localdate(spending.decided))}
            }
        )
    before = snapshot(spending)
    Fund.objects.filter(pk=spending.fund_id).update(
        committed=F("committed") - spending.amount, spent=F("spent") + spending.amount
    )
    spending.status = SpendingStatus.PAID
    spending.voucher_no = voucher_no
    spending.paid_on = paid_on
    spending.save(update_fields=["status", "voucher_no", "paid_on"])
    record_change(actor=actor, obj=spending, action=ChangeAction.UPDATE, before=before)
    ensure_in_scope(actor, spending, Action.CHANGE)
    _tell_requester(
        spending,
        _("Spending paid: %(amount)s for %(purpose)s") % {"amount": yuan(spending.amount), "purpose": spending.purpose},
        _("Voucher %(voucher)s, paid on %(date)s.") % {"voucher": voucher_no, "date": _day(paid_on)},
    )
    return spending
