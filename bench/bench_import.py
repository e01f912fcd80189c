"""Benchmark: roster import of N rows from .xlsx, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_import.py --rows 100000

Each run is a fresh subprocess on a fresh database (so the peak RSS, read with
``resource.getrusage``, belongs to that run alone): migrate, create the benchmark unit tree, then
submit the file as a group-office administrator and run the job end to end, exactly as the job
worker does (size/type/zip checks, parse, validate, one-transaction write, change log, audit,
scope re-check). A second import of the same file in the same process measures the "nothing
changed" path. Three runs per backend; the table shows medians.

PostgreSQL: ``--pg-url`` (default postgres://postgres@127.0.0.1:5432) names the server; a database
``lianfang_bench`` is dropped and created for every run. Benchmarks are not tests: nothing here
gates CI on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate_roster import default_path, leaf_codes, tree_spec, write_roster  # noqa: E402

BENCH_DB = "lianfang_bench"
FIELD_KEY = "bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE="  # fixed: runs are comparable, data are fake


# --- the child: one run on one fresh database -----------------------------------------------------


def child(args: argparse.Namespace) -> None:
    os.environ["LIANFANG_JOBS_IMMEDIATE"] = "1"
    os.environ.setdefault("LIANFANG_FIELD_KEY", FIELD_KEY)
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    import resource

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.db import connection

    from lianfang.core.models import Job
    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment, Unit, UnitKind
    from lianfang.people.importer import roster_import_submit
    from lianfang.people.models import Person

    kinds = {k.code: k for k in UnitKind.objects.all()}
    units: dict[str, Unit] = {}
    for spec in tree_spec():
        unit = Unit(code=spec.code, name=spec.name, kind=kinds[spec.kind])
        units[spec.code] = (
            Unit.add_root(instance=unit) if spec.parent is None else units[spec.parent].add_child(instance=unit)
        )
    office = get_user_model().objects.create_user("bench-office", password="bench-pw-2026")
    RoleAssignment.objects.create(user=office, unit=units["BG"], role=Role.GROUP_ADMIN)
    data = Path(args.file).read_bytes()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    results = []
    for scenario in ("new", "unchanged"):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        job = roster_import_submit(actor=office, file_name=Path(args.file).name, data=data)
        job = Job.objects.get(pk=job.pk)
        total = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu_before
        if job.status != "succeeded":
            raise SystemExit(f"import failed: {job.errors[:5]}")
        seconds = job.result["seconds"]
        results.append(
            {
                "scenario": scenario,
                "rows": job.result["rows"],
                "created": job.result["created"],
                "unchanged": job.result["unchanged"],
                "parse": seconds["parse"],
                "validate": seconds["validate"],
                "write": seconds["write"],
                "total": total,
                "cpu": cpu,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    assert Person.objects.count() == args.rows
    print(
        json.dumps(
            {"vendor": connection.vendor, "rss_before_mb": rss_before, "results": results},
        )
    )


# --- the parent: runs, medians, table -------------------------------------------------------------


def _recreate_pg_database(base_url: str) -> str:
    import psycopg

    with psycopg.connect(f"{base_url}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return f"{base_url}/{BENCH_DB}"


def run_once(backend: str, file: Path, rows: int, pg_url: str) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="lianfang-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["LIANFANG_DATA_DIR"] = str(data_dir)
    if backend == "postgresql":
        env["DATABASE_URL"] = _recreate_pg_database(pg_url)
    try:
        out = subprocess.run(  # noqa: S603  (our own interpreter and script)
            [sys.executable, __file__, "--child", "--file", str(file), "--rows", str(rows)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(f"{backend} run failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Roster import benchmark (SQLite and PostgreSQL).")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--file", default=None, help="an existing roster .xlsx (default: generated and cached)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    file = Path(args.file) if args.file else default_path(args.rows)
    if not file.exists():
        print(f"generating {args.rows} rows into {file} …", flush=True)
        write_roster(file, args.rows, leaf_codes(tree_spec()))
    print(f"file: {file} ({file.stat().st_size / 1e6:.1f} MB), {args.runs} runs per backend, medians", flush=True)
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start\n", flush=True)

    header = f"{'backend':<11} {'import':<10} {'rows':>7} {'parse s':>8} {'validate s':>10} {'write s':>8} "
    header += f"{'total s':>8} {'CPU s':>6} {'peak RSS MB':>12}"
    lines = [header, "-" * len(header)]
    for backend in args.backends.split(","):
        runs = [run_once(backend, file, args.rows, args.pg_url) for _ in range(args.runs)]
        for index, scenario in enumerate(("new", "unchanged")):
            results = [run["results"][index] for run in runs]

            def median(key: str, results: list = results) -> float:
                return statistics.median(r[key] for r in results)

            lines.append(
                f"{backend:<11} {scenario:<10} {results[0]['rows']:>7} {median('parse'):>8.1f} "
                f"{median('validate'):>10.1f} {median('write'):>8.1f} {median('total'):>8.1f} {median('cpu'):>6.1f} "
                f"{median('peak_rss_mb'):>12.0f}"
            )
        print("\n".join(lines[-2:]), flush=True)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
