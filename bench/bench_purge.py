"""Benchmark of the purge: 30 days of 100,000 people's check-ins past retention, on PostgreSQL.

    .venv/bin/python bench/bench_purge.py                        # build + purge (100,000 people × 30 days)
    .venv/bin/python bench/bench_purge.py --people 10000         # smaller
    .venv/bin/python bench/bench_purge.py --batch 5000           # rows per transaction

Builds, on a fresh database ``lf_bench_purge`` (``--pg`` names the server, default
postgres://postgres@127.0.0.1:5432):

* the 1,221-unit tree and ``--people`` people of bench_dashboard_data.py (COPY);
* ``--days`` days of check-ins for everyone, all older than the health category's retention (90 days
  by default): 120 to 91 days ago, 3,000,000 rows for 100,000 people × 30 days (``INSERT … SELECT``
  over ``generate_series``, as bench_backup.py writes its history);
* one change-log row per check-in holding its values (what the check-in service writes), plus a
  week of today's-side check-ins that must be kept.

Then runs the purge of the health category exactly as the nightly job does
(``lianfang.privacy.purge.run_retention``), while a probe on its own connection inserts a check-in
for today every 20 ms, as people checking in at that hour would: its slowest insert shows whether
the purge holds check-ins up. Prints a table: rows deleted, change-log rows redacted, seconds,
rows per second, the longest single purge transaction, and the probe's slowest insert. Checks at the
end that nothing past retention is left and that no change-log row still holds a purged value.
Target: < 5 minutes, no transaction longer than ~1 s. Benchmarks are not tests (STYLE.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BENCH_DB = "lf_bench_purge"


def add_history(days: int, first_age: int) -> tuple[int, int]:
    """``days`` days of check-ins for everyone, from ``first_age`` days ago backwards, with one change-log
    row each holding the values; returns (check-ins, change-log rows)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO health_checkin (person_id, unit_id, date, temperature, symptoms, symptom_note, "
            "location_code, location_name, work_mode, answers, is_fever, is_flagged, flag_reasons, source, "
            "reported_by_id, created, updated) "
            "SELECT p.id, p.unit_id, current_date - d, 36.5, '[]', '咽痛 ' || p.id, '110105', '北京市朝阳区', "
            '\'on_site\', \'{"1": "no", "2": "no", "3": "green"}\', false, false, \'[]\', \'self\', NULL, '
            "now() - d * interval '1 day', now() - d * interval '1 day' "
            "FROM people_person p CROSS JOIN generate_series(%s, %s) AS d",
            [first_age, first_age + days - 1],
        )
        checkins = cur.rowcount
        cur.execute("SELECT id FROM django_content_type WHERE app_label = 'health' AND model = 'checkin'")
        content_type = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO core_objectchange (time, user_id, user_name, request_id, action, content_type_id, "
            "object_id, object_repr, unit_id, prechange_data, postchange_data) "
            "SELECT c.created, NULL, '', gen_random_uuid(), 'create', %s, c.id, c.person_id || ' ' || c.date, "
            "c.unit_id, NULL, jsonb_build_object('person_id', c.person_id, 'date', c.date, 'temperature', '36.5', "
            "'symptom_note', c.symptom_note, 'work_mode', c.work_mode, 'location_name', c.location_name, "
            "'answers', c.answers) FROM health_checkin c WHERE c.date BETWEEN current_date - %s AND current_date - %s",
            [content_type, first_age + days - 1, first_age],
        )
        changes = cur.rowcount
        cur.execute("ANALYZE")
    return checkins, changes


def probe(pg_url: str, person_ids: list[int], unit_id: int, stop: threading.Event, latencies: list[float]) -> None:
    """Insert a check-in for today every 20 ms on its own connection (autocommit, as a request would)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        for person_id in person_ids:
            if stop.is_set():
                return
            t0 = time.perf_counter()
            conn.execute(
                "INSERT INTO health_checkin (person_id, unit_id, date, temperature, symptoms, symptom_note, "
                "location_code, location_name, work_mode, answers, is_fever, is_flagged, flag_reasons, source, "
                "created, updated) VALUES (%s, %s, current_date, 36.6, '[]', '', '', '', 'on_site', '{}', false, "
                "false, '[]', 'self', now(), now()) ON CONFLICT DO NOTHING",
                [person_id, unit_id],
            )
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2000, help="Rows per purge transaction.")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    args = parser.parse_args()

    from bench_dashboard_data import build_people, build_units, setup_django

    setup_django(args.pg, BENCH_DB, fresh=True)
    from django.db import connection, transaction

    from lianfang.core.extensions import personal_data_categories
    from lianfang.core.models import ObjectChange
    from lianfang.health.models import CheckIn
    from lianfang.people.models import Person
    from lianfang.privacy import purge
    from lianfang.privacy.models import PurgeTrigger

    retention = personal_data_categories.get("health").retention_days
    t0 = time.perf_counter()
    with transaction.atomic():
        _units, leaves = build_units()
        build_people(leaves, args.people)
    checkins, changes = add_history(args.days, retention + 1)
    kept, _kept_changes = add_history(7, 1)
    build_s = time.perf_counter() - t0
    print(
        f"built {args.people:,} people, {checkins:,} check-ins past retention ({args.days} days, {retention + 1}–"
        f"{retention + args.days} days old) and {kept:,} recent ones, with {changes:,} + {kept:,} change-log rows, "
        f"in {build_s:.0f} s"
    )

    people = list(Person.objects.order_by("pk").values_list("pk", "unit_id")[:20000])
    latencies: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=probe,
        args=(f"{args.pg}/{BENCH_DB}", [p for p, _u in people], people[0][1], stop, latencies),
        daemon=True,
    )
    thread.start()
    t0 = time.perf_counter()
    receipt = purge.run_retention(category="health", trigger=PurgeTrigger.COMMAND, batch=args.batch)
    seconds = time.perf_counter() - t0
    stop.set()
    thread.join()

    row = receipt.categories["health"]
    before = datetime.date.fromisoformat(row["before"])
    left = CheckIn.objects.filter(date__lt=before).count()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM core_objectchange WHERE postchange_data ? 'symptom_note' "
            "AND (postchange_data->>'date')::date < %s",
            [before],
        )
        unredacted = cur.fetchone()[0]
    deleted = row["deleted"]
    print(
        f"\n{'purge of the health category':<30} {'rows':>11} {'changes':>11} {'seconds':>8} {'rows/s':>9} "
        f"{'longest tx ms':>14} {'check-in probe max ms':>22} {'p99 ms':>7}"
    )
    lat = sorted(latencies) or [0.0]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print(
        f"{f'batch {args.batch}':<30} {deleted:>11,} {row['changes_redacted']:>11,} {seconds:>8.1f} "
        f"{deleted / seconds if seconds else 0:>9,.0f} {receipt.longest_transaction_ms:>14,} "
        f"{max(lat):>22.0f} {p99:>7.0f}"
    )
    print(
        f"\nprobe: {len(latencies)} check-ins inserted during the purge, median {statistics.median(lat):.1f} ms; "
        f"left past retention: {left}; change-log rows still holding values: {unredacted}; "
        f"recent check-ins kept: {CheckIn.objects.filter(date__gte=before).count():,}"
    )
    print(
        f"change-log rows in all: {ObjectChange.objects.count():,}. Target: < 300 s, longest transaction ~1 s "
        "(PostgreSQL, 2 cores shared with the load)."
    )


if __name__ == "__main__":
    main()
