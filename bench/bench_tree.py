"""Benchmark: the unit tree with thousands of units, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_tree.py --subsidiaries 50

Builds group → S subsidiaries → 10 departments → 10 sites (S=50: 5,551 units) on a fresh database
in a subprocess per backend, then times, through the same services and selectors the pages use:
listing one subsidiary's subtree, the whole tree with headcounts (what the tree page renders),
the scoped unit list of a liaison, renaming a unit, and moving a subsidiary's subtree (111 units)
to another parent and back. Each operation runs 15 times; the table shows the median and p90 in
milliseconds. Benchmarks are not tests: nothing here gates CI on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import run_child  # noqa: E402

BENCH_DB = "lianfang_bench_tree"
REPEAT = 15


def child(subsidiaries: int) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment, Unit, UnitKind
    from lianfang.org.selectors import unit_subtree, unit_tree_rows
    from lianfang.org.services import unit_move, unit_update

    kinds = {k.code: k for k in UnitKind.objects.all()}

    def node(code: str, kind: str, children: list | None = None) -> dict:
        return {"data": {"code": code, "name": f"单位{code}", "kind_id": kinds[kind].pk}, "children": children or []}

    tree = node(
        "G",
        "group",
        [
            node(
                f"S{s:03d}",
                "subsidiary",
                [
                    node(
                        f"S{s:03d}-D{d:02d}",
                        "department",
                        [node(f"S{s:03d}-D{d:02d}-{t:02d}", "site") for t in range(10)],
                    )
                    for d in range(10)
                ],
            )
            for s in range(subsidiaries)
        ],
    )
    started = time.perf_counter()
    Unit.objects.load_bulk([tree])
    build_s = time.perf_counter() - started

    user_model = get_user_model()
    admin = user_model.objects.create(username="office")
    liaison = user_model.objects.create(username="liaison")
    root = Unit.objects.get(code="G")
    first, second = Unit.objects.get(code="S000"), Unit.objects.get(code="S001")
    RoleAssignment.objects.create(user=admin, unit=root, role=Role.GROUP_ADMIN)
    RoleAssignment.objects.create(user=liaison, unit=first, role=Role.UNIT_ADMIN)

    def timed(fn) -> list[float]:
        out = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    def move_and_back():
        unit = Unit.objects.get(code="S000")
        unit_move(actor=admin, unit=unit, new_parent=Unit.objects.get(code="S001"))
        unit_move(actor=admin, unit=Unit.objects.get(code="S000"), new_parent=root)

    names = iter(range(10**6))
    results = {
        "subtree of one subsidiary (111 units)": timed(lambda: list(unit_subtree(viewer=admin, unit=first))),
        f"whole tree with headcounts ({Unit.objects.count()} units)": timed(lambda: unit_tree_rows(viewer=admin)),
        "a liaison's scoped unit list": timed(lambda: list(Unit.objects.restrict(liaison, "view"))),
        "rename a unit (service, audited)": timed(
            lambda: unit_update(actor=admin, unit=second, name=f"改名{next(names)}")
        ),
        "move a 111-unit subtree and back (2 moves)": timed(move_and_back),
    }
    assert Unit.objects.get(code="S000-D00-00").path.startswith(Unit.objects.get(code="S000").path)
    print(json.dumps({"build_s": build_s, "results": results}))


def run(backend: str, subsidiaries: int, pg_url: str) -> dict:
    return run_child(__file__, ["--subsidiaries", str(subsidiaries)], backend=backend, pg_url=pg_url, db_name=BENCH_DB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subsidiaries", type=int, default=50)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.subsidiaries)
        return
    print(f"{'backend':<11} {'operation':<46} {'median ms':>10} {'p90 ms':>8}")
    for backend in args.backends.split(","):
        data = run(backend, args.subsidiaries, args.pg_url)
        print(f"{backend:<11} {'build the tree (load_bulk)':<46} {data['build_s'] * 1000:>10.0f} {'':>8}")
        for name, times in data["results"].items():
            p90 = statistics.quantiles(times, n=10)[-1]
            print(f"{backend:<11} {name:<46} {statistics.median(times):>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
