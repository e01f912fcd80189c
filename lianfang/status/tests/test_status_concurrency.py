"""Recomputes that race (a check-in's, a trip's and the nightly run at once) leave one status row
per person and one history row per change. Only meaningful on PostgreSQL (concurrent writers)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from lianfang.health.tests.status_helpers import checkin, today
from lianfang.status.defaults import ensure_default_status_rules
from lianfang.status.engine import recompute, recompute_all
from lianfang.status.models import PersonStatus, StatusChange
from lianfang.testing import PersonFactory, make_tree

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

THREADS = 12


def test_parallel_recomputes_of_the_same_people_write_one_status_and_one_change_each():
    ensure_default_status_rules()
    tree = make_tree()
    people = [PersonFactory(unit=tree.a1) for _ in range(20)]
    for person in people[:5]:
        checkin(person, today(), fever=True)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            if index % 3 == 0:
                recompute_all()
            else:
                recompute([p.pk for p in people])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert PersonStatus.objects.count() == 20
    assert PersonStatus.objects.filter(colour="yellow").count() == 5
    assert StatusChange.objects.count() == 5
