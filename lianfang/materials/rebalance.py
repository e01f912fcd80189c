"""Group rebalancing (物资统筹调配): which unit should send what to whom so that every unit's days
of supply come as close as possible to its target, front-line units first, in a limited number of
shipments.

This module is the solver: a pure function over plain numbers (:func:`solve`), with no database,
so it is tested on hand-checked cases and benchmarked on its own. The proposal service
(:mod:`lianfang.materials.services.transfers`) feeds it the supply table and writes the result as a
:class:`~lianfang.materials.models.RebalanceProposal`. Why HiGHS through SciPy: docs/adr/0007.

The model, per item:

* A unit's *level* is what it has on hand plus what is already on its way to it; its *target* is
  ``target_days × daily_use``. A unit above target may give the part above target (and never more
  than it has on hand): a donor is never left below its own target. A unit below target may
  receive up to its shortfall. Units with no daily use neither give nor receive: without a burn
  rate nobody can say whether their stock is surplus.
* The shortfall is cut into four quarters of the target. A piece that fills the lowest quarter is
  worth 8, the next 4, then 2, then 1 (``QUARTER_VALUES``), so the solver first lifts every unit to
  a quarter of its target, then to half, and so on: the worst-off units are served first, whatever
  their size. A front-line unit's pieces are worth ``front_line_weight`` times more (default 10,
  more than the whole range of quarters: the front line is served first, as seed 001 asks).
* An item with a pack size (masks 50 to a box) moves in whole packs: the solver counts it in packs,
  a donor's surplus rounded down and a receiver's shortfall rounded up to whole packs, so nobody
  has to open a box to ship it.
* Pieces travel along the unit tree; each step between a unit and its parent costs a tiny amount
  (``STEP_COST``), far below any value above. It only breaks ties: between two equally good donors,
  the nearer one (the same subsidiary) is chosen.

Without a limit on shipments this is a linear program on the tree (a min-cost flow), solved exactly
per item with HiGHS; its flows are split into donor → receiver pairs, matched inside the smallest
subtree that holds both. A *shipment* is one transfer note from one unit to another, with one line
per item. When the pairs exceed ``max_shipments``:

* small problems (up to ``EXACT_PAIR_LIMIT`` candidate pairs) are solved exactly as a mixed-integer
  program over all items at once, one yes/no variable per pair (HiGHS branch and bound);
* larger ones keep the most valuable pairs and re-optimise the quantities over them with one LP
  (all items together), replacing pairs that end up empty, a few rounds. Not provably optimal,
  but each round is one LP and the result never ships to more pairs than allowed.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, sparse

QUARTER_VALUES = (8.0, 4.0, 2.0, 1.0)  # value of a piece filling the lowest, second, third, top quarter
FRONT_LINE_WEIGHT = 10.0
STEP_COST = 1e-4  # per piece per step along the unit tree
SHIPMENT_COST = 1e-2  # per shipment in the exact program: fewer notes when the value is the same
EXACT_PAIR_LIMIT = 400
FIX_ROUNDS = 3
EPS = 1e-6


@dataclass(frozen=True)
class Position:
    """One unit's supply of one item, as the supply table gives it."""

    unit: int
    item: int
    on_hand: float
    daily_use: float
    target_days: float
    in_transit_in: float = 0.0
    front_line: bool = False
    whole: bool = True  # counted in pieces, pairs, sets…: whole numbers only
    pack: int = 1  # how many to a pack or box: quantities move in whole packs when above 1


@dataclass(frozen=True)
class Move:
    from_unit: int
    to_unit: int
    item: int
    quantity: float


@dataclass
class Plan:
    moves: list[Move]
    method: str  # "none", "lp", "milp" or "lp-fix"
    value: float  # the value of what is received (quarters × weights), for comparing plans
    seconds: float
    candidate_pairs: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def shipments(self) -> int:
        return len({(m.from_unit, m.to_unit) for m in self.moves})

    def by_shipment(self) -> dict[tuple[int, int], list[Move]]:
        grouped: dict[tuple[int, int], list[Move]] = defaultdict(list)
        for m in self.moves:
            grouped[(m.from_unit, m.to_unit)].append(m)
        return dict(grouped)


# --- the pieces of one item ---------------------------------------------------------------------


def _floor(x: float, whole: bool) -> float:
    return math.floor(x + EPS) if whole else math.floor(x * 100 + EPS) / 100


def _ceil(x: float, whole: bool) -> float:
    return math.ceil(x - EPS) if whole else math.ceil(x * 100 - EPS) / 100


@dataclass
class _Receiver:
    unit: int
    need: float
    segments: list[tuple[float, float]]  # (quantity, value per piece), most valuable first

    def value_of(self, quantity: float) -> float:
        total, left = 0.0, quantity
        for cap, value in self.segments:
            take = min(cap, left)
            total += take * value
            left -= take
            if left <= EPS:
                break
        return total


def surplus_of(p: Position) -> float:
    """What a unit may give without falling below its target (never more than it has on hand)."""
    if p.daily_use <= 0:
        return 0.0
    level = p.on_hand + p.in_transit_in
    return max(0.0, _floor(min(p.on_hand, level - p.target_days * p.daily_use), p.whole))


def _receiver(p: Position, front_line_weight: float) -> _Receiver | None:
    if p.daily_use <= 0 or p.target_days <= 0:
        return None
    target = p.target_days * p.daily_use
    level = p.on_hand + p.in_transit_in
    if level >= target - EPS:
        return None
    weight = front_line_weight if p.front_line else 1.0
    quarters = len(QUARTER_VALUES)
    bounds = [_ceil(target * k / quarters, p.whole) for k in range(quarters + 1)]
    # Counted in whole packs, a level of 0.8 packs lacks a whole pack to reach 1 (not 0.2 of one).
    base = _floor(level, p.whole)
    segments = []
    for k, value in enumerate(QUARTER_VALUES):
        cap = bounds[k + 1] - max(bounds[k], base)
        if cap > EPS:
            segments.append((round(cap, 2), value * weight))
    need = sum(cap for cap, _v in segments)
    if need <= EPS:
        return None
    return _Receiver(unit=p.unit, need=need, segments=segments)


@dataclass
class _Item:
    item: int
    whole: bool
    donors: dict[int, float]  # unit → surplus
    receivers: dict[int, _Receiver]
    pack: int = 1  # the item's quantities here are in packs of this many


def in_packs(p: Position) -> Position:
    """The position counted in whole packs (the solver's unit for an item with a pack size): a donor's
    surplus rounds down to whole packs, a receiver's shortfall up, so a donor never goes below its
    target and a receiver gets whole boxes."""
    if p.pack <= 1:
        return p
    return Position(
        unit=p.unit,
        item=p.item,
        on_hand=p.on_hand / p.pack,
        daily_use=p.daily_use / p.pack,
        target_days=p.target_days,
        in_transit_in=p.in_transit_in / p.pack,
        front_line=p.front_line,
        whole=True,
        pack=p.pack,
    )


def _items(positions: Iterable[Position], front_line_weight: float) -> list[_Item]:
    by_item: dict[int, _Item] = {}
    for p in positions:
        p = in_packs(p)
        entry = by_item.get(p.item)
        if entry is None:
            entry = by_item[p.item] = _Item(item=p.item, whole=p.whole, donors={}, receivers={}, pack=max(p.pack, 1))
        surplus = surplus_of(p)
        if surplus > EPS:
            entry.donors[p.unit] = surplus
            continue
        receiver = _receiver(p, front_line_weight)
        if receiver is not None:
            entry.receivers[p.unit] = receiver
    return [e for e in by_item.values() if e.donors and e.receivers]


# --- the tree -----------------------------------------------------------------------------------


class _Tree:
    def __init__(self, parents: Mapping[int, int | None]):
        self.parent = dict(parents)
        self.depth: dict[int, int] = {}
        for unit in self.parent:
            self._depth(unit)
        self.children: dict[int, list[int]] = defaultdict(list)
        for unit, parent in self.parent.items():
            if parent is not None:
                self.children[parent].append(unit)
        # Deepest first: every unit comes before its parent.
        self.bottom_up = sorted(self.parent, key=lambda u: -self.depth[u])

    def _depth(self, unit: int) -> int:
        chain = []
        node: int | None = unit
        while node is not None and node not in self.depth:
            chain.append(node)
            node = self.parent.get(node)
        base = -1 if node is None else self.depth[node]
        for n in reversed(chain):
            base += 1
            self.depth[n] = base
        return self.depth[unit]

    def distance(self, a: int, b: int) -> int:
        steps = 0
        while a != b:
            if self.depth[a] >= self.depth[b]:
                a = self.parent[a]  # type: ignore[assignment]
            else:
                b = self.parent[b]  # type: ignore[assignment]
            steps += 1
        return steps


# --- step 1: each item on the tree, without a limit ---------------------------------------------


def _solve_item_on_tree(entry: _Item, tree: _Tree) -> tuple[dict[int, float], dict[int, float]]:
    """What each donor sends and each receiver gets, optimal for this item (LP, HiGHS)."""
    nodes = list(tree.parent)
    index = {u: i for i, u in enumerate(nodes)}
    cost: list[float] = []
    upper: list[float] = []
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []

    def var(c: float, ub: float, entries: list[tuple[int, float]]) -> int:
        j = len(cost)
        cost.append(c)
        upper.append(ub)
        for row, coef in entries:
            rows.append(row)
            cols.append(j)
            vals.append(coef)
        return j

    # Balance at each node: inflow − outflow = 0; a donor's supply flows in, a receiver's take flows out.
    for unit, parent in tree.parent.items():
        if parent is None:
            continue
        # up: unit → parent; down: parent → unit
        var(STEP_COST, np.inf, [(index[unit], -1.0), (index[parent], 1.0)])
        var(STEP_COST, np.inf, [(index[parent], -1.0), (index[unit], 1.0)])
    supply_vars = {u: var(0.0, s, [(index[u], 1.0)]) for u, s in entry.donors.items()}
    take_vars: dict[int, list[int]] = {}
    for u, receiver in entry.receivers.items():
        take_vars[u] = [var(-value, cap, [(index[u], -1.0)]) for cap, value in receiver.segments]
    a_eq = sparse.csr_array((vals, (rows, cols)), shape=(len(nodes), len(cost)))
    result = optimize.linprog(
        np.array(cost),
        A_eq=a_eq,
        b_eq=np.zeros(len(nodes)),
        bounds=np.column_stack([np.zeros(len(cost)), np.array(upper)]),
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - the zero flow is always feasible
        raise RuntimeError(f"rebalancing LP failed: {result.message}")
    x = result.x
    sent = {u: _round(x[j], entry.whole) for u, j in supply_vars.items()}
    got = {u: _round(sum(x[j] for j in js), entry.whole) for u, js in take_vars.items()}
    return {u: q for u, q in sent.items() if q > EPS}, {u: q for u, q in got.items() if q > EPS}


def _round(x: float, whole: bool) -> float:
    return float(round(x)) if whole else round(x, 2)


def _match_on_tree(
    item: int, sent: dict[int, float], got: dict[int, float], tree: _Tree, partners: dict[int, set[int]]
) -> list[Move]:
    """Split an item's flows into donor → receiver pairs, each matched in the smallest subtree
    holding both: first along pairs already shipping other items (``partners``: receiver → donors,
    updated), then largest with largest, so there are few shipments."""
    moves: list[Move] = []
    supply: dict[int, list[list]] = defaultdict(list)  # node → [[donor, qty], …] still to place
    demand: dict[int, list[list]] = defaultdict(list)

    def take(s: list, d: list) -> None:
        qty = min(s[1], d[1])
        if qty > EPS:
            moves.append(Move(s[0], d[0], item, qty))
            partners[d[0]].add(s[0])
        s[1] -= qty
        d[1] -= qty

    for unit in tree.bottom_up:
        here_s = supply.pop(unit, [])
        here_d = demand.pop(unit, [])
        if sent.get(unit):
            here_s.append([unit, sent[unit]])
        if got.get(unit):
            here_d.append([unit, got[unit]])
        if not here_s or not here_d:
            parent = tree.parent.get(unit)
            if parent is not None:
                supply[parent].extend(here_s)
                demand[parent].extend(here_d)
            continue
        by_donor = {e[0]: e for e in here_s}
        for d in here_d:
            for donor in partners.get(d[0], ()):
                s = by_donor.get(donor)
                if s is not None and s[1] > EPS and d[1] > EPS:
                    take(s, d)
        here_s = sorted((e for e in here_s if e[1] > EPS), key=lambda e: -e[1])
        here_d = sorted((e for e in here_d if e[1] > EPS), key=lambda e: -e[1])
        i = j = 0
        while i < len(here_s) and j < len(here_d):
            take(here_s[i], here_d[j])
            if here_s[i][1] <= EPS:
                i += 1
            if here_d[j][1] <= EPS:
                j += 1
        parent = tree.parent.get(unit)
        if parent is not None:
            supply[parent].extend(here_s[i:])
            demand[parent].extend(here_d[j:])
    return moves


# --- step 2: at most so many shipments ----------------------------------------------------------


def _pair_program(
    items: list[_Item],
    pairs: list[tuple[int, int]],
    tree: _Tree,
    *,
    max_shipments: int | None,
    time_limit: float,
) -> tuple[list[Move], float] | None:
    """Quantities over the given pairs only, all items at once. With ``max_shipments`` each pair
    gets a yes/no variable and at most that many are used (MILP); without, a plain LP."""
    cost: list[float] = []
    upper: list[float] = []
    integral: list[int] = []
    flows: list[tuple[int, int, int, int]] = []  # (var, pair index, item, position in items)
    eq_rows: list[int] = []
    eq_cols: list[int] = []
    eq_vals: list[float] = []
    ub_rows: list[int] = []
    ub_cols: list[int] = []
    ub_vals: list[float] = []
    ub_rhs: list[float] = []

    def var(c: float, ub: float, whole: bool) -> int:
        cost.append(c)
        upper.append(ub)
        integral.append(1 if whole else 0)
        return len(cost) - 1

    pair_index = {p: k for k, p in enumerate(pairs)}
    by_from: dict[int, list[int]] = defaultdict(list)
    for k, (f, _t) in enumerate(pairs):
        by_from[f].append(k)
    pair_flow_vars: dict[int, list[tuple[int, float]]] = defaultdict(list)
    n_eq = 0
    for pos, entry in enumerate(items):
        take_rows: dict[int, int] = {}
        for to_unit, receiver in entry.receivers.items():
            row = n_eq
            n_eq += 1
            take_rows[to_unit] = row
            for cap, value in receiver.segments:
                j = var(-value, cap, False)
                eq_rows.append(row)
                eq_cols.append(j)
                eq_vals.append(-1.0)
        for from_unit, surplus in entry.donors.items():
            used = []
            for k in by_from.get(from_unit, ()):
                to_unit = pairs[k][1]
                receiver = entry.receivers.get(to_unit)
                if receiver is None:
                    continue
                bound = min(surplus, receiver.need)
                j = var(STEP_COST * tree.distance(from_unit, to_unit), bound, entry.whole)
                flows.append((j, k, entry.item, pos))
                eq_rows.append(take_rows[to_unit])
                eq_cols.append(j)
                eq_vals.append(1.0)
                used.append(j)
                pair_flow_vars[k].append((j, bound))
            if used:
                row = len(ub_rhs)
                ub_rhs.append(surplus)
                for j in used:
                    ub_rows.append(row)
                    ub_cols.append(j)
                    ub_vals.append(1.0)
    if not flows:
        return [], 0.0
    if max_shipments is not None:
        count_row = len(ub_rhs)
        ub_rhs.append(float(max_shipments))
        for k in range(len(pairs)):
            if not pair_flow_vars.get(k):
                continue
            y = var(SHIPMENT_COST, 1.0, True)
            ub_rows.append(count_row)
            ub_cols.append(y)
            ub_vals.append(1.0)
            for j, bound in pair_flow_vars[k]:  # flow only on a pair that is used
                row = len(ub_rhs)
                ub_rhs.append(0.0)
                ub_rows.extend((row, row))
                ub_cols.extend((j, y))
                ub_vals.extend((1.0, -bound))
    n = len(cost)
    constraints = [
        optimize.LinearConstraint(
            sparse.csr_array((eq_vals, (eq_rows, eq_cols)), shape=(n_eq, n)), np.zeros(n_eq), np.zeros(n_eq)
        ),
        optimize.LinearConstraint(
            sparse.csr_array((ub_vals, (ub_rows, ub_cols)), shape=(len(ub_rhs), n)), -np.inf, np.array(ub_rhs)
        ),
    ]
    result = optimize.milp(
        np.array(cost),
        constraints=constraints,
        bounds=optimize.Bounds(np.zeros(n), np.array(upper)),
        integrality=np.array(integral) if max_shipments is not None else np.zeros(n),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return None
    x = result.x
    moves = []
    for j, k, item, pos in flows:
        qty = _round(x[j], items[pos].whole)
        if qty > EPS:
            moves.append(Move(pairs[k][0], pairs[k][1], item, qty))
    _ = pair_index
    return moves, plan_value(items, moves)


def plan_value(items: list[_Item], moves: list[Move]) -> float:
    got: dict[tuple[int, int], float] = defaultdict(float)
    for m in moves:
        got[(m.item, m.to_unit)] += m.quantity
    total = 0.0
    for entry in items:
        for unit, receiver in entry.receivers.items():
            total += receiver.value_of(got.get((entry.item, unit), 0.0))
    return total


def _pair_values(items: list[_Item], moves: list[Move]) -> dict[tuple[int, int], float]:
    """Each pair's share of the value: its pieces × the average value of a piece at the receiver."""
    got: dict[tuple[int, int], float] = defaultdict(float)
    for m in moves:
        got[(m.item, m.to_unit)] += m.quantity
    receivers = {(e.item, u): r for e in items for u, r in e.receivers.items()}
    values: dict[tuple[int, int], float] = defaultdict(float)
    for m in moves:
        total = got[(m.item, m.to_unit)]
        receiver = receivers[(m.item, m.to_unit)]
        values[(m.from_unit, m.to_unit)] += m.quantity * receiver.value_of(total) / total
    return values


def _compatible_pairs(items: list[_Item]) -> list[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for entry in items:
        for f in entry.donors:
            for t in entry.receivers:
                pairs.add((f, t))
    return sorted(pairs)


def _compatible_pair_count(items: list[_Item], limit: int) -> int:
    """How many pairs the exact program would have, counting only up to just past ``limit``."""
    total = sum(len(e.donors) * len(e.receivers) for e in items)
    if total <= limit:
        return len(_compatible_pairs(items))
    return total  # an upper bound is enough to know it is too many


# --- the solver -----------------------------------------------------------------------------------


def solve(
    positions: Iterable[Position],
    *,
    parents: Mapping[int, int | None],
    max_shipments: int,
    front_line_weight: float = FRONT_LINE_WEIGHT,
    time_limit: float = 1.5,
    exact_pair_limit: int = EXACT_PAIR_LIMIT,
) -> Plan:
    """Moves that bring days of supply toward target; see the module docstring for the model.

    ``parents`` maps every unit of the positions (and the units between them) to its parent; the
    root maps to None.
    """
    started = time.perf_counter()
    if max_shipments < 1:
        raise ValueError("max_shipments must be at least 1")
    tree = _Tree(parents)
    items = _items(positions, front_line_weight)
    if not items:
        return Plan(moves=[], method="none", value=0.0, seconds=time.perf_counter() - started)

    moves: list[Move] = []
    partners: dict[int, set[int]] = defaultdict(set)
    for entry in items:
        sent, got = _solve_item_on_tree(entry, tree)
        moves.extend(_match_on_tree(entry.item, sent, got, tree, partners))
    value = plan_value(items, moves)
    pairs = sorted({(m.from_unit, m.to_unit) for m in moves})
    if len(pairs) <= max_shipments:
        return Plan(
            moves=_sorted(_in_measure(moves, items)), method="lp", value=value, seconds=time.perf_counter() - started
        )

    candidates = _compatible_pair_count(items, exact_pair_limit)
    notes: list[str] = []
    if candidates <= exact_pair_limit:
        budget = max(0.2, time_limit - (time.perf_counter() - started))
        exact = _pair_program(items, _compatible_pairs(items), tree, max_shipments=max_shipments, time_limit=budget)
        if exact is not None:
            return Plan(
                moves=_sorted(_in_measure(exact[0], items)),
                method="milp",
                value=exact[1],
                seconds=time.perf_counter() - started,
                candidate_pairs=candidates,
            )
        notes.append("exact program found no solution in time; kept the most valuable pairs")

    best: tuple[list[Move], float] = ([], 0.0)
    ranked = sorted(_pair_values(items, moves).items(), key=lambda kv: -kv[1])
    ordered = [pair for pair, _v in ranked]
    kept = ordered[:max_shipments]
    reserve = ordered[max_shipments:]
    for _round_no in range(FIX_ROUNDS):
        result = _pair_program(items, kept, tree, max_shipments=None, time_limit=time_limit)
        if result is None:  # pragma: no cover - an LP over kept pairs is always feasible
            break
        if result[1] > best[1] + EPS:
            best = result
        used = {(m.from_unit, m.to_unit) for m in result[0]}
        idle = [p for p in kept if p not in used]
        if not idle or not reserve:
            break
        kept = [p for p in kept if p in used] + reserve[: len(idle)]
        reserve = reserve[len(idle) :]
    return Plan(
        moves=_sorted(_in_measure(best[0], items)),
        method="lp-fix",
        value=best[1],
        seconds=time.perf_counter() - started,
        candidate_pairs=candidates,
        notes=notes,
    )


def _in_measure(moves: list[Move], items: list[_Item]) -> list[Move]:
    """Moves counted in packs back in the item's own measure (4 packs of 50 → 200)."""
    packs = {entry.item: entry.pack for entry in items}
    return [
        Move(m.from_unit, m.to_unit, m.item, m.quantity * packs[m.item]) if packs.get(m.item, 1) > 1 else m
        for m in moves
    ]


def _sorted(moves: list[Move]) -> list[Move]:
    merged: dict[tuple[int, int, int], float] = defaultdict(float)
    for m in moves:
        merged[(m.from_unit, m.to_unit, m.item)] += m.quantity
    return [Move(f, t, i, q) for (f, t, i), q in sorted(merged.items()) if q > EPS]


# --- figures for the summary --------------------------------------------------------------------


def days_after(positions: Iterable[Position], moves: Iterable[Move]) -> dict[tuple[int, int], tuple[float, float]]:
    """(days of supply before, after) per (unit, item) with a daily use; in-transit stock counts."""
    delta: dict[tuple[int, int], float] = defaultdict(float)
    for m in moves:
        delta[(m.from_unit, m.item)] -= m.quantity
        delta[(m.to_unit, m.item)] += m.quantity
    out = {}
    for p in positions:
        if p.daily_use <= 0:
            continue
        level = p.on_hand + p.in_transit_in
        out[(p.unit, p.item)] = (level / p.daily_use, (level + delta.get((p.unit, p.item), 0.0)) / p.daily_use)
    return out


def summarise(positions: list[Position], moves: list[Move]) -> dict:
    """Before and after: how many unit-items are below target (all, front line), the mean shortfall
    in days below target, and the lowest days of supply."""
    days = days_after(positions, moves)
    by_key = {(p.unit, p.item): p for p in positions}

    def side(which: int) -> dict:
        below = front_below = 0
        shortfall = 0.0
        lowest: float | None = None
        for key, pair in days.items():
            p = by_key[key]
            d = pair[which]
            if d < p.target_days - EPS:
                below += 1
                front_below += int(p.front_line)
                shortfall += p.target_days - d
            lowest = d if lowest is None else min(lowest, d)
        return {
            "below_target": below,
            "front_line_below_target": front_below,
            "shortfall_days": round(shortfall / len(days), 2) if days else 0.0,
            "lowest_days": round(lowest, 1) if lowest is not None else None,
        }

    return {"positions": len(days), "before": side(0), "after": side(1)}
