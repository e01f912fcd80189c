"""Writes of money collections among units (募捐): the office opens a collection, each unit's gift is
recorded, and passing the money on is a money donation given, linked to the collection, never more
than was collected."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lianfang.core.audit import record_change
from lianfang.core.models import ChangeAction
from lianfang.core.scoping import Action
from lianfang.donations.choices import Direction, DonationKind
from lianfang.donations.models import Collection, Contribution, Donation
from lianfang.donations.selectors import collection_totals
from lianfang.donations.services.base import (
    _active_unit,
    _day,
    _insert_numbered,
    _not_future,
    _text,
    _within,
    clean_amount,
    yuan,
)
from lianfang.org.models import Unit
from lianfang.org.scoping import can, ensure_in_scope


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
