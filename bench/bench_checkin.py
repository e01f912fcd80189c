"""Benchmark: check-ins through the HTTP API on PostgreSQL with the production server.

    .venv/bin/python bench/bench_checkin.py                      # 2 workers × 4 threads, 3 runs of 15 s
    .venv/bin/python bench/bench_checkin.py --workers 4 --threads 2 --concurrency 32
    .venv/bin/python bench/bench_checkin.py --generator python --clients 2   # without wrk
    .venv/bin/python bench/bench_checkin.py --reuse --forget --runs 3 --seconds 10   # again on the same people

What it does:

1. builds a fresh database ``lianfang_bench_checkin`` (``--pg``, default
   postgres://postgres@127.0.0.1:5432) with a small tree and ``--people`` employees (default 60,000),
   each with an account and an API token (written in bulk: the point is the check-ins);
2. starts the server exactly as production does, ``lianfang serve --no-jobs`` (gunicorn with
   ``--workers``/``--threads``, bound to 127.0.0.1 on a free port), and waits for /healthz;
3. load: with ``--generator wrk`` (the default when ``wrk`` is installed: Debian's ``apt-get
   install wrk``; compiled, so it takes little of the 2 cores it shares with the server) one wrk
   thread with ``--concurrency`` keep-alive connections and a Lua script that gives every request
   its own token; with ``--generator python``, ``--clients`` processes × ``--concurrency`` threads
   in total, each with its own keep-alive ``http.client`` connection. 127.0.0.1 only, for
   ``--seconds`` seconds per run. First the trivial endpoint ``GET /healthz`` (one ``SELECT 1``:
   the server's ceiling), then ``POST /api/v1/checkins/`` with token auth, every request for a
   *different* person (the first check-in of the day: insert, day counts, change log — the
   expensive path), with the seed questions answered. Healthz and check-in runs alternate, so
   both see the same machine load;
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
import re
import resource
import shutil
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
    from lianfang.health.services.checkins import unit_day_open
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


def reuse(pg: str, *, forget: bool = False) -> tuple[list[str], dict]:
    """The last build's people who have not checked in today, and the answers.

    ``forget``: first delete every check-in of the last build, their change-log rows and the day
    counts, so that all its people check in again (a before/after pair on the same data).
    """
    os.environ.update(environment(pg))
    import django

    django.setup()
    if forget:
        from django.db import connection

        from lianfang.core.audit import purge_session

        # The change log is append-only (a trigger on PostgreSQL): only the purge's session may delete it.
        with purge_session(), connection.cursor() as cur:
            cur.execute(
                "DELETE FROM core_objectchange WHERE content_type_id = "
                "(SELECT id FROM django_content_type WHERE app_label = 'health' AND model = 'checkin')"
            )
            cur.execute("DELETE FROM health_checkin")
            cur.execute(
                "UPDATE health_unitdaystat SET reported = 0, fever = 0, flagged = 0, "
                "on_site = 0, remote = 0, on_leave = 0"
            )
        with connection.cursor() as cur:
            for table in ("health_checkin", "core_objectchange", "health_unitdaystat"):
                cur.execute(f"VACUUM ANALYZE {table}")
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from lianfang.health.models import CheckIn, Question

    done = CheckIn.objects.filter(date=timezone.localdate()).values("person__user_id")
    tokens = list(Token.objects.exclude(user_id__in=done).order_by("user_id").values_list("key", flat=True))
    answers = {
        str(q.current_id): {"travel-risk-area": "no", "contact-case": "no", "health-code": "green"}[q.code]
        for q in Question.objects.filter(code__in=["travel-risk-area", "contact-case", "health-code"])
    }
    return tokens, answers


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
    deadline = time.time() + 300  # serve migrates and collects static first: slow on a busy machine
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


def client_process(port: int, kind, jobs: list[str], threads: int, seconds: float, answers: dict, out) -> None:
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
                if callable(kind):  # another benchmark's request (bench_gate.py): (method, path, body, headers)
                    method, path, payload, headers = kind(token)
                    conn.request(method, path, body=payload, headers=headers)
                elif kind == "healthz":
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


def load(port: int, kind, jobs: list[str], clients: int, concurrency: int, seconds: float, answers: dict) -> dict:
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


# --- the load generator: wrk (compiled) ------------------------------------------------------

WRK_SCRIPT = r"""
-- Every request a different person's token, read from TOKENS (one per line); thread i of n takes
-- lines i, i+n, i+2n, … . When a thread runs out it starts again (the requests become corrections).
local tokens_file = os.getenv("TOKENS")
local body = os.getenv("BODY")
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  mine = {}
  local n = tonumber(os.getenv("THREADS"))
  local i = 0
  for line in io.lines(tokens_file) do
    if i % n == id then table.insert(mine, line) end
    i = i + 1
  end
  next_token = 1
end
function request()
  local token = mine[next_token]
  next_token = next_token + 1
  if next_token > #mine then next_token = 1 end
  return wrk.format("POST", "/api/v1/checkins/", {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
    ["Accept-Language"] = "en",
  }, body)
end
"""

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def load_wrk(port: int, kind: str, jobs: list[str], concurrency: int, seconds: float, answers: dict) -> dict:
    """One wrk thread (the server needs the cores more than the generator); latencies from --latency."""
    env = dict(os.environ)
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:.0f}s", "--latency", "--timeout", "30s"]
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "checkin":
            tokens = Path(tmp) / "tokens"
            tokens.write_text("\n".join(jobs) + "\n")
            script = Path(tmp) / "checkin.lua"
            script.write_text(WRK_SCRIPT)
            body = json.dumps({"temperature": "36.5", "location_code": "420102", "answers": answers})
            env.update(TOKENS=str(tokens), BODY=body, THREADS="1")
            argv += ["-s", str(script), f"http://127.0.0.1:{port}/api/v1/checkins/"]
        else:
            argv.append(f"http://127.0.0.1:{port}/healthz")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    wall = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    errors = {}
    if bad:
        errors["non-2xx"] = int(bad.group(1))
    if socket_errors:
        errors["socket"] = socket_errors.group(1).strip()  # type: ignore[assignment]
    good = n - errors.get("non-2xx", 0)
    if kind == "checkin" and n > len(jobs):
        errors["corrections (tokens ran out)"] = n - len(jobs)
    return {
        "n": good,
        "sent": n,
        "rate": good / wall,
        "p50": _ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
        "errors": errors,
        "wall": wall,
        "client_cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes (python generator)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections in total")
    parser.add_argument("--reuse", action="store_true", help="skip the build: check in the people of the last build")
    parser.add_argument("--forget", action="store_true", help="with --reuse: delete the last build's check-ins first")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    if args.reuse:
        tokens, answers = reuse(args.pg, forget=args.forget)
        print(f"reusing the last build: {len(tokens):,} people not yet checked in today")
    else:
        tokens, answers = build(args.pg, args.people)
        print(f"built {len(tokens):,} people with accounts and tokens in {time.perf_counter() - t:.1f} s")
    env = environment(args.pg)
    port = free_port()
    server = start_server(env, port, args.workers, args.threads)
    print(
        f"lianfang serve --no-jobs: {args.workers} workers × {args.threads} threads on 127.0.0.1:{port}; "
        f"load: {args.generator}"
        + (f" ({args.clients} processes)" if args.generator == "python" else " (1 thread)")
        + f", {args.concurrency} keep-alive connections, {args.seconds:.0f} s a run; "
        f"load average before: {os.getloadavg()[0]:.1f}\n"
    )
    header = (
        f"{'endpoint':<22} {'run':>4} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  "
        f"{'cpu s: server/pg/client':<24} {'ms/req':>9} {'load':>5}  errors"
    )
    print(header)
    summary = {}
    try:
        load(port, "healthz", ["-"] * 2000, args.clients, args.concurrency, 3, answers)  # warm-up
        offset = 0
        results: dict[str, list[dict]] = {"healthz": [], "checkin": []}
        for run in range(1, args.runs + 1):
            for kind in ("healthz", "checkin"):  # alternating: both see the same machine load
                jobs = ["-"] * 10_000_000 if kind == "healthz" else tokens[offset:]
                load_avg = os.getloadavg()[0]
                s0, g0 = server_cpu_seconds(server), postgres_cpu_seconds()
                if args.generator == "wrk":
                    r = load_wrk(port, kind, jobs, args.concurrency, args.seconds, answers)
                else:
                    r = load(port, kind, jobs, args.clients, args.concurrency, args.seconds, answers)
                s1, g1 = server_cpu_seconds(server), postgres_cpu_seconds()
                if kind == "checkin":
                    offset += r.get("sent", r["n"] + sum(v for v in r["errors"].values() if isinstance(v, int)))
                results[kind].append(r)
                cpu = f"{s1 - s0:.1f}/{g1 - g0:.1f}/{r['client_cpu']:.1f}"
                r["server_ms"] = (s1 - s0) / max(r["n"], 1) * 1000  # server CPU per request
                r["pg_ms"] = (g1 - g0) / max(r["n"], 1) * 1000
                name = "GET /healthz" if kind == "healthz" else "POST /api/v1/checkins/"
                print(
                    f"{name:<22} {run:>4} {r['n']:>9,} {r['rate']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f}  "
                    f"{cpu:<24} {r['server_ms']:>5.2f}/{r['pg_ms']:.2f} {load_avg:5.1f}  {r['errors'] or ''}",
                    flush=True,
                )
        for kind, rs in results.items():
            summary[kind] = (
                statistics.median(r["rate"] for r in rs),
                statistics.median(r["p50"] for r in rs),
                statistics.median(r["p99"] for r in rs),
                statistics.median(r["server_ms"] for r in rs),
            )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
    print("\nmedian of runs:")
    for kind, (rate, p50, p99, server_ms) in summary.items():
        print(
            f"  {kind:<8} {rate:>7.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"server CPU {server_ms:.2f} ms/request"
        )

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
