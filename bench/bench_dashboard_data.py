"""Benchmark data and timings for the check-in dashboards: 100,000 people × 30 days on PostgreSQL.

    .venv/bin/python bench/bench_dashboard_data.py                       # build + time (about 1–2 minutes)
    .venv/bin/python bench/bench_dashboard_data.py --people 100000 --days 30 --reuse   # time only

Builds, on a fresh database ``lianfang_bench_dashboard`` (``--pg`` names the server, default
postgres://postgres@127.0.0.1:5432):

* a tree of 1 group → 20 subsidiaries → 10 departments → 5 sites (1,221 units), paths computed
  with treebeard's own ``_get_path`` and written with ``lianfang.core.bulk.fast_insert`` (COPY);
* ``--people`` active people spread over the departments and sites (COPY);
* ``--days`` days of raw check-ins (about 96 % a day, 2 % fever, 4 % flagged; today 70 % so far),
  generated inside PostgreSQL with ``INSERT … SELECT`` over ``generate_series`` — three million rows
  through Python would take minutes and say nothing about the dashboards;
* the per-unit day counts (``UnitDayStat``) as the check-in service keeps them, aggregated once
  from the raw rows.

Then times, through the selectors the pages and the API call, for the group office (whole group)
and for the liaison of one subsidiary: ``completion_by_unit``, ``completion_totals``,
``completion_trend(days=30)``, ``non_reporters`` (count + first page of 50, as the paginated page
does) and ``flagged_checkins`` (count + first page). Each runs 9 times; the table shows median and
p90 in milliseconds. Benchmarks are not tests: nothing gates on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "lianfang_bench_dashboard"
REPEAT = 9


def setup_django(pg: str, db: str, *, fresh: bool) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ.setdefault("LIANFANG_DATA_DIR", tempfile.mkdtemp(prefix="lianfang-bench-"))
    os.environ["DATABASE_URL"] = f"{pg}/{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    if fresh:
        import psycopg

        with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{db}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_units(subsidiaries: int = 20, departments: int = 10, sites: int = 5):
    """The unit tree written in one COPY; returns (units in tree order, leaf-level units)."""
    from lianfang.core.bulk import fast_insert
    from lianfang.org.models import Unit, UnitKind

    kinds = {k.code: k for k in UnitKind.objects.all()}
    rows: list[Unit] = []

    def unit(path: str, depth: int, code: str, name: str, kind: str, numchild: int) -> Unit:
        u = Unit(path=path, depth=depth, numchild=numchild, code=code, name=name, kind=kinds[kind])
        rows.append(u)
        return u

    root = Unit._get_path(None, 1, 1)
    unit(root, 1, "G", "基准集团", "group", subsidiaries)
    for s in range(1, subsidiaries + 1):
        sp = Unit._get_path(root, 2, s)
        unit(sp, 2, f"S{s:02d}", f"子公司{s:02d}", "subsidiary", departments)
        for d in range(1, departments + 1):
            dp = Unit._get_path(sp, 3, d)
            unit(dp, 3, f"S{s:02d}D{d:02d}", f"子公司{s:02d}部门{d:02d}", "department", sites)
            for t in range(1, sites + 1):
                unit(Unit._get_path(dp, 4, t), 4, f"S{s:02d}D{d:02d}T{t}", f"站点{s:02d}-{d:02d}-{t}", "site", 0)
    fast_insert(Unit, rows)
    units = list(Unit.objects.order_by("path"))
    return units, [u for u in units if u.depth >= 3]


def build_people(units, count: int, seed: int = 7) -> None:
    from lianfang.core.bulk import fast_insert
    from lianfang.people.models import Person

    rng = random.Random(seed)
    people = [
        Person(
            name=f"员工{i:06d}",
            employee_no=f"B{i:07d}",
            phone=f"139{i:08d}",
            unit_id=rng.choice(units).pk,
            id_number="",
            id_number_digest="",
        )
        for i in range(count)
    ]
    fast_insert(Person, people, batch=20000)


def build_history(days: int, today: datetime.date) -> int:
    """Raw check-ins for ``days`` days up to today, then the per-unit day counts from them."""
    from django.db import connection

    start = today - datetime.timedelta(days=days - 1)
    with connection.cursor() as cur:
        # hashtext gives every (person, day) a stable pseudo-random number: 96 % check in on past
        # days, 70 % so far today; 2 % have a fever; 4 % are flagged; the mode follows too.
        cur.execute(
            """
            INSERT INTO health_checkin (person_id, unit_id, date, temperature, symptoms, symptom_note, location_code,
                location_name, work_mode, answers, is_fever, is_flagged, flag_reasons, source, reported_by_id,
                created, updated)
            SELECT p.id, p.unit_id, d::date,
                   CASE WHEN h %% 100 < 2 THEN 37.8 ELSE 36.5 END,
                   CASE WHEN h %% 100 BETWEEN 2 AND 3 THEN '["cough"]'::jsonb ELSE '[]'::jsonb END,
                   '', '420102', '湖北省武汉市江岸区',
                   CASE WHEN h %% 10 = 9 THEN 'remote' WHEN h %% 50 = 1 THEN 'on_leave' ELSE 'on_site' END,
                   '{}'::jsonb, h %% 100 < 2, h %% 100 < 4,
                   CASE WHEN h %% 100 < 2 THEN '["fever"]'::jsonb WHEN h %% 100 < 4 THEN '["symptom:cough"]'::jsonb
                        ELSE '[]'::jsonb END,
                   'self', NULL, now(), now()
            FROM people_person p
            CROSS JOIN generate_series(%s::date, %s::date, interval '1 day') AS d
            CROSS JOIN LATERAL (SELECT abs(hashtext(p.id::text || d::text)) AS h) r
            WHERE (h / 100) %% 100 < CASE WHEN d::date = %s THEN 70 ELSE 96 END
            """,
            [start, today, today],
        )
        inserted = cur.rowcount
        cur.execute(
            """
            INSERT INTO health_unitdaystat
                (unit_id, date, expected, reported, fever, flagged, on_site, remote, on_leave)
            SELECT u.id, d::date, coalesce(hc.n, 0), coalesce(c.reported, 0), coalesce(c.fever, 0),
                   coalesce(c.flagged, 0), coalesce(c.on_site, 0), coalesce(c.remote, 0), coalesce(c.on_leave, 0)
            FROM org_unit u
            CROSS JOIN generate_series(%s::date, %s::date, interval '1 day') AS d
            LEFT JOIN (SELECT unit_id, count(*) n FROM people_person WHERE employment_status = 'active'
                       GROUP BY unit_id) hc ON hc.unit_id = u.id
            LEFT JOIN (SELECT unit_id, date, count(*) reported, count(*) FILTER (WHERE is_fever) fever,
                              count(*) FILTER (WHERE is_flagged) flagged,
                              count(*) FILTER (WHERE work_mode = 'on_site') on_site,
                              count(*) FILTER (WHERE work_mode = 'remote') remote,
                              count(*) FILTER (WHERE work_mode = 'on_leave') on_leave
                       FROM health_checkin GROUP BY unit_id, date) c ON c.unit_id = u.id AND c.date = d::date
            """,
            [start, today],
        )
        cur.execute("ANALYZE")
    return inserted


def build(people: int, days: int) -> dict:
    from django.db import transaction
    from django.utils import timezone

    t0 = time.perf_counter()
    with transaction.atomic():
        units, leaves = build_units()
        build_people(leaves, people)
    t1 = time.perf_counter()
    checkins = build_history(days, timezone.localdate())
    t2 = time.perf_counter()
    return {"units": len(units), "people": people, "checkins": checkins, "roster_s": t1 - t0, "history_s": t2 - t1}


def viewers():
    from django.contrib.auth import get_user_model

    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment, Unit

    User = get_user_model()
    office, _ = User.objects.get_or_create(username="bench-office")
    liaison, _ = User.objects.get_or_create(username="bench-liaison")
    group = Unit.objects.get(code="G")
    sub = Unit.objects.get(code="S07")
    RoleAssignment.objects.get_or_create(user=office, unit=group, role=Role.GROUP_ADMIN)
    RoleAssignment.objects.get_or_create(user=liaison, unit=sub, role=Role.UNIT_ADMIN)
    return {"office (group)": (office, None), "liaison (subsidiary)": (liaison, sub)}


def timed(fn) -> tuple[float, float]:
    samples = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.9 * (len(samples) - 1))]


def run_timings() -> list[tuple[str, str, float, float, str]]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from lianfang.health import selectors

    today = timezone.localdate()
    out = []
    for who, (user, root) in viewers().items():
        # A fresh user object per call, like a request: the role cache is per request.
        def fresh(user=user):
            return get_user_model().objects.get(pk=user.pk)

        cases = {
            "completion_by_unit": lambda root=root: selectors.completion_by_unit(viewer=fresh(), date=today, root=root),
            "completion_totals": lambda root=root: selectors.completion_totals(viewer=fresh(), date=today, root=root),
            "completion_trend(30)": lambda root=root: selectors.completion_trend(viewer=fresh(), days=30, root=root),
            "non_reporters count+page": lambda root=root: _page(
                selectors.non_reporters(viewer=fresh(), date=today, unit=root)
            ),
            "flagged_checkins count+page": lambda root=root: _page(
                selectors.flagged_checkins(viewer=fresh(), date=today, unit=root)
            ),
        }
        for name, fn in cases.items():
            result = fn()
            size = len(result) if isinstance(result, list) else (result if isinstance(result, int) else "")
            med, p90 = timed(fn)
            out.append((who, name, med, p90, str(size)))
    return out


def _page(qs) -> int:
    count = qs.count()
    list(qs[:50])
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--reuse", action="store_true", help="Keep the database built by an earlier run.")
    args = parser.parse_args()
    setup_django(args.pg, BENCH_DB, fresh=not args.reuse)
    if not args.reuse:
        info = build(args.people, args.days)
        print(
            f"built {info['units']:,} units, {info['people']:,} people in {info['roster_s']:.1f} s; "
            f"{info['checkins']:,} check-ins over {args.days} days + day counts in {info['history_s']:.1f} s"
        )
    print(f"\n{'viewer':<22} {'selector':<30} {'median ms':>10} {'p90 ms':>8}  rows")
    for who, name, med, p90, size in run_timings():
        print(f"{who:<22} {name:<30} {med:>10.1f} {p90:>8.1f}  {size}")


if __name__ == "__main__":
    main()
