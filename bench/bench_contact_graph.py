"""Benchmark: the contact graph two hops from a case among 100,000 people, on PostgreSQL.

    .venv/bin/python bench/bench_contact_graph.py                  # build + time (about a minute)
    .venv/bin/python bench/bench_contact_graph.py --reuse          # time only, on the database left by a run

Builds, on a fresh database ``lf_bench_graph`` (``--pg`` names the server, default
postgres://postgres@127.0.0.1:5432):

* the unit tree and ``--people`` people of ``bench_dashboard_data`` (1 group → 20 subsidiaries → 10
  departments → 5 sites; COPY);
* ``--cases`` cases (2,000) with ``--contacts`` close contacts each (20), people drawn at random;
  one case in five grew out of a contact of an earlier case (``source_contact`` / ``became_case``),
  so there are chains several generations long;
* a group office user (group_admin on the root) and a case manager of one subsidiary.

Then times :func:`lianfang.cases.selectors.contact_graph` (``hops=2``, through ``restrict``) from 20
cases that have chains below them, 9 runs each, for both viewers, and prints the median and p90 in
milliseconds with the graph's size. Target: < 500 ms. Benchmarks are not tests (STYLE.md).
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dashboard_data import build_people, build_units, setup_django  # noqa: E402

BENCH_DB = "lf_bench_graph"
REPEAT = 9
SAMPLE_CASES = 20


def build(people: int, cases: int, contacts: int, seed: int = 11) -> dict:
    from django.contrib.auth import get_user_model

    from lianfang.cases.models import Case, Contact
    from lianfang.core.bulk import fast_insert, fast_update
    from lianfang.org.choices import Role
    from lianfang.org.models import RoleAssignment
    from lianfang.people.models import Person

    started = time.perf_counter()
    units, leaves = build_units()
    build_people(leaves, people)
    rng = random.Random(seed)
    person_unit = dict(Person.objects.values_list("pk", "unit_id"))
    person_ids = list(person_unit)
    today = datetime.date(2026, 3, 31)

    # Who each case is, and for one case in five, the earlier case (and its contact) it came from.
    case_people: list[int] = []
    parents: dict[int, tuple[int, int]] = {}  # case index → (parent index, contact slot)
    contact_people: list[list[int]] = []
    used: set[int] = set()
    for i in range(cases):
        if i > 50 and rng.random() < 0.2:
            parent = rng.randrange(max(0, i - 300), i)
            slot = rng.randrange(contacts)
            person = contact_people[parent][slot]
            if person in used:
                person = rng.choice(person_ids)
            else:
                parents[i] = (parent, slot)
        else:
            person = rng.choice(person_ids)
            while person in used:
                person = rng.choice(person_ids)
        used.add(person)
        case_people.append(person)
        others: set[int] = set()
        while len(others) < contacts:
            other = rng.choice(person_ids)
            if other != person:
                others.add(other)
        contact_people.append(sorted(others))

    statuses = ["suspected", "confirmed", "asymptomatic", "recovered"]
    rows = []
    for i, pid in enumerate(case_people):
        reported = today - datetime.timedelta(days=rng.randrange(60))
        rows.append(
            Case(
                number=f"BL-2026-{i + 1:05d}",
                person_kind="roster",
                person_id=pid,
                unit_id=person_unit[pid],
                status=rng.choice(statuses),
                reported_on=reported,
                suspected_on=reported,
                treatment="none",
                external_phone="",
            )
        )
    fast_insert(Case, rows)
    case_id = dict(Case.objects.values_list("number", "pk"))
    ids = [case_id[f"BL-2026-{i + 1:05d}"] for i in range(cases)]
    contact_rows = [
        Contact(
            case_id=ids[i],
            degree="close",
            person_kind="roster",
            person_id=pid,
            unit_id=person_unit[pid],
            last_exposure_on=today - datetime.timedelta(days=rng.randrange(60)),
            setting="workplace",
            external_phone="",
        )
        for i, people_of_case in enumerate(contact_people)
        for pid in people_of_case
    ]
    fast_insert(Contact, contact_rows, batch=20000)
    contact_id = {(c, p): pk for pk, c, p in Contact.objects.values_list("pk", "case_id", "person_id")}
    became, sources = [], []
    for child, (parent, slot) in parents.items():
        link = contact_id[(ids[parent], contact_people[parent][slot])]
        became.append(Contact(pk=link, became_case_id=ids[child]))
        sources.append(Case(pk=ids[child], source_contact_id=link))
    from django.db import transaction

    with transaction.atomic():  # the staging tables of fast_update live for one transaction
        fast_update(Contact, became, ["became_case"])
        fast_update(Case, sources, ["source_contact"])

    user_model = get_user_model()
    office = user_model.objects.create(username="bench-office")
    manager = user_model.objects.create(username="bench-manager")
    root = units[0]
    subsidiary = next(u for u in units if u.depth == 2)
    RoleAssignment.objects.create(user=office, unit=root, role=Role.GROUP_ADMIN)
    RoleAssignment.objects.create(user=manager, unit=subsidiary, role=Role.CASE_MANAGER)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "people": len(person_ids),
        "cases": cases,
        "contacts": len(contact_rows),
        "chains": len(parents),
        "seconds": time.perf_counter() - started,
    }


def sample_cases(viewer_name: str) -> list:
    """Cases with a chain below them (a contact who became a case), the office's first."""
    from django.contrib.auth import get_user_model

    from lianfang.cases.models import Case, Contact

    viewer = get_user_model().objects.get(username=viewer_name)
    visible = Case.objects.restrict(viewer, "view")
    parents = Contact.objects.filter(became_case__isnull=False).values("case_id")
    return list(visible.filter(pk__in=parents).order_by("pk")[:SAMPLE_CASES])


def run_timings() -> list[tuple[str, int, float, float, float, float]]:
    from django.contrib.auth import get_user_model

    from lianfang.cases.selectors import contact_graph

    results = []
    for who in ("bench-office", "bench-manager"):
        cases = sample_cases(who)
        samples, nodes, edges = [], [], []
        for case in cases:
            for _run in range(REPEAT):
                viewer = get_user_model().objects.get(username=who)  # grants are cached per user object
                start = time.perf_counter()
                graph = contact_graph(viewer=viewer, case=case, hops=2)
                samples.append((time.perf_counter() - start) * 1000)
            nodes.append(len(graph.nodes))
            edges.append(len(graph.edges))
        if not samples:
            continue
        samples.sort()
        results.append(
            (
                who,
                len(cases),
                statistics.mean(nodes),
                statistics.median(samples),
                samples[int(0.9 * (len(samples) - 1))],
                max(samples),
            )
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default=BENCH_DB)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="time only, on an existing benchmark database")
    args = parser.parse_args()
    setup_django(args.pg, args.db, fresh=not args.reuse)
    if not args.reuse:
        info = build(args.people, args.cases, args.contacts)
        print(
            f"built {info['people']:,} people, {info['cases']:,} cases, {info['contacts']:,} contacts "
            f"({info['chains']:,} contacts became cases) in {info['seconds']:.1f} s"
        )
    print(f"\ncontact_graph(hops=2) on PostgreSQL, {REPEAT} runs per case")
    print(f"{'viewer':<16} {'cases':>5} {'nodes (mean)':>13} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    for who, n, nodes, med, p90, worst in run_timings():
        print(f"{who:<16} {n:>5} {nodes:>13.1f} {med:>10.1f} {p90:>8.1f} {worst:>8.1f}")


if __name__ == "__main__":
    main()
