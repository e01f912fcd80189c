"""Benchmark: group rebalancing for 1,000 units × 20 items (target < 2 s).

Part 1 times the solver alone (lianfang.materials.rebalance.solve) on random but realistic groups:
a tree of a group, subsidiaries, departments and sites; per unit and item a daily use drawn from a
long-tailed distribution, stock between nothing and five times the target, a tenth of the units on
the front line. Part 2 (``--service``) times the whole proposal service on PostgreSQL: reading the
supply table, solving and writing the proposal, on a freshly built database (``lf_bench_rebalance``).

    .venv/bin/python bench/bench_rebalance.py                  # solver only
    .venv/bin/python bench/bench_rebalance.py --service        # and the service on PostgreSQL

Prints a table of medians. Not a test: nothing here fails on a time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_PG_URL, run_child  # noqa: E402


def random_group(units: int, items: int, seed: int):
    """(positions, parents) for ``units`` units in a four-level tree and ``items`` items."""
    from lianfang.materials.rebalance import Position

    rng = random.Random(seed)
    parents: dict[int, int | None] = {0: None}
    subsidiaries = max(1, units // 80)
    next_id = 1
    level1 = []
    for _ in range(subsidiaries):
        parents[next_id] = 0
        level1.append(next_id)
        next_id += 1
    level2 = []
    while next_id < units:
        parent = rng.choice(level1) if not level2 or rng.random() < 0.3 else rng.choice(level2)
        parents[next_id] = parent
        if parents[parent] == 0:
            level2.append(next_id)
        next_id += 1
    front = {u for u in parents if rng.random() < 0.1}
    positions = []
    for unit in parents:
        for item in range(items):
            daily = round(rng.lognormvariate(2.5, 1.0))  # most units use a few to a few dozen a day
            target = rng.choice((7, 14, 14, 21))
            ratio = rng.choice((0, 0.1, 0.3, 0.6, 0.9, 1.0, 1.2, 1.5, 2, 3, 5))
            on_hand = round(daily * target * ratio * rng.uniform(0.8, 1.2))
            positions.append(
                Position(
                    unit=unit,
                    item=item,
                    on_hand=float(on_hand),
                    daily_use=float(daily),
                    target_days=float(target),
                    front_line=unit in front,
                    whole=item % 5 != 4,  # one item in five is measured (litres of alcohol)
                )
            )
    return positions, parents


def time_solver(units: int, items: int, max_shipments: int, runs: int) -> dict:
    from lianfang.materials.rebalance import solve, summarise

    seconds, plans = [], []
    for run in range(runs):
        positions, parents = random_group(units, items, seed=run)
        started = time.perf_counter()
        plan = solve(positions, parents=parents, max_shipments=max_shipments)
        seconds.append(time.perf_counter() - started)
        plans.append((plan, summarise(positions, plan.moves)))
    plan, summary = plans[0]
    return {
        "median": statistics.median(seconds),
        "max": max(seconds),
        "method": plan.method,
        "shipments": plan.shipments,
        "lines": len(plan.moves),
        "below_before": summary["before"]["below_target"],
        "below_after": summary["after"]["below_target"],
        "positions": summary["positions"],
    }


# --- the service on PostgreSQL (child process) ---------------------------------------------------


def child_service(units: int, items: int, max_shipments: int, runs: int) -> dict:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lianfang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from lianfang.materials.demo.transfers import build_bench_group
    from lianfang.materials.services import rebalancing as rebalance_services

    root = build_bench_group(units=units, items=items, seed=1)
    admin = get_user_model().objects.create(username="bench-office", is_superuser=True)
    seconds = []
    proposal = None
    for _ in range(runs):
        started = time.perf_counter()
        proposal = rebalance_services.proposal_create(actor=admin, scope_unit=root, max_shipments=max_shipments)
        seconds.append(time.perf_counter() - started)
    assert proposal is not None
    return {
        "median": statistics.median(seconds),
        "max": max(seconds),
        "solver": proposal.summary.get("seconds"),
        "lines": len(proposal.summary.get("lines", [])),
        "method": proposal.summary.get("method"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--max-shipments", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--service", action="store_true", help="also time the proposal service on PostgreSQL")
    parser.add_argument("--pg", default=DEFAULT_PG_URL)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child_service(args.units, args.items, args.max_shipments, args.runs)))
        return

    print(f"Rebalancing: {args.units} units × {args.items} items, median of {args.runs} runs (target < 2 s)\n")
    print(f"{'what':<40} {'median s':>9} {'max s':>7}  details")
    print("-" * 100)
    for limit in (args.max_shipments, 10_000):
        r = time_solver(args.units, args.items, limit, args.runs)
        label = f"solver, at most {limit} shipments"
        details = (
            f"{r['method']}: {r['shipments']} shipments, {r['lines']} lines; below target "
            f"{r['below_before']} → {r['below_after']} of {r['positions']}"
        )
        print(f"{label:<40} {r['median']:>9.3f} {r['max']:>7.3f}  {details}")
    small = time_solver(40, 5, 8, args.runs)
    label = "solver, 40 units × 5 items, 8 shipments"
    print(f"{label:<40} {small['median']:>9.3f} {small['max']:>7.3f}  {small['method']}")
    if args.service:
        r = run_child(
            __file__,
            [
                "--units",
                str(args.units),
                "--items",
                str(args.items),
                "--max-shipments",
                str(args.max_shipments),
                "--runs",
                str(args.runs),
            ],
            backend="postgresql",
            pg_url=args.pg,
            db_name="lf_bench_rebalance",
        )
        label = "proposal service on PostgreSQL"
        details = f"solver {r['solver']} s, {r['method']}, {r['lines']} lines"
        print(f"{label:<40} {r['median']:>9.3f} {r['max']:>7.3f}  {details}")


if __name__ == "__main__":
    main()
