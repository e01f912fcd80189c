"""Benchmark: check-ins through the HTTP API on PostgreSQL with the production server.

    .venv/bin/python bench/bench_checkin.py                      # 2 workers × 4 threads, 3 runs of 15 s
    .venv/bin/python bench/bench_checkin.py --workers 4 --threads 2 --clients 2 --concurrency 32

What it does:

1. builds a fresh database ``lianfang_bench_checkin`` (``--pg``, default
   postgres://postgres@127.0.0.1:5432) with a small tree and ``--people`` employees (default 60,000),
   each with an account and an API token (written in bulk: the point is the check-ins);
2. starts the server exactly as production does, ``lianfang serve --no-jobs`` (gunicorn with
   ``--workers``/``--threads``, bound to 127.0.0.1 on a free port), and waits for /healthz;
3. load: ``--clients`` processes × ``--concurrency`` threads in total, each thread with its own
   keep-alive HTTP connection to 127.0.0.1 only, for ``--seconds`` seconds per run (bounded by the
   number of people too). First the trivial endpoint ``GET /healthz`` (one ``SELECT 1``: the
   server's ceiling), then ``POST /api/v1/checkins/`` with token auth, every request for a
   *different* person (the first check-in of the day: insert, day counts, change log — the
   expensive path), with the seed questions answered;
4. prints, per run and as the median of ``--runs`` runs: requests per second, p50 and p99 latency,
   and errors. Then checks that the day counts equal the number of check-ins.

The load generator runs on the same 2 cores as gunicorn and PostgreSQL, so it takes part of the
machine it measures; the CPU time each side used is printed to show how much. Benchmarks are not
tests: nothing gates on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "lianfang_bench_checkin"


# --- set-up (in this process, with Django) -----------------------------------------------------


def environment(pg: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{pg}/{BENCH_DB}",
        LIANFANG_FIELD_KEY="bGlhbmZhbmctYmVuY2htYXJrLWtleS0zMi1ieXRlcyE=",
        SECRET_KEY="bench-" + "x" * 50,
        LIANFANG_DATA_DIR=env.get("LIANFANG_DATA_DIR") or tempfile.mkdtemp(prefix="lianfang-bench-"),
        DJANGO_SETTINGS_MODULE="lianfang.settings",
        DEBUG="0",
    )
    env.pop("LIANFANG_JOBS_IMMEDIATE", None)
    return env


def build(pg: str, people: int) -> tuple[list[str], dict]:
    """Fresh database, tree, people with accounts and tokens; returns the tokens and the answers."""
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ.update(environment(pg))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    call_command("migrate", verbosity=0)
    from bench.bench_dashboard_data import build_people, build_units
    from lianfang.core.bulk import fast_insert
    from lianfang.health.models import Question
    from lianfang.health.services import unit_day_open
    from lianfang.people.models import Person

    User = get_user_model()
    with transaction.atomic():
        _units, leaves = build_units(subsidiaries=10, departments=5, sites=4)
        build_people(leaves, people)
        # Accounts as activation makes them (username = employee number); the password is not
        # used: the API is called with tokens.
        fast_insert(
            User,
            [
                User(username=no, password="!", is_active=True)
                for no in Person.objects.values_list("employee_no", flat=True)
            ],
            batch=20000,
        )
        ids = dict(User.objects.values_list("username", "pk"))
        people_rows = list(Person.objects.only("pk", "employee_no"))
        for p in people_rows:
            p.user_id = ids[p.employee_no]
        Person.objects.bulk_update(people_rows, ["user"], batch_size=5000)
        tokens = [Token(key=Token.generate_key(), user_id=uid) for uid in ids.values()]
        Token.objects.bulk_create(tokens, batch_size=5000)
    unit_day_open()
    answers = {
        str(q.current_id): {"travel-risk-area": "no", "contact-case": "no", "health-code": "green"}[q.code]
        for q in Question.objects.filter(code__in=["travel-risk-area", "contact-case", "health-code"])
    }
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    connection.close()
    return [t.key for t in tokens], answers


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict, port: int, workers: int, threads: int) -> subprocess.Popen:
    argv = [
        sys.executable,
        "-m",
        "lianfang.cli",
        "serve",
        "--no-jobs",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
    ]
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not start: " + (proc.stderr.read().decode() if proc.stderr else ""))


def server_cpu_seconds(proc: subprocess.Popen) -> float:
    """CPU time of the server's process tree (serve + gunicorn master + workers) so far."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pids = [proc.pid]
    seen = set()
    while pids:
        pid = pids.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            pids.extend(int(c) for c in children)
        except OSError:
            continue
    return total


def postgres_cpu_seconds() -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if "(postgres)" in text or "(postmaster)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


# --- the load generator (no Django here) -----------------------------------------------------


def client_process(port: int, kind: str, jobs: list[str], threads: int, seconds: float, answers: dict, out) -> None:
    lock = threading.Lock()
    queue = list(reversed(jobs))
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop_at:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            t = time.perf_counter()
            try:
                if kind == "healthz":
                    conn.request("GET", "/healthz")
                else:
                    body = json.dumps({"temperature": "36.5", "location_code": "420102", "answers": answers})
                    conn.request(
                        "POST",
                        "/api/v1/checkins/",
                        body=body,
                        headers={
                            "Authorization": f"Token {token}",
                            "Content-Type": "application/json",
                            "Accept-Language": "en",
                        },
                    )
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - t
            with lock:
                if status in (200, 201):
                    latencies.append(elapsed)
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put({"latencies": latencies, "errors": errors, "cpu": usage.ru_utime + usage.ru_stime})


def load(port: int, kind: str, jobs: list[str], clients: int, concurrency: int, seconds: float, answers: dict) -> dict:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    per = concurrency // clients
    shares = [jobs[i::clients] for i in range(clients)]
    procs = [
        ctx.Process(target=client_process, args=(port, kind, shares[i], per, seconds, answers, out))
        for i in range(clients)
    ]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = time.perf_counter() - start
    latencies = sorted(x for r in results for x in r["latencies"])
    errors: dict[str, int] = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    n = len(latencies)
    return {
        "n": n,
        "rate": n / wall,
        "p50": latencies[n // 2] * 1000 if n else 0,
        "p99": latencies[min(n - 1, int(n * 0.99))] * 1000 if n else 0,
        "errors": errors,
        "wall": wall,
        "client_cpu": sum(r["cpu"] for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in total")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    tokens, answers = build(args.pg, args.people)
    print(f"built {len(tokens):,} people with accounts and tokens in {time.perf_counter() - t:.1f} s")
    env = environment(args.pg)
    port = free_port()
    server = start_server(env, port, args.workers, args.threads)
    print(
        f"lianfang serve --no-jobs: {args.workers} workers × {args.threads} threads on 127.0.0.1:{port}; "
        f"load: {args.clients} processes, {args.concurrency} keep-alive connections, {args.seconds:.0f} s a run\n"
    )
    header = (
        f"{'endpoint':<22} {'run':>4} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  "
        f"{'cpu s: server/pg/client':<24} errors"
    )
    print(header)
    summary = {}
    try:
        load(port, "healthz", ["-"] * 2000, args.clients, args.concurrency, 3, answers)  # warm-up
        offset = 0
        for kind in ("healthz", "checkin"):
            rates, p50s, p99s = [], [], []
            for run in range(1, args.runs + 1):
                if kind == "healthz":
                    jobs = ["-"] * 10_000_000
                else:
                    jobs, offset = tokens[offset:], offset
                s0, g0 = server_cpu_seconds(server), postgres_cpu_seconds()
                r = load(port, kind, jobs, args.clients, args.concurrency, args.seconds, answers)
                s1, g1 = server_cpu_seconds(server), postgres_cpu_seconds()
                if kind == "checkin":
                    offset += r["n"] + sum(r["errors"].values())
                rates.append(r["rate"])
                p50s.append(r["p50"])
                p99s.append(r["p99"])
                cpu = f"{s1 - s0:.1f}/{g1 - g0:.1f}/{r['client_cpu']:.1f}"
                name = "GET /healthz" if kind == "healthz" else "POST /api/v1/checkins/"
                print(
                    f"{name:<22} {run:>4} {r['n']:>9,} {r['rate']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}  "
                    f"{cpu:<24} {r['errors'] or ''}"
                )
            summary[kind] = (statistics.median(rates), statistics.median(p50s), statistics.median(p99s))
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
    print("\nmedian of runs:")
    for kind, (rate, p50, p99) in summary.items():
        print(f"  {kind:<8} {rate:>7.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")

    from django.db.models import Sum

    from lianfang.health.models import CheckIn, UnitDayStat

    checkins = CheckIn.objects.count()
    reported = UnitDayStat.objects.aggregate(n=Sum("reported"))["n"]
    print(
        f"\ncheck-ins stored: {checkins:,}; day counts say {reported:,}: "
        + ("equal" if checkins == reported else "DIFFERENT")
    )


if __name__ == "__main__":
    main()
