"""Burn rate and days of supply (可用天数) of each unit and item, computed set-based.

:func:`supply_table` is the one place these figures come from: the stock report, the low-stock
alerts, the API and the group rebalancing all read it. For every (unit, item) it gives a
:class:`SupplyRow`.

How the figures are made, for a window of ``window_days`` days ending on ``as_of`` (inclusive):

* **Use on a day** is what was issued for use that day (``ISSUE`` movements). Where the unit also
  counted the item the day before (日清单), the day's stock-take adjustment counts too: a shortfall
  found by the count was used (or lost) without being issued, an excess means less was used. With
  a count at the end of each day this is exactly *yesterday's count + received − today's count*
  (transfers and donations given away are not use), read from the ledger instead of re-adding the
  counts. A first count, with no count the day before, is not use: it only corrects the books.
* **Daily use** is the use over the window divided by its days, never below zero.
* **Where history is shorter than the window** (the unit's first movement of the item is less
  than ``window_days`` days before ``as_of``, or there is none), daily use is the *forecast*
  ``front-line headcount × item.daily_use_per_person`` and ``forecast_used`` is true; when there
  is no forecast to make (no front-line people, or an item with no per-person use) the observed
  use is averaged over the days of history there are.
* **Front-line headcount** is the number of active people in the unit's subtree tagged front line
  (一线, tag code ``front-line``).
* **Days of supply** is on hand ÷ daily use, ``None`` when nothing is used.
* **In transit** is what was shipped to the unit and not yet received (transfer lines of transfers
  shipped or partly received); it is not counted in days of supply.
* Threshold and target days are the unit's own (on its :class:`Stock` row) or else the item's.

Which (unit, item) pairs appear: every :class:`Stock` row (a unit that ever had the item), every
pair with stock in transit to the unit, and — so that a unit with front-line people that nothing
supplies shows as short — every unit with front-line people of its own (directly in it) × every item
with a per-person use of which neither the unit nor any unit above it keeps a store (a site served
by its company's store is covered by it, and its people count in the company's forecast).
``unit_ids`` and ``item_ids`` narrow all of these.

Cost: one query each for items, stock rows, the window's use, adjustments confirmed by a count,
transfers in transit, front-line people and unit paths; no query per row.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Sum
from django.utils import timezone

from lianfang.materials.choices import MovementKind, TransferStatus
from lianfang.materials.models import Item, Movement, Stock, StockTakeLine, TransferLine
from lianfang.org.models import Unit

FRONT_LINE_TAG = "front-line"
LOW_DAYS = 3  # days of supply under which a unit is alerted even above its threshold
ZERO = Decimal(0)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


class SupplyRow(NamedTuple):
    """One unit's supply of one item. Quantities are in the item's measure.

    (A named tuple rather than a dataclass: the whole group's report makes 20,000 of them, and a
    tuple is made several times faster.)
    """

    on_hand: Decimal
    in_transit_in: Decimal
    daily_use: Decimal
    days_of_supply: Decimal | None
    target_days: int
    threshold: Decimal
    front_line_headcount: int
    forecast_used: bool
    level: str = "ok"
    """``low`` (below the threshold, or under :data:`LOW_DAYS` days: worth an alert), ``short`` (below
    the target days) or ``ok``; worked out once by :func:`supply_table`."""

    @property
    def below_threshold(self) -> bool:
        return self.threshold > 0 and self.on_hand < self.threshold

    @property
    def below_target(self) -> bool:
        return self.days_of_supply is not None and self.days_of_supply < self.target_days

    @property
    def running_out(self) -> bool:
        """Below the threshold, or fewer than :data:`LOW_DAYS` days left: worth an alert."""
        return self.level == "low"


def _in(qs, field: str, ids: Iterable[int] | None):
    return qs if ids is None else qs.filter(**{f"{field}__in": list(ids)})


def front_line_headcounts(unit_paths: dict[int, str]) -> tuple[dict[int, int], dict[int, int]]:
    """(subtree headcount, own headcount) of active front-line people, for the units given as
    ``{unit id: path}``: one grouped query, then every count added to its unit's ancestors."""
    from lianfang.people.choices import EmploymentStatus
    from lianfang.people.models import Person

    per_path = (
        Person.objects.filter(employment_status=EmploymentStatus.ACTIVE, tags__code=FRONT_LINE_TAG)
        .order_by()
        .values_list("unit__path")
        .annotate(n=Count("pk"))
        .values_list("unit__path", "n")
    )
    steplen = Unit.steplen
    subtree: dict[str, int] = defaultdict(int)
    own: dict[str, int] = {}
    for path, n in per_path:
        own[path] = n
        for end in range(steplen, len(path) + 1, steplen):
            subtree[path[:end]] += n
    return (
        {pk: subtree.get(path, 0) for pk, path in unit_paths.items()},
        {pk: own.get(path, 0) for pk, path in unit_paths.items()},
    )


def _front_line_without_a_store(
    own_headcount: dict[int, int],
    paths: dict[int, str],
    stocks: dict[tuple[int, int], tuple],
    forecast_items: list[int],
    *,
    all_units: bool,
) -> set[tuple[int, int]]:
    """(unit, item) pairs of units with front-line people of their own that nothing supplies: neither
    the unit nor any unit above it keeps a store of the item (a :class:`Stock` row). A heat station
    served by its company's store is covered by it; one whose company keeps no masks is short."""
    steplen = Unit.steplen
    wanted = {u: paths[u] for u, n in own_headcount.items() if n and paths.get(u)}
    if not wanted or not forecast_items:
        return set()
    stored: dict[str, set[int]] = defaultdict(set)  # unit path → the items it keeps a store of
    for u, i in stocks:
        if paths.get(u):
            stored[paths[u]].add(i)
    if not all_units:  # the stores above the asked units were not read with them
        above = {p[:end] for p in wanted.values() for end in range(steplen, len(p), steplen)}
        for path, i in Stock.objects.filter(unit__path__in=above).order_by().values_list("unit__path", "item_id"):
            stored[path].add(i)
    wanted_items = set(forecast_items)
    pairs: set[tuple[int, int]] = set()
    for u, path in wanted.items():
        covered: set[int] = set()
        for end in range(steplen, len(path) + 1, steplen):  # the unit and every unit above it
            covered |= stored.get(path[:end], set())
        pairs.update((u, i) for i in wanted_items - covered)
    return pairs


def supply_table(
    *,
    unit_ids: Iterable[int] | None = None,
    item_ids: Iterable[int] | None = None,
    as_of: datetime.date | None = None,
    window_days: int = 7,
) -> dict[tuple[int, int], SupplyRow]:
    """Supply of each (unit id, item id): on hand, in transit, daily use, days of supply, levels.

    ``unit_ids`` / ``item_ids`` limit the units and items (None: all units, all active items);
    ``as_of`` is the last day of the window (default today in the group's time zone). Not scoped:
    callers pass the units the viewer may see.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    as_of = as_of or timezone.localdate()
    start = as_of - datetime.timedelta(days=window_days - 1)
    unit_ids = None if unit_ids is None else set(unit_ids)
    item_ids = None if item_ids is None else set(item_ids)

    items_qs = Item.objects.all() if item_ids is not None else Item.objects.filter(is_active=True)
    items = {
        pk: (threshold, target, per_person)
        for pk, threshold, target, per_person in _in(items_qs, "pk", item_ids).values_list(
            "pk", "reorder_threshold", "target_days", "daily_use_per_person"
        )
    }
    if not items:
        return {}
    item_filter = list(items)

    stocks = {
        (u, i): (on_hand, threshold, target, first)
        for u, i, on_hand, threshold, target, first in _in(
            Stock.objects.filter(item_id__in=item_filter), "unit_id", unit_ids
        ).values_list("unit_id", "item_id", "on_hand", "reorder_threshold", "target_days", "first_movement_on")
    }

    window = _in(
        Movement.objects.filter(item_id__in=item_filter, date__gte=start, date__lte=as_of), "unit_id", unit_ids
    )
    used: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    issued = (
        window.filter(kind=MovementKind.ISSUE)
        .order_by()
        .values_list("unit_id", "item_id")
        .annotate(q=Sum("quantity"))
        .values_list("unit_id", "item_id", "q")
    )
    for u, i, q in issued:
        used[(u, i)] -= q  # issues are negative movements
    # Adjustments are few; only those confirmed by a count the day before are use (see above). Two
    # queries, not one CASE over both kinds: PostgreSQL then runs the EXISTS for every row scanned.
    counted_day_before = StockTakeLine.objects.filter(
        stocktake__unit_id=OuterRef("unit_id"),
        stocktake__date=OuterRef("date") - datetime.timedelta(days=1),
        item_id=OuterRef("item_id"),
    )
    adjusted = (
        window.filter(kind=MovementKind.ADJUSTMENT)
        .filter(Exists(counted_day_before))
        .order_by()
        .values_list("unit_id", "item_id")
        .annotate(q=Sum("quantity"))
        .values_list("unit_id", "item_id", "q")
    )
    for u, i, q in adjusted:
        used[(u, i)] -= q  # a shortfall found by the count (negative adjustment) was used

    transit_qs = TransferLine.objects.filter(
        transfer__status__in=[TransferStatus.SHIPPED, TransferStatus.PARTLY_RECEIVED], item_id__in=item_filter
    )
    in_transit = {
        (u, i): q
        for u, i, q in _in(transit_qs, "transfer__to_unit_id", unit_ids)
        .order_by()
        .values_list("transfer__to_unit_id", "item_id")
        .annotate(q=Sum(F("shipped") - F("received")))
        .values_list("transfer__to_unit_id", "item_id", "q")
        if q
    }

    units_qs = Unit.objects.filter(is_active=True) if unit_ids is None else Unit.objects.filter(pk__in=unit_ids)
    paths = dict(units_qs.order_by().values_list("pk", "path"))
    for u, _i in [*stocks, *in_transit]:
        if u not in paths:  # an inactive unit that still holds stock
            paths[u] = ""
    missing = [u for u, p in paths.items() if not p]
    if missing:
        paths.update(Unit.objects.filter(pk__in=missing).order_by().values_list("pk", "path"))
    headcount, own_headcount = front_line_headcounts(paths)

    keys = set(stocks) | set(in_transit)
    forecast_items = [i for i, (_t, _d, per_person) in items.items() if per_person > 0]
    uncovered = _front_line_without_a_store(own_headcount, paths, stocks, forecast_items, all_units=unit_ids is None)
    keys.update(uncovered)

    table: dict[tuple[int, int], SupplyRow] = {}
    for key in keys:
        u, i = key
        item_threshold, item_target, per_person = items[i]
        on_hand, threshold, target, first = stocks.get(key, (ZERO, None, None, None))
        history = (as_of - first).days + 1 if first is not None and first <= as_of else 0
        observed = max(used.get(key, ZERO), ZERO)
        heads = headcount.get(u, 0)
        forecast_used = False
        if history >= window_days:
            daily_use = observed / window_days
        else:
            forecast = heads * per_person
            if forecast > 0:
                daily_use, forecast_used = forecast, True
            elif history > 0:
                daily_use = observed / history
            else:
                daily_use = ZERO
        daily_use = daily_use.quantize(CENT, rounding=ROUND_HALF_UP)
        days = (on_hand / daily_use).quantize(TENTH, rounding=ROUND_HALF_UP) if daily_use > 0 else None
        if target is None:
            target = item_target
        if threshold is None:
            threshold = item_threshold
        if (threshold > 0 and on_hand < threshold) or (days is not None and days < LOW_DAYS):
            level = "low"
        elif days is not None and days < target:
            level = "short"
        else:
            level = "ok"
        table[key] = SupplyRow(
            on_hand, in_transit.get(key, ZERO), daily_use, days, target, threshold, heads, forecast_used, level
        )
    return table
