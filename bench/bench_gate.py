"""Benchmark: the gate — passes checked by the production server, and verified in the browser.

    .venv/bin/python bench/bench_gate.py                        # 2 workers × 4 threads, 3 runs of 10 s
    .venv/bin/python bench/bench_gate.py --runs 5 --seconds 15 --concurrency 16
    .venv/bin/python bench/bench_gate.py --no-browser           # the server side only

What it does:

1. builds a fresh PostgreSQL database ``lianfang_bench_gate`` (``--pg``) with a group, a subsidiary,
   a site with a checkpoint (green only, temperature taken), ``--people`` employees (default 20,000;
   5 % yellow, so some passages are refused for the colour) and a checkpoint-staff account signed in
   (a session and its CSRF token, as the gate page has);
2. signs a phone pass for every person ahead (each request a different pass, so none is a replay);
3. starts the server as production does (``lianfang serve --no-jobs``) and alternates runs of the
   trivial endpoint ``GET /healthz`` (one ``SELECT 1``: the server's ceiling) and of
   ``POST /sites/checkpoints/<id>/gate/check/`` — the whole online path: session and CSRF, the
   signature, the person in the checkpoint's organisation, the colour of the day, the rules, the
   entry written — with the load generator of ``bench_checkin.py`` (keep-alive threads on
   127.0.0.1); prints requests per second, p50 and p99 per run and the medians, and the ratio;
4. opens the gate page in Chromium (Playwright, ``/usr/bin/chromium``) signed in as the staff, and
   times ``lianfangVerifyPass`` — the offline check with @noble/ed25519 and the cached public key —
   over ``--browser-passes`` passes: median and p95 per pass.

The load generator shares the 2 cores with gunicorn and PostgreSQL. Benchmarks are not tests:
nothing gates on a time (STYLE.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_checkin import environment as checkin_environment  # noqa: E402
from bench_checkin import free_port, load, postgres_cpu_seconds, server_cpu_seconds, start_server  # noqa: E402

BENCH_DB = "lianfang_bench_gate"


def environment(pg: str) -> dict[str, str]:
    """The check-in benchmark's environment, on this benchmark's own database."""
    env = checkin_environment(pg)
    env["DATABASE_URL"] = f"{pg}/{BENCH_DB}"
    return env


def build(pg: str, people: int, passes_needed: int) -> dict:
    """Fresh database, people, a checkpoint, a signed-in gate account; the passes to scan."""
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.utils import timezone

    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment
    from lianfang.people.models import Person
    from lianfang.sites.choices import PassKind
    from lianfang.sites.models import Checkpoint
    from lianfang.sites.passes import PHONE_TTL, sign, signing_key
    from lianfang.status.models import PersonStatus
    from lianfang.testing import add_unit, ensure_default_kinds

    ensure_default_kinds()
    group = add_unit(None, "G", "联防集团", "group")
    company = add_unit(group, "E01", "热力公司", "subsidiary")
    office = add_unit(company, "E01-D01", "热力公司综合部")
    site = add_unit(company, "E01-HS01", "一号热力站", "heat-station")
    rows = [Person(name=f"职工{i:05d}", employee_no=f"G{i:06d}", unit=office if i % 3 else site) for i in range(people)]
    Person.objects.bulk_create(rows, batch_size=5000)
    now = timezone.now()
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    PersonStatus.objects.bulk_create(
        [PersonStatus(person_id=pk, unit_id=office.pk, colour="yellow", since=now, computed=now) for pk in ids[::20]]
    )
    user = get_user_model().objects.create_user("gate-bench", password="pw-Lianfang-2026")
    RoleAssignment.objects.create(user=user, unit=site, role=Role.CHECKPOINT)
    checkpoint = Checkpoint.objects.create(site=site, name="东门", created_by=user)
    key = signing_key()
    expires = now + PHONE_TTL * 40  # the passes must outlive the runs
    people_rows = list(Person.objects.order_by("pk").values_list("pk", "name"))
    tokens = [
        sign(
            kind=PassKind.PHONE,
            subject=pk,
            name=name[0] + "*" + name[-1],
            unit="热力公司",
            colour="green",
            expires=expires,
            key=key,
        )
        for n in range(passes_needed // len(people_rows) + 1)
        for pk, name in people_rows
    ][:passes_needed]
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    secret = _get_new_csrf_string()
    return {
        "tokens": tokens,
        "checkpoint": checkpoint.pk,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session": session.session_key,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "csrf": secret,
        "csrf_header": _mask_cipher_secret(secret),
    }


def gate_request(world: dict, host: str):
    path = f"/sites/checkpoints/{world['checkpoint']}/gate/check/"
    cookie = f"{world['session_cookie']}={world['session']}; {world['csrf_cookie']}={world['csrf']}"

    def request(token: str):
        body = json.dumps({"code": token, "method": "camera", "direction": "in", "temperature_ok": True})
        headers = {
            "Content-Type": "application/json",
            "Cookie": cookie,
            "X-CSRFToken": world["csrf_header"],
            "Host": host,
            "Accept-Language": "zh-hans",
        }
        return "POST", path, body, headers

    return request


def browser(port: int, world: dict, passes: list[str]) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
        context = chromium.new_context()
        context.add_cookies(
            [
                {"name": world["session_cookie"], "value": world["session"], "domain": "127.0.0.1", "path": "/"},
                {"name": world["csrf_cookie"], "value": world["csrf"], "domain": "127.0.0.1", "path": "/"},
            ]
        )
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/sites/checkpoints/{world['checkpoint']}/gate/")
        page.wait_for_selector("[data-gate][data-ready='1']")
        times = page.evaluate(
            """async (passes) => {
                const out = [];
                await window.lianfangVerifyPass(passes[0]);  // warm-up: the module's tables
                for (const p of passes) {
                    const t = performance.now();
                    const r = await window.lianfangVerifyPass(p);
                    out.push(performance.now() - t);
                    if (!r.claims) throw new Error("not verified: " + JSON.stringify(r));
                }
                return out;
            }""",
            passes,
        )
        chromium.close()
    times.sort()
    return {"n": len(times), "median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--browser-passes", type=int, default=200)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    env = environment(args.pg)
    os.environ.update(env)
    per_run = int(args.seconds * 2000)
    started = time.perf_counter()
    world = build(args.pg, args.people, per_run * args.runs + args.browser_passes)
    print(f"built {args.people} people and {len(world['tokens'])} passes in {time.perf_counter() - started:.1f} s")
    port = free_port()
    server = start_server(env, port, args.workers, args.threads)
    host = "127.0.0.1"
    request = gate_request(world, host)
    rows = []
    try:
        tokens = world["tokens"]
        for run in range(args.runs):
            h0 = server_cpu_seconds(server)
            ceiling = load(port, "healthz", ["x"] * per_run, args.clients, args.concurrency, args.seconds, {})
            ceiling["server_ms"] = (server_cpu_seconds(server) - h0) / max(ceiling["n"], 1) * 1000
            batch = tokens[run * per_run : (run + 1) * per_run]
            s0, g0 = server_cpu_seconds(server), postgres_cpu_seconds()
            gate = load(port, request, batch, args.clients, args.concurrency, args.seconds, {})
            s1, g1 = server_cpu_seconds(server), postgres_cpu_seconds()
            # CPU per check of the server's processes and of PostgreSQL (all of its processes: other
            # work on the machine counts too), which depends far less on the machine's load than the rate.
            gate["server_ms"] = (s1 - s0) / max(gate["n"], 1) * 1000
            gate["pg_ms"] = (g1 - g0) / max(gate["n"], 1) * 1000
            rows.append((ceiling, gate))
            print(
                f"run {run + 1}: healthz {ceiling['rate']:7.1f}/s p50 {ceiling['p50']:5.1f} ms · "
                f"gate check {gate['rate']:7.1f}/s p50 {gate['p50']:5.1f} ms p99 {gate['p99']:6.1f} ms "
                f"CPU server {gate['server_ms']:.2f} ms (healthz {ceiling['server_ms']:.2f}) "
                f"+ PostgreSQL {gate['pg_ms']:.2f} ms per check, "
                f"load {os.getloadavg()[0]:.1f}, errors {gate['errors'] or 0}"
            )
        result = None if args.no_browser else browser(port, world, tokens[-args.browser_passes :])
    finally:
        server.terminate()
        server.wait(timeout=30)
    ceiling_rate = statistics.median(r[0]["rate"] for r in rows)
    gate_rate = statistics.median(r[1]["rate"] for r in rows)
    print()
    print("| measure | median |")
    print("|---|---|")
    print(f"| GET /healthz (ceiling), requests/s | {ceiling_rate:.0f} |")
    print(f"| gate check (verify + rules + entry), requests/s | {gate_rate:.0f} |")
    print(
        f"| gate check p50 / p99, ms | {statistics.median(r[1]['p50'] for r in rows):.1f} / "
        f"{statistics.median(r[1]['p99'] for r in rows):.1f} |"
    )
    print(f"| gate check ÷ ceiling | {gate_rate / ceiling_rate:.2f} |")
    server_ms = statistics.median(r[1]["server_ms"] for r in rows)
    pg_ms = statistics.median(r[1]["pg_ms"] for r in rows)
    healthz_ms = statistics.median(r[0]["server_ms"] for r in rows)
    print(f"| server CPU per request: gate check / healthz, ms | {server_ms:.2f} / {healthz_ms:.2f} |")
    print(f"| PostgreSQL CPU per gate check (all its processes), ms | {pg_ms:.2f} |")
    print(f"| checks per second the 2 cores could serve, at that CPU | {2000 / (server_ms + pg_ms):.0f} |")
    if result:
        print(
            f"| browser verification (noble-ed25519), ms per pass, median / p95 of {result['n']} | "
            f"{result['median']:.2f} / {result['p95']:.2f} |"
        )


if __name__ == "__main__":
    main()
