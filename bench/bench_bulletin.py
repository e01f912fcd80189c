"""Benchmark: the group bulletin and the dashboard for 1,000 units, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_bulletin.py --subsidiaries 50 --departments 19

Builds group → S subsidiaries → D departments (S=50, D=19: 1,001 units) on a fresh database in a
subprocess per backend, with 30 days of per-unit day counts (``UnitDayStat``: 30,030 rows), a daily
report from every reporting unit for 30 days (on time, late or missing, some with case counts and
practices) and 200 raised items on the bulletin's day. The reporting tier is the department, so
950 units owe a report each day. Then times, through the services and selectors the pages use:
rebuilding the draft (every figure, the per-unit table, the 30-day trends), writing its .xlsx,
both together (the issue's target: < 5 s), the PDF, and the dashboard of the office and of a
subsidiary's liaison. Each operation runs 7 times; the table shows the median and the maximum in
milliseconds. Benchmarks are not tests: nothing here gates CI on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import run_child  # noqa: E402

from lianfang.reporting.services import bulletins as bulletin_services  # noqa: E402

BENCH_DB = "lianfang_bench_bulletin"
REPEAT = 7
DAYS = 30


def child(subsidiaries: int, departments: int) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from lianfang.health.models import UnitDayStat
    from lianfang.org.choices import Role, Tier
    from lianfang.org.models import GroupSettings, RoleAssignment, Unit, UnitKind
    from lianfang.reporting import exports as bulletin_exports
    from lianfang.reporting.choices import RaisedKind, ReportStatus
    from lianfang.reporting.models import RaisedItem, UnitDailyReport
    from lianfang.reporting.selectors import dashboard

    rng = random.Random(2020)
    kinds = {k.code: k for k in UnitKind.objects.all()}

    def node(code: str, kind: str, children: list | None = None) -> dict:
        return {"data": {"code": code, "name": f"单位{code}", "kind_id": kinds[kind].pk}, "children": children or []}

    tree = node(
        "G",
        "group",
        [
            node(f"S{s:03d}", "subsidiary", [node(f"S{s:03d}-D{d:02d}", "department") for d in range(departments)])
            for s in range(subsidiaries)
        ],
    )
    Unit.objects.load_bulk([tree])
    settings = GroupSettings.load()
    settings.reporting_tier = Tier.DEPARTMENT
    settings.save()

    day = timezone.localdate()
    units = list(Unit.objects.all())
    stats = []
    for unit in units:
        size = rng.randint(20, 200)
        for offset in range(DAYS):
            date = day - datetime.timedelta(days=offset)
            reported = size - rng.randint(0, size // 10)
            stats.append(
                UnitDayStat(
                    unit=unit,
                    date=date,
                    expected=size,
                    reported=reported,
                    fever=rng.choice([0, 0, 0, 1]),
                    flagged=rng.choice([0, 0, 1]),
                    on_site=reported,
                )
            )
    UnitDayStat.objects.bulk_create(stats, batch_size=5000)

    reporting = [u for u in units if u.depth == 3]
    reports = []
    for unit in reporting:
        for offset in range(DAYS):
            roll = rng.random()
            if roll < 0.05:
                continue  # missing
            values = {"new_confirmed": rng.choice([0, 0, 0, 1]), "home_isolation": rng.randint(0, 3)}
            if rng.random() < 0.1:
                values["practices"] = "错峰就餐，分餐到岗，每日两次消杀。"
            reports.append(
                UnitDailyReport(
                    unit=unit,
                    date=day - datetime.timedelta(days=offset),
                    status=ReportStatus.SUBMITTED,
                    is_late=roll < 0.15,
                    is_zero_report=roll > 0.7,
                    values=values,
                    submitted_at=timezone.now(),
                )
            )
    UnitDailyReport.objects.bulk_create(reports, batch_size=5000)
    todays = list(UnitDailyReport.objects.filter(date=day)[:200])
    RaisedItem.objects.bulk_create(
        [
            RaisedItem(report=r, unit_id=r.unit_id, kind=RaisedKind.NEED, text="急需口罩 2000 只、酒精 50 升")
            for r in todays
        ]
    )

    user_model = get_user_model()
    office = user_model.objects.create(username="office")
    liaison = user_model.objects.create(username="liaison")
    root = Unit.objects.get(code="G")
    RoleAssignment.objects.create(user=office, unit=root, role=Role.GROUP_ADMIN)
    RoleAssignment.objects.create(user=liaison, unit=Unit.objects.get(code="S000"), role=Role.UNIT_ADMIN)
    bulletin = bulletin_services.bulletin_build(actor=office, day=day)

    def timed(fn) -> list[float]:
        out = []
        for _ in range(REPEAT):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    def build_and_xlsx():
        b = bulletin_services.bulletin_build(actor=office, day=day)
        bulletin_exports.bulletin_xlsx(b)

    bulletin.refresh_from_db()
    results = {
        "rebuild the draft (all figures)": timed(lambda: bulletin_services.bulletin_build(actor=office, day=day)),
        "write its .xlsx": timed(lambda: bulletin_exports.bulletin_xlsx(bulletin)),
        "rebuild + .xlsx (target < 5 s)": timed(build_and_xlsx),
        "render its PDF": timed(lambda: bulletin_exports.bulletin_pdf(bulletin)),
        "dashboard, group office": timed(lambda: dashboard.dashboard_figures(viewer=office, day=day)),
        "dashboard, a subsidiary's liaison": timed(lambda: dashboard.dashboard_figures(viewer=liaison, day=day)),
    }
    data = bulletin.data
    facts = {
        "units": len(units),
        "stat_rows": len(stats),
        "reports": len(reports),
        "reporting_units": data["reports"]["expected"],
        "table_rows": len(data["rows"]),
    }
    print(json.dumps({"facts": facts, "results": results}))


def run(backend: str, subsidiaries: int, departments: int, pg_url: str) -> dict:
    return run_child(
        __file__,
        ["--subsidiaries", str(subsidiaries), "--departments", str(departments)],
        backend=backend,
        pg_url=pg_url,
        db_name=BENCH_DB,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subsidiaries", type=int, default=50)
    parser.add_argument("--departments", type=int, default=19, help="departments per subsidiary")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.subsidiaries, args.departments)
        return
    print(f"{'backend':<11} {'operation':<36} {'median ms':>10} {'max ms':>8}")
    for backend in args.backends.split(","):
        data = run(backend, args.subsidiaries, args.departments, args.pg_url)
        for name, times in data["results"].items():
            print(f"{backend:<11} {name:<36} {statistics.median(times):>10.1f} {max(times):>8.1f}")
        print(f"{backend:<11} {json.dumps(data['facts'])}")


if __name__ == "__main__":
    main()
