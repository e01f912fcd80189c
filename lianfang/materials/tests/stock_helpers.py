"""Shared set-up for the stock tests: the default catalogue, a keeper, and movements posted directly."""

from __future__ import annotations

import datetime

from lianfang.materials import ledger
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import Item
from lianfang.org.models import Unit

DAY = datetime.date(2026, 3, 2)


def items() -> dict[str, Item]:
    ensure_default_items()  # a transactional test before this one may have flushed the migration's rows
    return {i.code: i for i in Item.objects.all()}


def put(unit: Unit, item: Item, kind: str, quantity, date: datetime.date = DAY, **extra):
    """Post one movement straight to the ledger (set-up, not through a service)."""
    (movement,) = ledger.post(
        actor=None,
        postings=[ledger.Posting(unit=unit, item=item, kind=kind, quantity=quantity, date=date, **extra)],
    )
    return movement
