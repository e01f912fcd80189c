"""Two (or fifty) simultaneous submissions for the same person and day never make two rows.

Only meaningful on PostgreSQL: SQLite serialises writers, so the race cannot happen there.
Run with DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db>.
"""

import threading

import pytest
from django.db import connection, connections

from lianfang.health.models import CheckIn, UnitDayStat
from lianfang.health.services import checkins
from lianfang.health.services.checkins import CheckInData
from lianfang.health.tests.factories import employee, seed_answers
from lianfang.testing import make_tree

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

THREADS = 50


def test_fifty_parallel_identical_submissions_make_one_check_in_and_count_once():
    tree = make_tree()
    person = employee(tree.a1)
    data = CheckInData(temperature="36.6", answers=seed_answers())
    barrier = threading.Barrier(THREADS)
    results: list[bool] = []
    errors: list[BaseException] = []

    def submit():
        try:
            barrier.wait()
            _checkin, created = checkins.checkin_submit(actor=person.user, person=person, data=data)
            results.append(created)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert CheckIn.objects.filter(person=person).count() == 1
    assert results.count(True) == 1 and len(results) == THREADS
    stat = UnitDayStat.objects.get(unit=tree.a1)
    assert stat.reported == 1 and stat.on_site == 1
