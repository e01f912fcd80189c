"""Benchmark: the escalation scan of urgent matters over 10,000 open matters, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_escalation.py                  # 10,000 open matters
    .venv/bin/python bench/bench_escalation.py --matters 50000 --backends postgresql

Builds group → 50 subsidiaries → 4 sites on a fresh database in a subprocess per backend, and
``--matters`` open urgent matters (each with its live level, written directly: the point is the
volume, not the path), spread so that their clocks fall over the next day. Then times, through
the service the minute job calls (``escalation_scan``):

* the steady state: a scan in which no clock is due (what almost every minute looks like), 15 runs;
* a busy minute: 100 levels miss their acknowledgement at once (100 leaders told: inbox rows), then
  the same minute again (nothing sent twice);
* a burst after a dead worker: 1,000 clocks missed and past their grace period, each skipped a level.

Benchmarks are not tests: nothing here gates CI on a time (STYLE.md). Target: the steady-state scan
under 1 s at 10,000 open matters.
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

BENCH_DB = "lianfang_bench_escalation"
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

    from lianfang.command import selectors
    from lianfang.command.choices import HopVia, MatterKind
    from lianfang.command.models import Hop, SeverityLevel, UrgentMatter
    from lianfang.command.services.escalation import escalation_scan
    from lianfang.command.services.levels import ensure_default_levels
    from lianfang.notify.models import Message
    from lianfang.org.models import Unit, UnitKind

    # No rosters in this database: every subsidiary and the group keep duty.
    kinds = {k.code: k for k in UnitKind.objects.all()}

    def node(code: str, kind: str, children: list | None = None) -> dict:
        return {"data": {"code": code, "name": f"单位{code}", "kind_id": kinds[kind].pk}, "children": children or []}

    Unit.objects.load_bulk(
        [
            node(
                "G",
                "group",
                [node(f"S{s:02d}", "subsidiary", [node(f"S{s:02d}-{t}", "site") for t in range(4)]) for s in range(50)],
            )
        ]
    )
    subsidiaries = list(Unit.objects.filter(depth=2).order_by("path"))
    sites = list(Unit.objects.filter(depth=3).order_by("path"))
    duty_ids = {u.pk for u in subsidiaries} | {Unit.objects.get(depth=1).pk}
    selectors.duty_unit_ids = lambda: set(duty_ids)  # type: ignore[assignment]
    selectors.on_duty = lambda unit_ids, at: {}  # type: ignore[assignment]
    ensure_default_levels()
    major = SeverityLevel.objects.get(code="major")
    now = timezone.now().replace(microsecond=0)
    minute = datetime.timedelta(minutes=1)

    started = time.perf_counter()
    matters = [
        UrgentMatter(
            number=f"JJ-2026-{i + 1:05d}",
            unit=sites[i % len(sites)],
            kind=MatterKind.OTHER,
            severity=major,
            title=f"事项 {i}",
            description="—",
            occurred_at=now,
            reported_at=now,
            followup_minutes=120,
            followup_due=now + (i % 1440 + 5) * minute,
        )
        for i in range(count)
    ]
    UrgentMatter.objects.bulk_create(matters, batch_size=2000)
    hops = []
    for i, m in enumerate(UrgentMatter.objects.order_by("pk").select_related("unit")):
        due = now + (i % 1440 + 5) * minute  # clocks spread over the next day
        hops.append(
            Hop(
                matter_id=m.pk,
                seq=1,
                unit=subsidiaries[(i % len(sites)) // 4],
                via=HopVia.REPORTED,
                received_at=now,
                ack_due=due,
                written_due=due + 15 * minute,
                skip_ack_at=due + 15 * minute,
                skip_written_at=due + 30 * minute,
            )
        )
    Hop.objects.bulk_create(hops, batch_size=2000)
    build_s = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum does after a load; the planner needs the counts

    def timed(fn, repeat=REPEAT) -> list[float]:
        out = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    from django.urls import reverse

    reverse("command:board")  # load the URL configuration once, as a running worker has it
    results: dict[str, list[float]] = {}
    results[f"scan, nothing due ({count} open)"] = timed(lambda: escalation_scan(now=now))
    # 100 hops (those due at +5 … +104 min, every 1440th) miss their clock in the same minute.
    busy_at = now + 5 * minute + datetime.timedelta(seconds=30)
    Hop.objects.filter(pk__in=[h.pk for h in Hop.objects.order_by("pk")[: count : max(1, count // 100)]]).update(
        ack_due=busy_at - datetime.timedelta(seconds=10)
    )
    results["scan, 100 acknowledgements missed"] = timed(lambda: escalation_scan(now=busy_at), repeat=1)
    results["same minute again (nothing sent twice)"] = timed(lambda: escalation_scan(now=busy_at), repeat=3)
    sent = Message.objects.count()
    # A worker down for a while: 1,000 clocks missed and past the grace period, each skips a level.
    late = list(Hop.objects.filter(escalated_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:1000])
    Hop.objects.filter(pk__in=late).update(ack_due=now - 40 * minute, skip_ack_at=now - 20 * minute)
    if os.environ.get("BENCH_PROFILE"):  # where the time goes, on stderr
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
    results["scan, 1,000 levels skipped (越级)"] = timed(lambda: escalation_scan(now=now), repeat=1)
    if os.environ.get("BENCH_PROFILE"):
        profile.disable()
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    skipped = Hop.objects.filter(via=HopVia.ESCALATED).count()
    print(json.dumps({"build_s": build_s, "results": results, "sent": sent, "skipped": skipped}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matters", type=int, default=10_000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.matters)
        return
    print(f"{'backend':<11} {'operation':<44} {'median ms':>10} {'max ms':>8}")
    for backend in args.backends.split(","):
        data = run_child(
            __file__, ["--matters", str(args.matters)], backend=backend, pg_url=args.pg_url, db_name=BENCH_DB
        )
        print(f"{backend:<11} {'build (bulk insert)':<44} {data['build_s'] * 1000:>10.0f} {'':>8}")
        for name, times in data["results"].items():
            print(f"{backend:<11} {name:<44} {statistics.median(times):>10.1f} {max(times):>8.1f}")
        print(f"{backend:<11} inbox messages sent: {data['sent']}, levels skipped: {data['skipped']}")


if __name__ == "__main__":
    main()
