"""Benchmark of the nightly health-status recompute: 100,000 people on PostgreSQL.

    .venv/bin/python bench/bench_status.py                 # build + time (a few minutes)
    .venv/bin/python bench/bench_status.py --reuse         # time only, on the database built before

Builds, on a fresh database ``lf_bench_status`` (``--pg`` names the server, default
postgres://postgres@127.0.0.1:5432), with realistic facts for the default rules:

* the 1,221-unit tree and ``--people`` people of bench_dashboard_data.py (COPY);
* 30 days of check-ins for everyone (3,000,000 rows, ``INSERT … SELECT`` over ``generate_series``):
  1 % fever days, 2 % flagged, 99 % checked in from home (Weinan, 610502), the rest from a spread
  of districts, some of them risk areas;
* 500 risk areas over real districts and cities, a fifth of them lifted, a few covering cities;
* trips for 2 % of the people, a third of them to risk areas;
* 300 cases (suspected, confirmed, asymptomatic, excluded, recovered), 1,500 close contacts,
  1,000 isolations (half released, a third of those in home monitoring);
* the seven default status rules.

Then times ``recompute_all()`` in a child process per run (so each run has its own peak memory):
three *first* runs (no statuses yet: every status is written) and three *no-change* runs (the
nightly run of a quiet night: nothing to write). Prints the medians, the statuses written, and the
peak resident memory of the run's process. Target: < 60 s. Benchmarks are not tests (STYLE.md).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BENCH_DB = "lf_bench_status"
RUNS = 3


def build_facts(people: int, today: datetime.date, seed: int = 11) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from lianfang.cases.models import Case, Contact, Isolation
    from lianfang.core.bulk import fast_insert
    from lianfang.health import divisions
    from lianfang.health.models import RiskArea, Trip
    from lianfang.people.models import Person
    from lianfang.status.defaults import ensure_default_status_rules

    rng = random.Random(seed)
    districts = [
        d.code for p in divisions.children() for c in divisions.children(p.code) for d in divisions.children(c.code)
    ]
    cities = [c.code for p in divisions.children() for c in divisions.children(p.code)]
    districts = [d for d in districts if not d.startswith("6105")]  # home stays out of the risk list
    risk_districts = rng.sample(districts, 480)
    risk_cities = rng.sample([c for c in cities if c != "6105"], 20)
    elsewhere = rng.sample(districts, 400)  # where people check in from when not at home
    start = today - datetime.timedelta(days=29)

    t0 = time.perf_counter()
    with transaction.atomic():
        areas = []
        for i, code in enumerate(risk_districts + risk_cities):
            effective = today - datetime.timedelta(days=rng.randint(0, 40))
            lifted = effective + datetime.timedelta(days=rng.randint(3, 20)) if i % 5 == 0 else None
            areas.append(
                RiskArea(
                    division_code=code,
                    name=code,
                    level=rng.choice(["high", "medium"]),
                    effective_from=effective,
                    lifted_on=lifted,
                    source="bench",
                    note="",
                )
            )
        fast_insert(RiskArea, areas)
        with connection.cursor() as cur:
            cur.execute("CREATE TEMPORARY TABLE bench_places (n int, code varchar(12)) ON COMMIT DROP")
            places = elsewhere[:300] + risk_districts[:100]
            cur.executemany("INSERT INTO bench_places VALUES (%s, %s)", list(enumerate(places)))
            # 99 % at home; 1 % from one of 400 districts, a quarter of which are risk areas.
            cur.execute(
                """
                INSERT INTO health_checkin (person_id, unit_id, date, temperature, symptoms, symptom_note,
                    location_code, location_name, work_mode, answers, is_fever, is_flagged, flag_reasons, source,
                    reported_by_id, created, updated)
                SELECT p.id, p.unit_id, d::date,
                       CASE WHEN h %% 100 < 1 THEN 37.9 ELSE 36.5 END, '[]'::jsonb, '',
                       CASE WHEN (h / 100) %% 100 < 99 THEN '610502' ELSE pl.code END, '',
                       CASE WHEN h %% 10 = 9 THEN 'remote' WHEN h %% 50 = 1 THEN 'on_leave' ELSE 'on_site' END,
                       '{}'::jsonb, h %% 100 < 1, h %% 100 < 2,
                       CASE WHEN h %% 100 < 1 THEN '["fever"]'::jsonb WHEN h %% 100 < 2 THEN '["symptom:cough"]'::jsonb
                            ELSE '[]'::jsonb END,
                       'self', NULL, now(), now()
                FROM people_person p
                CROSS JOIN generate_series(%s::date, %s::date, interval '1 day') AS d
                CROSS JOIN LATERAL (SELECT abs(hashtext(p.id::text || d::text)) AS h) r
                JOIN bench_places pl ON pl.n = (h / 10000) %% 400
                """,
                [start, today],
            )
            checkins = cur.rowcount
        ids = list(Person.objects.values_list("pk", "unit_id"))
        trips = []
        for pid, unit_id in rng.sample(ids, people // 50):
            place = rng.choice(risk_districts) if rng.random() < 0.33 else rng.choice(elsewhere)
            end = today - datetime.timedelta(days=rng.randint(0, 25))
            trips.append(
                Trip(
                    person_id=pid,
                    unit_id=unit_id,
                    kind="trip",
                    place_code=place,
                    place_name=place,
                    date_from=end - datetime.timedelta(days=rng.randint(0, 4)),
                    date_to=end,
                    transport="train",
                    transport_no="G1",
                    note="",
                    source="entered",
                    checkin_id=None,
                    created_by_id=None,
                )
            )
        fast_insert(Trip, trips)
        responsible, _ = get_user_model().objects.get_or_create(username="bench-case-manager")
        chosen = rng.sample(ids, 300 + 1500 + 1000)
        case_people, contact_people, isolated_people = chosen[:300], chosen[300:1800], chosen[1800:]
        statuses = ["suspected", "confirmed", "asymptomatic", "excluded", "recovered"]
        cases = [
            Case(
                number=f"B-{i:05d}",
                person_kind="roster",
                person_id=pid,
                unit_id=unit_id,
                status=statuses[i % 5],
                reported_on=today - datetime.timedelta(days=rng.randint(0, 20)),
                excluded_on=today - datetime.timedelta(days=1) if i % 5 == 3 else None,
                recovered_on=today - datetime.timedelta(days=1) if i % 5 == 4 else None,
            )
            for i, (pid, unit_id) in enumerate(case_people)
        ]
        Case.objects.bulk_create(cases, batch_size=1000)
        case_ids = list(Case.objects.values_list("pk", flat=True))
        Contact.objects.bulk_create(
            [
                Contact(
                    case_id=rng.choice(case_ids),
                    person_kind="roster",
                    person_id=pid,
                    unit_id=unit_id,
                    last_exposure_on=today - datetime.timedelta(days=rng.randint(0, 20)),
                )
                for pid, unit_id in contact_people
            ],
            batch_size=1000,
        )
        isolations = []
        for i, (pid, unit_id) in enumerate(isolated_people):
            begin = today - datetime.timedelta(days=rng.randint(0, 14))
            end = begin + datetime.timedelta(days=7)
            released = end if i % 2 == 0 and end <= today else None
            isolations.append(
                Isolation(
                    person_id=pid,
                    unit_id=unit_id,
                    kind="central",
                    reason="contact",
                    start_on=begin,
                    planned_end_on=end,
                    released_on=released,
                    monitoring_end_on=end + datetime.timedelta(days=3) if released and i % 3 == 0 else None,
                    responsible=responsible,
                )
            )
        Isolation.objects.bulk_create(isolations, batch_size=1000)
        ensure_default_status_rules()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return {"checkins": checkins, "trips": len(trips), "areas": len(areas), "facts_s": time.perf_counter() - t0}


def child_run(mode: str) -> None:
    """One timed run in this process; prints a JSON line."""
    from django.db import connection

    from lianfang.status.engine import recompute_all
    from lianfang.status.models import PersonStatus, StatusChange

    if mode == "first":
        with connection.cursor() as cur:
            cur.execute(f"TRUNCATE {StatusChange._meta.db_table}, {PersonStatus._meta.db_table}")
    t = time.perf_counter()
    changed = recompute_all()
    seconds = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"seconds": seconds, "changed": changed, "statuses": PersonStatus.objects.count(), "peak_mb": peak_mb}
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--reuse", action="store_true", help="Keep the database built by an earlier run.")
    parser.add_argument("--child", choices=["first", "again"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    from bench_dashboard_data import build_people, build_units, setup_django

    if args.child:
        setup_django(args.pg, BENCH_DB, fresh=False)
        child_run(args.child)
        return
    setup_django(args.pg, BENCH_DB, fresh=not args.reuse)
    if not args.reuse:
        from django.db import transaction
        from django.utils import timezone

        t0 = time.perf_counter()
        with transaction.atomic():
            units, leaves = build_units()
            build_people(leaves, args.people)
        roster_s = time.perf_counter() - t0
        info = build_facts(args.people, timezone.localdate())
        print(
            f"built {len(units):,} units and {args.people:,} people in {roster_s:.1f} s; {info['checkins']:,} "
            f"check-ins, {info['trips']:,} trips, {info['areas']} risk areas, 300 cases, 1,500 contacts and "
            f"1,000 isolations in {info['facts_s']:.1f} s"
        )
    from django.db import connections

    connections.close_all()

    def run(mode: str) -> dict:
        out = subprocess.run(  # noqa: S603  (our own interpreter and script)
            [sys.executable, __file__, "--child", mode, "--pg", args.pg],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    results = {mode: [run(mode) for _ in range(RUNS)] for mode in ("first", "again")}
    print(
        f"\n{'nightly recompute_all()':<34} {'median s':>9} {'min s':>7} {'max s':>7} {'changed':>9} "
        f"{'statuses':>9} {'peak MB':>8}"
    )
    labels = {"first": "first run (no statuses yet)", "again": "no-change run (a quiet night)"}
    for mode, rows in results.items():
        seconds = [r["seconds"] for r in rows]
        print(
            f"{labels[mode]:<34} {statistics.median(seconds):>9.2f} {min(seconds):>7.2f} {max(seconds):>7.2f} "
            f"{rows[-1]['changed']:>9,} {rows[-1]['statuses']:>9,} {max(r['peak_mb'] for r in rows):>8.0f}"
        )
    print("\ntarget: < 60 s for 100,000 people (PostgreSQL); peak MB is the run's whole process (Django included).")


if __name__ == "__main__":
    main()
