"""Benchmark: ``lianfang backup`` and ``lianfang restore`` of a 100,000-person database on PostgreSQL.

    .venv/bin/python bench/bench_backup.py                          # 100,000 people, 14 days of check-ins
    .venv/bin/python bench/bench_backup.py --people 20000 --days 30

What it does:

1. builds ``lianfang_bench_checkin`` as bench_checkin.py does (``--pg``, a tree of 10 subsidiaries,
   ``--people`` employees with accounts and API tokens), then adds ``--days`` days of check-ins for
   everyone with one change-log row each, as the daily check-in writes them (SQL ``INSERT … SELECT``:
   the point is the volume, not the path);
2. times ``lianfang backup`` (pg_dump in the snapshot of the row counts, the archive written);
3. creates an empty database ``lianfang_bench_restore``, runs ``lianfang migrate`` on it (a new
   server's first step) and times ``lianfang restore`` into it (checksums, pg_restore --clean
   --single-transaction, the rows counted again and compared with the manifest);
4. prints rows, archive size and the seconds of each step. Benchmarks are not tests: nothing gates
   on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_checkin import BENCH_DB, build, environment  # noqa: E402

RESTORE_DB = "lianfang_bench_restore"


def add_history(days: int) -> tuple[int, int]:
    """``days`` days of check-ins for everyone, and their change-log rows; returns (check-ins, changes)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO health_checkin (person_id, unit_id, date, temperature, symptoms, symptom_note, "
            "location_code, location_name, work_mode, answers, is_fever, is_flagged, flag_reasons, source, "
            "reported_by_id, created, updated) "
            "SELECT p.id, p.unit_id, current_date - d, 36.5, '[]', '', '110105', '北京市朝阳区', 'on_site', "
            '\'{"1": "no", "2": "no", "3": "green"}\', false, false, \'[]\', \'self\', NULL, '
            "now() - d * interval '1 day', now() - d * interval '1 day' "
            "FROM people_person p CROSS JOIN generate_series(1, %s) AS d",
            [days],
        )
        checkins = cur.rowcount
        cur.execute("SELECT id FROM django_content_type WHERE app_label = 'health' AND model = 'checkin'")
        content_type = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO core_objectchange (time, user_id, user_name, request_id, action, content_type_id, "
            "object_id, object_repr, unit_id, prechange_data, postchange_data) "
            "SELECT c.created, NULL, '', gen_random_uuid(), 'create', %s, c.id, '健康打卡', c.unit_id, NULL, "
            "jsonb_build_object('person_id', c.person_id, 'date', c.date, 'temperature', '36.5', "
            "'work_mode', c.work_mode, 'location_name', c.location_name, 'answers', c.answers) "
            "FROM health_checkin c",
            [content_type],
        )
        changes = cur.rowcount
        cur.execute("ANALYZE")
    return checkins, changes


def lianfang(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lianfang.cli", *args], env=env, cwd=ROOT, check=True)  # noqa: S603
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=14)
    options = parser.parse_args()

    start = time.perf_counter()
    build(options.pg, options.people)
    checkins, changes = add_history(options.days)
    print(f"built {options.people:,} people, {checkins:,} check-ins, {changes:,} change-log rows "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip

    from django.db import connection

    connection.close()
    work = Path(tempfile.mkdtemp(prefix="lianfang-bench-backup-"))
    env = environment(options.pg)
    env["LIANFANG_DATA_DIR"] = str(work / "data")
    archive = work / "bench.tar.gz"
    backup_s = lianfang(env, "backup", str(archive))
    size_mb = archive.stat().st_size / 1e6

    import psycopg

    with psycopg.connect(f"{options.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{RESTORE_DB}"')
    env["DATABASE_URL"] = f"{options.pg}/{RESTORE_DB}"
    migrate_s = lianfang(env, "migrate", "--verbosity", "0")
    restore_s = lianfang(env, "restore", str(archive))

    print()
    print("| people | check-ins | change-log rows | archive | backup | migrate (new server) | restore |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {options.people:,} | {checkins:,} | {changes:,} | {size_mb:.0f} MB | {backup_s:.0f} s | "
          f"{migrate_s:.0f} s | {restore_s:.0f} s |")  # fmt: skip
    with psycopg.connect(f"{options.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
