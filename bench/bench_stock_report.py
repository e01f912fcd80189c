"""Benchmark of the stock report over 1,000,000 movements on PostgreSQL (target < 300 ms).

    .venv/bin/python bench/bench_stock_report.py            # build (about a minute) + time
    .venv/bin/python bench/bench_stock_report.py --reuse    # time only, on the data of a previous run

Builds, on a fresh database ``lf_bench_stock`` (``--pg`` names the server, default
postgres://postgres@127.0.0.1:5432):

* 1 group → 20 subsidiaries → 49 departments each (1,001 units; paths from treebeard's own
  ``_get_path``, written with ``lianfang.core.bulk.fast_insert``, i.e. COPY);
* the default catalogue (20 items: the 10 shipped and 10 more like them);
* ``--days`` (50) days of movements for each of 1,000 units × 20 items, one a day: 1,000,000 rows
  generated inside PostgreSQL with ``INSERT … SELECT`` over ``generate_series`` — a purchase every
  10th day, issues on the others, and for one unit in ten a daily stock-take whose count finds a
  shortfall twice a week (an adjustment, confirmed by the day before's count); ``balance_after``
  by a window sum, so every statement reads as the ledger writes it;
* the stock rows (on hand, first movement) aggregated once from the movements;
* 10 front-line people in each department (~10,000 people tagged 一线).

Then times, as the group office (whole group) and as the liaison of one subsidiary:

* ``supply_table`` for every unit in scope (what rebalancing and alerts read);
* ``stock report`` = ``selectors.stock_report`` (supply_table + units + subtree totals) and
  rendering the page's first 100 rows, as the page does.

Each runs 9 times; the table shows median and p90 in milliseconds. Not a test: nothing gates on time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lianfang.materials.selectors import stock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "lf_bench_stock"
REPEAT = 9


def setup_django(pg: str, db: str, *, fresh: bool) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("LIANFANG_DATA_DIR", tempfile.mkdtemp(prefix="lianfang-bench-"))
    os.environ["DATABASE_URL"] = f"{pg}/{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if fresh:
        sys.path.insert(0, str(ROOT / "bench"))
        from harness import recreate_pg_database

        recreate_pg_database(pg, db)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import gc

    gc.freeze()  # as lianfang/wsgi.py does in every web worker once the project is loaded


def build_units(subsidiaries: int = 20, departments: int = 49):
    from lianfang.core.bulk import fast_insert
    from lianfang.org.models import Unit, UnitKind

    kinds = {k.code: k for k in UnitKind.objects.all()}
    rows: list[Unit] = []

    def unit(path: str, depth: int, code: str, name: str, kind: str, numchild: int) -> None:
        rows.append(Unit(path=path, depth=depth, numchild=numchild, code=code, name=name, kind=kinds[kind]))

    root = Unit._get_path(None, 1, 1)
    unit(root, 1, "G", "基准集团", "group", subsidiaries)
    for s in range(1, subsidiaries + 1):
        sp = Unit._get_path(root, 2, s)
        unit(sp, 2, f"S{s:02d}", f"子公司{s:02d}", "subsidiary", departments)
        for d in range(1, departments + 1):
            unit(Unit._get_path(sp, 3, d), 3, f"S{s:02d}D{d:02d}", f"子公司{s:02d}部门{d:02d}", "department", 0)
    fast_insert(Unit, rows)
    return list(Unit.objects.order_by("path"))


def build_items() -> list:
    from decimal import Decimal

    from lianfang.materials.defaults import ensure_default_items
    from lianfang.materials.models import Item

    ensure_default_items()
    for n, base in enumerate(list(Item.objects.order_by("sort"))):
        Item.objects.create(
            code=f"{base.code}-b",
            name=f"{base.name}（备）",
            category=base.category,
            measure=base.measure,
            pack_size=base.pack_size,
            reorder_threshold=base.reorder_threshold,
            target_days=base.target_days,
            daily_use_per_person=base.daily_use_per_person or Decimal(0),
            sort=200 + n,
        )
    return list(Item.objects.order_by("sort"))


def build_people(units) -> int:
    from lianfang.core.bulk import fast_insert
    from lianfang.people.models import Person, Tag

    departments = [u for u in units if u.depth == 3]
    people = [
        Person(
            name=f"一线{i:06d}",
            employee_no=f"F{i:07d}",
            phone=f"139{i:08d}",
            unit_id=departments[i // 10].pk,
            id_number="",
            id_number_digest="",
        )
        for i in range(len(departments) * 10)
    ]
    fast_insert(Person, people, batch=20000)
    tag = Tag.objects.get(code="front-line")
    through = Person.tags.through
    fast_insert(through, [through(person_id=pk, tag_id=tag.pk) for pk in Person.objects.values_list("pk", flat=True)])
    return len(people)


def build_ledger(days: int, today: datetime.date) -> int:
    """1,000 units (all but the group) × every item × ``days`` days of movements, in SQL."""
    from django.db import connection

    start = today - datetime.timedelta(days=days - 1)
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH raw AS (
                SELECT u.id AS unit_id, i.id AS item_id, d::date AS date,
                       CASE WHEN d::date = %(start)s OR (d::date - %(start)s) %% 10 = 0 THEN 'purchase'
                            WHEN u.id %% 10 = 0 AND (d::date - %(start)s) %% 7 IN (2, 5) THEN 'adjustment'
                            ELSE 'issue' END AS kind,
                       abs(hashtext(u.id::text || '/' || i.id::text || '/' || d::text)) %% 31 + 10 AS q
                FROM org_unit u
                CROSS JOIN materials_item i
                CROSS JOIN generate_series(%(start)s::date, %(today)s::date, interval '1 day') AS d
                WHERE u.depth > 1
            ), signed AS (
                SELECT unit_id, item_id, date, kind,
                       CASE kind WHEN 'purchase' THEN CASE WHEN date = %(start)s THEN 2000 ELSE 250 END
                                 WHEN 'adjustment' THEN -2 ELSE -q END AS quantity
                FROM raw
            )
            INSERT INTO materials_movement (unit_id, item_id, kind, quantity, balance_after, date, front_line,
                reference, counterparty, note, created, created_by_id)
            SELECT unit_id, item_id, kind, quantity,
                   sum(quantity) OVER (PARTITION BY unit_id, item_id ORDER BY date),
                   date, kind = 'issue' AND quantity < -30, '', '', '', now(), NULL
            FROM signed ORDER BY date, unit_id, item_id
            """,
            {"start": start, "today": today},
        )
        inserted = cur.rowcount
        cur.execute(
            """
            INSERT INTO materials_stock (unit_id, item_id, on_hand, first_movement_on, updated)
            SELECT unit_id, item_id, sum(quantity), min(date), now() FROM materials_movement GROUP BY unit_id, item_id
            """
        )
        # One unit in ten counts every day: a stock-take and a line per item (the count is the balance).
        cur.execute(
            """
            INSERT INTO materials_stocktake (unit_id, date, note, created, created_by_id)
            SELECT u.id, d::date, '', now(), NULL FROM org_unit u
            CROSS JOIN generate_series(%(start)s::date, %(today)s::date, interval '1 day') AS d
            WHERE u.depth > 1 AND u.id %% 10 = 0
            """,
            {"start": start, "today": today},
        )
        cur.execute(
            """
            INSERT INTO materials_stocktakeline (stocktake_id, item_id, counted, book, variance, movement_id)
            SELECT st.id, m.item_id, m.balance_after, m.balance_after - CASE WHEN m.kind = 'adjustment'
                   THEN m.quantity ELSE 0 END, CASE WHEN m.kind = 'adjustment' THEN m.quantity ELSE 0 END, NULL
            FROM materials_stocktake st JOIN materials_movement m ON m.unit_id = st.unit_id AND m.date = st.date
            """
        )
    # Autovacuum would do this in its own time; without it no scan can be index-only.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE materials_movement")
        cur.execute("ANALYZE")
    return inserted


def build(days: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    t0 = time.perf_counter()
    with transaction.atomic():
        units = build_units()
        items = build_items()
        people = build_people(units)
    movements = build_ledger(days, timezone.localdate())
    return {
        "units": len(units),
        "items": len(items),
        "people": people,
        "movements": movements,
        "build_s": time.perf_counter() - t0,
    }


def viewers():
    from django.contrib.auth import get_user_model

    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment, Unit

    User = get_user_model()
    office, _ = User.objects.get_or_create(username="bench-office")
    liaison, _ = User.objects.get_or_create(username="bench-liaison")
    RoleAssignment.objects.get_or_create(user=office, unit=Unit.objects.get(code="G"), role=Role.GROUP_ADMIN)
    RoleAssignment.objects.get_or_create(user=liaison, unit=Unit.objects.get(code="S07"), role=Role.UNIT_ADMIN)
    return {"office (group)": office, "liaison (subsidiary)": liaison}


def timed(fn) -> tuple[float, float]:
    fn()  # warm-up: connection, query plans, template loading
    samples = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--days", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="time the data of a previous run")
    args = parser.parse_args()

    setup_django(args.pg, args.db, fresh=not args.reuse)
    from django.core.paginator import Paginator
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import translation

    from lianfang.core.scoping import Action
    from lianfang.materials.models import Movement
    from lianfang.materials.supply import supply_table
    from lianfang.org.scoping import units_where

    facts = build(args.days) if not args.reuse else {"movements": Movement.objects.count()}
    print(f"data: {facts}")

    factory = RequestFactory()
    rows = []
    for label, user in viewers().items():
        scope = list(units_where(user, Movement, Action.VIEW).values_list("pk", flat=True))

        def table(user=user, scope=scope):
            return supply_table(unit_ids=None if len(scope) > 1000 else scope)

        def report(user=user):
            with translation.override("zh-hans"):
                result = stock.stock_report(viewer=user)
                page = Paginator(result.rows, 100).get_page(1)
                request = factory.get("/materials/stock/")
                request.user = user
                render_to_string("materials/stock_report_table.html", {"report": result, "page": page}, request=request)
            return result

        n = len(report().rows)
        for name, fn in (("supply_table", table), ("stock report (selector + page)", report)):
            median, p90 = timed(fn)
            rows.append((label, name, n, median, p90))

    print()
    print(f"{'viewer':<22} {'what':<32} {'rows':>7} {'median ms':>10} {'p90 ms':>8}")
    for label, name, n, median, p90 in rows:
        print(f"{label:<22} {name:<32} {n:>7,} {median:>10.1f} {p90:>8.1f}")


if __name__ == "__main__":
    main()
