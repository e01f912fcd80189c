"""Shared set-up for the transfer tests: the catalogue, a keeper on each side, the office, stock."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from lianfang.core.models import ObjectChange
from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import (
    Item,
    MaterialRequest,
    Movement,
    Offer,
    RebalanceProposal,
    Stock,
    Transfer,
    TransferLine,
    TransferReceipt,
)
from lianfang.notify.models import Message
from lianfang.org.choices import Role
from lianfang.org.models import Unit
from lianfang.testing import Tree, user_with_role

DAY = datetime.date(2026, 3, 2)


def items() -> dict[str, Item]:
    ensure_default_items()
    return {i.code: i for i in Item.objects.all()}


def stock(unit: Unit, item: Item, quantity, date: datetime.date = DAY) -> None:
    ledger.post(
        actor=None,
        postings=[
            ledger.Posting(unit=unit, item=item, kind=MovementKind.PURCHASE, quantity=Decimal(quantity), date=date)
        ],
    )


def on_hand(unit: Unit, item: Item) -> Decimal:
    return Stock.objects.filter(unit=unit, item=item).values_list("on_hand", flat=True).first() or Decimal(0)


@dataclass
class People:
    office: object
    keeper_a1: object
    keeper_b1: object
    liaison_a1: object


def people(tree: Tree) -> People:
    return People(
        office=user_with_role(Role.GROUP_ADMIN, tree.group, "office"),
        keeper_a1=user_with_role(Role.MATERIALS_KEEPER, tree.a1, "keeper-a1"),
        keeper_b1=user_with_role(Role.MATERIALS_KEEPER, tree.b1, "keeper-b1"),
        liaison_a1=user_with_role(Role.UNIT_ADMIN, tree.a1, "liaison-a1"),
    )


def state() -> tuple:
    """Everything a refused write must leave as it was."""
    return (
        list(MaterialRequest.objects.order_by("pk").values()),
        list(Offer.objects.order_by("pk").values()),
        list(Transfer.objects.order_by("pk").values()),
        list(TransferLine.objects.order_by("pk").values()),
        list(TransferReceipt.objects.order_by("pk").values()),
        list(RebalanceProposal.objects.order_by("pk").values()),
        list(Stock.objects.order_by("pk").values("pk", "on_hand")),
        Movement.objects.count(),
        ObjectChange.objects.count(),
        Message.objects.count(),
    )
