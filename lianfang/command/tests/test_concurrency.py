"""Two escalation workers at once never send the same notice twice, and concurrent reports get
distinct numbers (PostgreSQL: SQLite runs one writer at a time, so the race cannot happen there)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from lianfang.command.choices import MatterKind
from lianfang.command.models import Hop, UrgentMatter
from lianfang.command.services import matters
from lianfang.command.services.escalation import escalation_scan
from lianfang.notify.models import Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

WORKERS = 4


def run_at_once(target, n):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []
    results: list = []

    def run(i):
        try:
            barrier.wait()
            results.append(target(i))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_four_workers_scanning_at_once_send_each_escalation_once(tree, roster, levels, clock, office, leaders, sms):
    for _ in range(5):
        matters.matter_report(
            actor=office,
            unit=tree.a1s,
            kind=MatterKind.OTHER,
            severity=levels["major"],
            title="Power cut at the station",
            description="No power since 02:40.",
        )
    clock.advance(minutes=60)  # every clock missed and every grace period over
    results = run_at_once(lambda i: escalation_scan().as_dict(), WORKERS)
    assert sum(r["skipped"] for r in results) == 5
    assert sum(r["ack_missed"] for r in results) == 5
    assert Hop.objects.filter(unit=tree.a).count() == 5  # one level above each, not two
    station_leader = leaders[tree.a1s.pk].user
    assert Message.objects.filter(recipient=station_leader, kind="urgent_overdue").count() == 5 * 2  # ack + written


def test_reports_at_the_same_moment_get_distinct_numbers(tree, roster, levels, clock, office):
    def report(i):
        return matters.matter_report(
            actor=office,
            unit=tree.a1,
            kind=MatterKind.OTHER,
            severity=levels["significant"],
            title=f"Matter {i}",
            description="Something happened.",
        ).number

    numbers = run_at_once(report, 8)
    assert len(set(numbers)) == 8 == UrgentMatter.objects.count()
