"""Shared set-up for the donation, collection and fund tests: the catalogue, the office, a keeper,
a liaison and stock put straight on the ledger."""

from __future__ import annotations

import datetime
from decimal import Decimal

from lianfang.materials import ledger
from lianfang.materials.choices import MovementKind
from lianfang.materials.defaults import ensure_default_items
from lianfang.materials.models import Item, Stock
from lianfang.org.models import Unit

DAY = datetime.date(2026, 3, 2)
SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 3, 2, 10, tzinfo=SHANGHAI)


def items() -> dict[str, Item]:
    ensure_default_items()  # a transactional test before this one may have flushed the migration's rows
    return {i.code: i for i in Item.objects.all()}


def stock_in(unit: Unit, item: Item, quantity, date: datetime.date = DAY) -> None:
    """Put stock on a unit's shelf (a purchase), for set-up."""
    ledger.post(
        actor=None,
        postings=[
            ledger.Posting(unit=unit, item=item, kind=MovementKind.PURCHASE, quantity=Decimal(quantity), date=date)
        ],
    )


def on_hand(unit: Unit, item: Item) -> Decimal:
    row = Stock.objects.filter(unit=unit, item=item).first()
    return row.on_hand if row else Decimal(0)
