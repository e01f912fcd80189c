"""Reads of the stock part of materials: the catalogue, movements, a unit's ledger, stock-takes and
the stock report with days of supply. Everything that reaches a user is restricted to the viewer's
scope (``restrict`` / ``units_where``); the catalogue is group-wide and read by every role that may
see materials.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, overload

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from lianfang.core.scoping import Action
from lianfang.materials.models import Item, Movement, Stock, StockTake
from lianfang.materials.supply import SupplyRow, supply_table
from lianfang.org.models import Unit
from lianfang.org.scoping import allowed_paths, has_any, units_where

ITEM = "materials.item"
STOCK = "materials.stock"


def item_list(*, viewer, include_inactive: bool = False) -> QuerySet[Item]:
    """The catalogue, for whoever may see materials anywhere; nobody else."""
    if not has_any(viewer, ITEM, Action.VIEW):
        return Item.objects.none()
    qs = Item.objects.all()
    return qs if include_inactive else qs.filter(is_active=True)


def stock_units(*, viewer, action: str = Action.VIEW) -> QuerySet[Unit]:
    """Units whose stock the viewer may ``action``: the choices of the report's unit filter."""
    return units_where(viewer, Stock, action)


def movement_units(*, viewer, action: str = Action.VIEW) -> QuerySet[Unit]:
    return units_where(viewer, Movement, action)


def stocktake_units(*, viewer, action: str = Action.VIEW) -> QuerySet[Unit]:
    return units_where(viewer, StockTake, action)


def movement_list(
    *,
    viewer,
    unit: Unit | None = None,
    item: Item | None = None,
    kind: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Movement]:
    """Movements in scope, newest first; ``unit`` includes its sub-units."""
    qs = Movement.objects.restrict(viewer, Action.VIEW).select_related("unit", "item", "created_by")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    if item is not None:
        qs = qs.filter(item=item)
    if kind:
        qs = qs.filter(kind=kind)
    if date_from is not None:
        qs = qs.filter(date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("-date", "-pk")


def unit_ledger(*, viewer, unit: Unit, item: Item) -> QuerySet[Movement]:
    """One unit's movements of one item in the order they were posted, each with the balance after
    it: a bank statement. (The unit itself only, not its sub-units: each keeps its own books.)"""
    return (
        Movement.objects.restrict(viewer, Action.VIEW)
        .filter(unit=unit, item=item)
        .select_related("created_by")
        .order_by("pk")
    )


def stocktake_list(*, viewer, unit: Unit | None = None) -> QuerySet[StockTake]:
    qs = StockTake.objects.restrict(viewer, Action.VIEW).select_related("unit", "created_by")
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs.order_by("-date", "unit__path")


def stocktake_lines(stocktake: StockTake):
    return stocktake.lines.select_related("item", "movement").order_by("item__sort", "item__code")


# --- the stock report ---------------------------------------------------------------------------


class ReportUnit(NamedTuple):
    pk: int
    path: str
    code: str
    name: str
    depth: int


class StockReportRow(NamedTuple):
    """One unit's stock of one item, its days of supply, and the total of the unit's subtree."""

    unit: ReportUnit
    item: Item
    supply: SupplyRow
    subtree_on_hand: Decimal


@dataclass(frozen=True)
class ItemTotal:
    item: Item
    on_hand: Decimal
    in_transit_in: Decimal
    daily_use: Decimal
    low: int
    short: int


@dataclass(frozen=True)
class StockReport:
    as_of: datetime.date
    rows: Sequence[StockReportRow]
    totals: list[ItemTotal]


class _Rows(Sequence[StockReportRow]):
    """The report's rows in order, each built when it is read: the page shows 100 of the group's
    20,000, and building only those keeps the whole-group report fast."""

    def __init__(self, keys: list[tuple[int, int]], build: Callable[[tuple[int, int]], StockReportRow]) -> None:
        self._keys = keys
        self._build = build

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> StockReportRow: ...

    @overload
    def __getitem__(self, index: slice) -> list[StockReportRow]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._build(key) for key in self._keys[index]]
        return self._build(self._keys[index])


def _scope_unit_ids(viewer, root: Unit | None) -> list[int] | None:
    """Ids of the units in the viewer's stock scope (under ``root``), or None for every unit."""
    whole_group = getattr(viewer, "is_superuser", False) or any(
        len(p) == Unit.steplen for p in allowed_paths(viewer, STOCK, Action.VIEW)
    )
    if whole_group and root is None:
        return None
    qs = stock_units(viewer=viewer)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return list(qs.order_by().values_list("pk", flat=True))


def stock_report(
    *,
    viewer,
    unit: Unit | None = None,
    item: Item | None = None,
    as_of: datetime.date | None = None,
    only_short: bool = False,
    below_threshold: bool = False,
) -> StockReport:
    """Stock by unit and item in the viewer's scope (``unit``: that subtree) with days of supply and
    subtree totals, in tree order. ``only_short`` keeps the rows below threshold or target;
    ``below_threshold`` those below their reorder threshold (the home page's low-stock to-do)."""
    as_of = as_of or timezone.localdate()
    if not has_any(viewer, STOCK, Action.VIEW):
        return StockReport(as_of=as_of, rows=[], totals=[])
    unit_ids = _scope_unit_ids(viewer, unit)
    if unit_ids == []:
        return StockReport(as_of=as_of, rows=[], totals=[])
    items = {i.pk: i for i in (Item.objects.filter(pk=item.pk) if item else Item.objects.filter(is_active=True))}
    table = supply_table(unit_ids=unit_ids, item_ids=list(items), as_of=as_of)
    wanted = {u for u, _i in table}
    # Thousands of ids in an IN list cost more to send than reading every unit once.
    units_qs = Unit.objects.filter(pk__in=wanted) if len(wanted) < 300 else Unit.objects.all()
    units = {
        pk: ReportUnit(pk, path, code, short or name, depth)
        for pk, path, code, name, short, depth in units_qs.order_by("path").values_list(
            "pk", "path", "code", "name", "short_name", "depth"
        )
        if pk in wanted
    }
    # Tree order of units and catalogue order of items as integers: sorting 20,000 rows by an int
    # is several times faster than by (path, sort, code).
    unit_order = {pk: n for n, pk in enumerate(units)}
    item_list_sorted = sorted(items.values(), key=lambda i: (i.sort, i.code))
    item_order = {it.pk: n for n, it in enumerate(item_list_sorted)}
    width = len(item_order)

    # Subtree totals: each row's on hand added to its unit and every ancestor that is in the table.
    by_path = {u.path: u.pk for u in units.values()}
    ancestors = {
        u.pk: [
            by_path[u.path[:end]]
            for end in range(Unit.steplen, len(u.path) + 1, Unit.steplen)
            if u.path[:end] in by_path
        ]
        for u in units.values()
    }
    subtree: dict[int, list[Decimal]] = {pk: [Decimal(0)] * width for pk in units}
    for (u, i), row in table.items():
        column = item_order[i]
        for anc in ancestors[u]:
            subtree[anc][column] += row.on_hand

    keys = sorted(table, key=lambda k: unit_order[k[0]] * width + item_order[k[1]])

    # Totals per item, in one pass; each row's level is computed once.
    sums: dict[int, list] = {}
    short_keys: list[tuple[int, int]] = []
    for key in keys:
        s = table[key]
        level = s.level
        acc = sums.get(key[1])
        if acc is None:
            acc = sums[key[1]] = [Decimal(0), Decimal(0), Decimal(0), 0, 0]
        acc[0] += s.on_hand
        acc[1] += s.in_transit_in
        acc[2] += s.daily_use
        if level == "low":
            acc[3] += 1
        elif level == "short":
            acc[4] += 1
        if level != "ok":
            short_keys.append(key)
    totals = [
        ItemTotal(item=it, on_hand=a[0], in_transit_in=a[1], daily_use=a[2], low=a[3], short=a[4])
        for it in item_list_sorted
        if (a := sums.get(it.pk)) is not None
    ]

    def build(key: tuple[int, int]) -> StockReportRow:
        u, i = key
        return StockReportRow(units[u], items[i], table[key], subtree[u][item_order[i]])

    shown = short_keys if only_short else keys
    if below_threshold:
        shown = [key for key in shown if table[key].below_threshold]
    return StockReport(as_of=as_of, rows=_Rows(shown, build), totals=totals)


def below_threshold_count(*, viewer) -> int:
    """How many (unit, item) stocks in the viewer's scope are below their reorder threshold (the unit's
    own, else the catalogue's): one query on the balances, no movement read."""
    if not has_any(viewer, STOCK, Action.VIEW):
        return 0
    own = Q(reorder_threshold__isnull=False, on_hand__lt=F("reorder_threshold"))
    catalogue = Q(
        reorder_threshold__isnull=True, item__reorder_threshold__gt=0, on_hand__lt=F("item__reorder_threshold")
    )
    return (
        Stock.objects.restrict(viewer, Action.VIEW)
        .filter(item__is_active=True, unit__is_active=True)
        .filter(own | catalogue)
        .count()
    )


def stock_row(*, viewer, unit: Unit, item: Item, as_of: datetime.date | None = None) -> SupplyRow | None:
    """One unit's supply of one item (the ledger page's header), if the viewer may see its stock."""
    if not units_where(viewer, Stock, Action.VIEW).filter(pk=unit.pk).exists():
        return None
    return supply_table(unit_ids=[unit.pk], item_ids=[item.pk], as_of=as_of).get((unit.pk, item.pk))
