"""Writes of the emergency fund (应急专项资金): open a fund, raise its budget, request spending; the
office approves (the amount is committed under a lock on the fund row, never beyond the balance),
rejects, and records the payment with its voucher."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change, snapshot
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.donations.choices import SpendingStatus
from lianfang.donations.models import Fund, Spending
from lianfang.donations.selectors import approvers_of
from lianfang.donations.services.base import (
    MAX_AMOUNT,
    _active_unit,
    _day,
    _not_future,
    _text,
    _url,
    _within,
    clean_amount,
    yuan,
)
from lianfang.notify.choices import MessageKind
from lianfang.notify.services import message_send
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope


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
