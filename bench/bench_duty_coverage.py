"""Benchmark: the duty coverage check for 1,000 duty posts × 7 days, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_duty_coverage.py                      # 1,000 posts
    .venv/bin/python bench/bench_duty_coverage.py --posts 5000 --backends sqlite

Builds group → 50 subsidiaries → 20 sites (1,000 sites, each a duty post with four people) on a fresh
database in a subprocess per backend, and two weeks of day and night shifts for every post (a leader
and an officer each, written directly: the point is the volume, not the path); one post in ten misses
its leader one night. Then times:

* ``coverage_gaps`` over every post for the next 7 days (the coverage page of the office, the core of
  the periodic check), 15 runs;
* ``coverage_alert_due``: the first run alerts the gaps starting within 24 hours (inbox rows, one
  alert row per gap), the second finds them alerted and sends nothing.

Benchmarks are not tests: nothing here gates CI on a time (STYLE.md). Target: the check under 2 s.
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

from harness import run_child  # noqa: E402

BENCH_DB = "lianfang_bench_duty"
REPEAT = 15


def child(count: int) -> None:
    os.environ.setdefault("LIANFANG_FIELD_KEY", "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from lianfang.duty.choices import MemberRole, Pattern
    from lianfang.duty.models import CoverageGap, DutyPost, Shift, ShiftMember
    from lianfang.duty.selectors import coverage_gaps
    from lianfang.duty.services.coverage import coverage_alert_due
    from lianfang.notify.models import Message
    from lianfang.org.models import Unit, UnitKind
    from lianfang.people.models import Person

    kinds = {k.code: k for k in UnitKind.objects.all()}
    per = max(1, count // 50)

    def node(code: str, kind: str, children: list | None = None) -> dict:
        return {"data": {"code": code, "name": f"单位{code}", "kind_id": kinds[kind].pk}, "children": children or []}

    started = time.perf_counter()
    Unit.objects.load_bulk(
        [
            node(
                "G",
                "group",
                [
                    node(f"S{s:02d}", "subsidiary", [node(f"S{s:02d}-{t:03d}", "site") for t in range(per)])
                    for s in range(50)
                ],
            )
        ]
    )
    sites = list(Unit.objects.filter(depth=3).order_by("path")[:count])
    Person.objects.bulk_create(
        [
            Person(name=f"值班{u.pk}-{i}", employee_no=f"D{u.pk}-{i}", unit=u, phone=f"139{u.pk:05d}{i:03d}")
            for u in sites
            for i in range(4)
        ],
        batch_size=2000,
    )
    people: dict[int, list[int]] = {}
    for pk, unit_id in Person.objects.values_list("pk", "unit_id"):
        people.setdefault(unit_id, []).append(pk)
    DutyPost.objects.bulk_create(
        [
            DutyPost(
                unit=u,
                phone="0913-1",
                pattern=Pattern.DAY_NIGHT,
                day_starts=datetime.time(8),
                night_starts=datetime.time(20),
            )
            for u in sites
        ]
    )
    posts = list(DutyPost.objects.order_by("pk"))
    tz = timezone.get_current_timezone()
    today = timezone.localdate()
    shifts = []
    for post in posts:
        for d in range(-1, 13):
            day = today + datetime.timedelta(days=d)
            day_start = datetime.datetime.combine(day, datetime.time(8), tzinfo=tz)
            night_start = datetime.datetime.combine(day, datetime.time(20), tzinfo=tz)
            shifts.append(Shift(post=post, starts_at=day_start, ends_at=night_start))
            shifts.append(Shift(post=post, starts_at=night_start, ends_at=day_start + datetime.timedelta(days=1)))
    Shift.objects.bulk_create(shifts, batch_size=5000)
    unit_of = {p.pk: p.unit_id for p in posts}
    members = []
    for n, (shift_id, post_id, starts_at) in enumerate(
        Shift.objects.order_by("pk").values_list("pk", "post_id", "starts_at")
    ):
        crew = people[unit_of[post_id]]
        night = timezone.localtime(starts_at, tz).hour == 20
        # One post in ten has no leader on the night in three days.
        missing = (
            post_id % 10 == 0 and night and timezone.localdate(starts_at, tz) == today + datetime.timedelta(days=3)
        )
        if not missing:
            members.append(ShiftMember(shift_id=shift_id, person_id=crew[n % 2], role=MemberRole.LEADER))
        members.append(ShiftMember(shift_id=shift_id, person_id=crew[2 + n % 2], role=MemberRole.OFFICER))
    ShiftMember.objects.bulk_create(members, batch_size=5000)
    build_s = time.perf_counter() - started

    now = timezone.now()
    ids = [p.pk for p in posts]

    def timed(fn, repeat=REPEAT) -> list[float]:
        out = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    results: dict[str, list[float]] = {}
    gaps = coverage_gaps(ids, now, now + datetime.timedelta(days=7))
    results[f"coverage check, {len(ids)} posts × 7 days"] = timed(
        lambda: coverage_gaps(ids, now, now + datetime.timedelta(days=7))
    )
    # The run 12 hours before the leaderless night: its gaps are within 24 hours and get alerted.
    later = min(g.starts_at for g in gaps) - datetime.timedelta(hours=12)
    results["alert run (gaps within 24 h alerted)"] = timed(lambda: coverage_alert_due(now=later), repeat=1)
    results["alert run again (nothing sent twice)"] = timed(lambda: coverage_alert_due(now=later), repeat=3)
    print(
        json.dumps(
            {
                "build_s": build_s,
                "results": results,
                "gaps": len(gaps),
                "alerted": CoverageGap.objects.count(),
                "messages": Message.objects.count(),
                "shifts": len(shifts),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.posts)
        return
    print(f"{'backend':<11} {'operation':<44} {'median ms':>10} {'max ms':>8}")
    for backend in args.backends.split(","):
        data = run_child(__file__, ["--posts", str(args.posts)], backend=backend, pg_url=args.pg_url, db_name=BENCH_DB)
        print(f"{backend:<11} {'build (bulk insert)':<44} {data['build_s'] * 1000:>10.0f} {'':>8}")
        for name, times in data["results"].items():
            print(f"{backend:<11} {name:<44} {statistics.median(times):>10.1f} {max(times):>8.1f}")
        print(f"{backend:<11} shifts: {data['shifts']}, gaps in 7 days: {data['gaps']}, alerted: {data['alerted']}")


if __name__ == "__main__":
    main()
