"""Benchmark: the liaison's pages for a 1,000-person unit, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_liaison_pages.py                 # 1,000 people, 9 runs per page
    .venv/bin/python bench/bench_liaison_pages.py --people 2000 --runs 15 --backends postgresql

Builds, on a fresh database per backend in a subprocess (``bench/harness.py``): a group, one
subsidiary and its department — the unit — with ``--people`` active people (three in five directly
in the department, the rest on four sites below it), four in five with an account, every phone
filled; the department's liaison (unit administrator) with a name and phone on the unit, and a WeCom
robot on the department, so the page works out the chat groups as it does in use.

Then requests each page as the liaison, through Django's whole stack (middleware, session, view,
template) with the test client, ``--runs`` times after one warm-up request, and prints the median
and the maximum in milliseconds:

* the non-reporter list in the morning, before anyone has checked in (all ``--people`` on the list,
  the first page of 50, the copy text with every name, one audit event for the page's phones);
* the same list at noon, when seven in ten have checked in (written in bulk, then ``ANALYZE`` on
  PostgreSQL as autovacuum would run it); and its last page;
* the morning check (晨检) page of the unit, for comparison.

Benchmarks are not tests: nothing here gates CI on a time (STYLE.md). The target is 300 ms.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from harness import DEFAULT_PG_URL, run_child  # noqa: E402

BENCH_DB = "lianfang_bench_liaison"


def child(people: int, runs: int) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Pages link their CSS through the manifest, as in production (the data folder is the child's own).
    call_command("collectstatic", interactive=False, verbosity=0)
    from decimal import Decimal

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from lianfang.core.models import AuditEvent, AuditKind
    from lianfang.health.models import CheckIn
    from lianfang.notify.models import RobotChannel
    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment, Unit, UnitKind
    from lianfang.people.models import Person

    kinds = {k.code: k for k in UnitKind.objects.all()}
    group = Unit.objects.add_root(instance=Unit(code="G", name="基准集团", kind=kinds["group"]))
    sub = Unit.objects.add_child(group, instance=Unit(code="S", name="基准子公司", kind=kinds["subsidiary"]))
    dept = Unit.objects.add_child(
        sub,
        instance=Unit(
            code="D", name="基准部门", kind=kinds["department"], liaison="王联络", liaison_phone="13900000000"
        ),
    )
    sites = [
        Unit.objects.add_child(dept, instance=Unit(code=f"D-T{n}", name=f"基准站点{n}", kind=kinds["site"]))
        for n in range(1, 5)
    ]
    user_model = get_user_model()
    # Accounts and people are set-up, written in bulk (a person written this way has no ID number,
    # so no digest to keep either).
    users = user_model.objects.bulk_create(
        [user_model(username=f"b{i:05d}", password="!") for i in range(people) if i % 5]
    )
    accounts = iter(users)
    surnames = "张王李赵刘陈杨黄周吴"
    rows = []
    for i in range(people):
        unit = dept if i % 5 < 3 else sites[i % 4]
        rows.append(
            Person(
                name=f"{surnames[i % 10]}{'小' if i % 3 else ''}明{i % 100:02d}",
                employee_no=f"B{i:06d}",
                phone=f"139{i:08d}",
                unit=unit,
                user=next(accounts) if i % 5 else None,
            )
        )
    Person.objects.bulk_create(rows, batch_size=2000)
    liaison = user_model.objects.create(username="liaison", first_name="王联络")
    liaison.set_password("bench-pw-2026")
    liaison.save()
    RoleAssignment.objects.create(user=liaison, unit=dept, role=Role.UNIT_ADMIN)
    RobotChannel.objects.create(
        unit=dept, kind="wecom", name="部门群", webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"
    )

    def analyze() -> None:
        """Refresh the planner's statistics after a bulk load, as autovacuum does within a minute of
        the morning's check-ins (without it PostgreSQL plans the new day's rows as if there were one)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    analyze()
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(liaison)
    url = reverse("health:non-reporters")
    proxy_url = reverse("health:proxy") + f"?unit={dept.pk}"

    def timed(path: str) -> list[float]:
        assert client.get(path).status_code == 200, path  # warm-up
        out = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(path)
            out.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, path
        return out

    results: dict[str, list[float]] = {}
    results["non-reporters, morning (all on the list)"] = timed(f"{url}?unit={dept.pk}")
    morning_events = AuditEvent.objects.filter(kind=AuditKind.UNMASK).count()

    today = timezone.localdate()
    checked = [p for n, p in enumerate(Person.objects.order_by("pk")) if n % 10 < 7]
    CheckIn.objects.bulk_create(
        [CheckIn(person=p, unit_id=p.unit_id, date=today, temperature=Decimal("36.5")) for p in checked],
        batch_size=2000,
    )
    analyze()
    results["non-reporters, noon (3 in 10 left)"] = timed(f"{url}?unit={dept.pk}")
    results["non-reporters, noon, last page"] = timed(f"{url}?unit={dept.pk}&page=999")
    try:
        results["morning check (proxy) page"] = timed(proxy_url)
    except Exception as exc:  # the page belongs to another change; report it, keep the figures above
        results["morning check (proxy) page"] = []
        print(f"morning check page failed: {exc!r}", file=sys.stderr)
    facts = {
        "people": people,
        "on the list at noon": people - len(checked),
        "audit events per morning view": round(morning_events / (runs + 1), 2),
        "date": datetime.date.today().isoformat(),
    }
    print(json.dumps({"facts": facts, "results": results}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.people, args.runs)
        return
    print(f"{'backend':<11} {'page (' + str(args.people) + ' people)':<42} {'median ms':>10} {'max ms':>8}")
    for backend in args.backends.split(","):
        data = run_child(
            __file__,
            ["--people", str(args.people), "--runs", str(args.runs)],
            backend=backend,
            pg_url=args.pg_url,
            db_name=BENCH_DB,
        )
        for name, times in data["results"].items():
            if times:
                print(f"{backend:<11} {name:<42} {statistics.median(times):>10.1f} {max(times):>8.1f}")
            else:
                print(f"{backend:<11} {name:<42} {'failed':>10}")
        print(f"{backend:<11} {json.dumps(data['facts'], ensure_ascii=False)}")


if __name__ == "__main__":
    main()
