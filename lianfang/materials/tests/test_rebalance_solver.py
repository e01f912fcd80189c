"""The rebalancing solver on small cases whose optimum is worked out by hand, and the rules every
plan keeps (donors stay at or above target, at most so many shipments, whole pieces).

Tree used below:   G(0) ── S1(1) ── U3(3), U4(4)
                        └─ S2(2) ── U5(5)
Every unit uses 1 piece a day and aims for 14 days unless said otherwise, so a unit with nothing
needs 14 pieces: quarters of 4, 3, 4 and 3 pieces (the bounds are rounded up: 0, 4, 7, 11, 14),
worth 8, 4, 2 and 1 per piece, ten times more on the front line.
"""

from __future__ import annotations

import itertools
import random

import pytest

from lianfang.materials.rebalance import Move, Position, _items, days_after, plan_value, solve, summarise

PARENTS = {0: None, 1: 0, 2: 0, 3: 1, 4: 1, 5: 2}


def pos(unit, on_hand, *, item=1, use=1.0, target=14.0, front=False, whole=True, transit=0.0):
    return Position(
        unit=unit,
        item=item,
        on_hand=float(on_hand),
        daily_use=use,
        target_days=target,
        front_line=front,
        whole=whole,
        in_transit_in=transit,
    )


def got(plan, unit, item=1) -> float:
    return sum(m.quantity for m in plan.moves if m.to_unit == unit and m.item == item)


def sent(plan, unit, item=1) -> float:
    return sum(m.quantity for m in plan.moves if m.from_unit == unit and m.item == item)


def test_with_enough_surplus_every_unit_reaches_its_target_exactly():
    plan = solve([pos(3, 100), pos(4, 0), pos(5, 4)], parents=PARENTS, max_shipments=10)
    assert (got(plan, 4), got(plan, 5), sent(plan, 3)) == (14, 10, 24)
    assert plan.method == "lp"


def test_scarce_stock_goes_to_the_front_line_first():
    # U3 can spare 10 (24 on hand, 14 needed); U4 (front line) and U5 both need 14.
    plan = solve([pos(3, 24), pos(4, 0, front=True), pos(5, 0)], parents=PARENTS, max_shipments=10)
    assert (got(plan, 4), got(plan, 5)) == (10, 0)


def test_scarce_stock_lifts_the_worst_off_first_by_quarters():
    # 14 to spare, two units with nothing: both are brought to half their target (4 + 3 each).
    plan = solve([pos(3, 28), pos(4, 0), pos(5, 0)], parents=PARENTS, max_shipments=10)
    assert (got(plan, 4), got(plan, 5)) == (7, 7)
    # Hand-checked value: (4 × 8 + 3 × 4) per unit.
    assert plan.value == pytest.approx(2 * (4 * 8 + 3 * 4))


def test_a_unit_already_at_half_waits_until_the_empty_one_has_caught_up():
    # U4 has 7 (half), U5 nothing; 7 to spare: all of it goes to U5 (its quarters are worth 8 and 4).
    plan = solve([pos(3, 21), pos(4, 7), pos(5, 0)], parents=PARENTS, max_shipments=10)
    assert (got(plan, 4), got(plan, 5)) == (0, 7)


def test_a_donor_is_never_left_below_its_own_target():
    rng = random.Random(3)
    for _ in range(30):
        positions = [
            pos(
                u,
                rng.randint(0, 60),
                use=rng.choice([0.5, 1, 2, 3]),
                target=rng.choice([7, 14]),
                front=rng.random() < 0.3,
            )
            for u in (1, 2, 3, 4, 5)
        ]
        plan = solve(positions, parents=PARENTS, max_shipments=rng.randint(1, 4))
        days = days_after(positions, plan.moves)
        for p in positions:
            if sent(plan, p.unit):
                assert days[(p.unit, p.item)][1] >= p.target_days - 1e-9
            assert sent(plan, p.unit) == 0 or got(plan, p.unit) == 0  # nobody both gives and takes an item


def test_the_nearer_donor_is_chosen_when_both_would_do():
    # U3 and U5 both spare 20; U4 (U3's sibling under S1) needs 14: it comes from U3.
    plan = solve([pos(3, 34), pos(5, 34), pos(4, 0)], parents=PARENTS, max_shipments=10)
    assert plan.moves == [Move(3, 4, 1, 14.0)]


def test_one_shipment_allowed_picks_the_pair_worth_most_over_both_items():
    # Item 1: U3 spares 14, U4 and U5 need 14. Item 2: U3 spares 14, only U5 needs it.
    # One shipment: U3 → U5 carries both items (two needs filled) and beats U3 → U4 (one).
    positions = [
        pos(3, 28),
        pos(4, 0),
        pos(5, 0),
        pos(3, 28, item=2),
        pos(4, 14, item=2),
        pos(5, 0, item=2),
    ]
    plan = solve(positions, parents=PARENTS, max_shipments=1)
    assert plan.method == "milp"
    assert plan.shipments == 1
    assert {(m.from_unit, m.to_unit, m.item, m.quantity) for m in plan.moves} == {(3, 5, 1, 14.0), (3, 5, 2, 14.0)}


def test_the_exact_program_matches_a_brute_force_search_on_tiny_cases():
    rng = random.Random(11)
    for _ in range(12):
        positions = [
            pos(u, rng.choice([0, 0, 5, 20, 40]), item=i, front=rng.random() < 0.25)
            for u in (1, 3, 4, 5)
            for i in (1, 2)
        ]
        limit = rng.choice([1, 2])
        plan = solve(positions, parents=PARENTS, max_shipments=limit)
        items = _items(positions, 10.0)
        assert plan.shipments <= limit
        assert plan.value == pytest.approx(brute_force(positions, items, limit), rel=1e-6, abs=1e-6)


def brute_force(positions, items, limit) -> float:
    """Best value over every set of at most ``limit`` pairs, each solved without a limit."""
    pairs = sorted({(f, t) for e in items for f in e.donors for t in e.receivers})
    best = 0.0
    for k in range(1, limit + 1):
        for chosen in itertools.combinations(pairs, k):
            allowed = set(chosen)
            restricted = [
                p
                for p in positions
                if any(p.unit in pair for pair in allowed)  # units outside the pairs cannot matter
            ]
            plan = solve(restricted, parents=PARENTS, max_shipments=1000)
            if all((m.from_unit, m.to_unit) in allowed for m in plan.moves):
                best = max(best, plan.value)
            else:
                best = max(best, _value_on_pairs(positions, items, allowed))
    return best


def _value_on_pairs(positions, items, allowed) -> float:
    from lianfang.materials.rebalance import _pair_program, _Tree

    result = _pair_program(items, sorted(allowed), _Tree(PARENTS), max_shipments=None, time_limit=5)
    return result[1] if result else 0.0


def test_units_without_a_daily_use_neither_give_nor_receive():
    plan = solve([pos(3, 500, use=0), pos(4, 0, use=0), pos(5, 0)], parents=PARENTS, max_shipments=10)
    assert plan.moves == []


def test_stock_on_its_way_counts_toward_the_receivers_level():
    plan = solve([pos(3, 100), pos(4, 0, transit=10)], parents=PARENTS, max_shipments=10)
    assert got(plan, 4) == 4


def test_litres_move_in_hundredths_and_pieces_in_whole_numbers():
    positions = [
        pos(3, 10.0, use=0.35, whole=False),
        pos(4, 0.0, use=0.35, whole=False),
        pos(3, 100, item=2, use=3.3),
        pos(4, 0, item=2, use=3.3),
    ]
    plan = solve(positions, parents=PARENTS, max_shipments=10)
    litres = [m.quantity for m in plan.moves if m.item == 1]
    pieces = [m.quantity for m in plan.moves if m.item == 2]
    assert litres == [4.9]  # 14 days × 0.35 L
    assert pieces == [47.0]  # 14 × 3.3 = 46.2, rounded up to whole pieces


def test_a_large_group_never_ships_to_more_pairs_than_allowed():
    from bench.bench_rebalance import random_group

    positions, parents = random_group(300, 8, seed=5)
    plan = solve(positions, parents=parents, max_shipments=40)
    assert plan.shipments <= 40
    assert plan.method == "lp-fix"
    days = days_after(positions, plan.moves)
    by_key = {(p.unit, p.item): p for p in positions}
    for m in plan.moves:
        donor = by_key[(m.from_unit, m.item)]
        assert days[(m.from_unit, m.item)][1] >= donor.target_days - 1e-9
    summary = summarise(positions, plan.moves)
    assert summary["after"]["below_target"] < summary["before"]["below_target"]
    assert plan_value(_items(positions, 10.0), plan.moves) == pytest.approx(plan.value)


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError):
        solve([pos(3, 10)], parents=PARENTS, max_shipments=0)
