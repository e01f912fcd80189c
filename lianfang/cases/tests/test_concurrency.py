"""Case numbers stay unique and gapless when many cases are registered at the same moment, and two
simultaneous isolation orders for one person never both pass.

Only meaningful on PostgreSQL: SQLite serialises writers, so the race cannot happen there. Run with
DATABASE_URL=postgres://postgres@127.0.0.1:5432/lf_cases.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from lianfang.cases.choices import IsolationKind
from lianfang.cases.models import Case, Isolation
from lianfang.cases.services import cases
from lianfang.cases.services import isolation as isolation_services
from lianfang.org.choices import Role
from lianfang.testing import PersonFactory, make_tree, user_with_role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]

THREADS = 20


def _race(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    errors: list[BaseException] = []
    results: list = []

    def run(args):
        try:
            barrier.wait()
            results.append(fn(*args))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_twenty_simultaneous_registrations_get_twenty_different_numbers_without_gaps():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    people = [PersonFactory(unit=tree.a1) for _ in range(THREADS)]

    _results, errors = _race(lambda p: cases.case_register(actor=office, person=p), [(p,) for p in people])

    assert errors == []
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == THREADS
    year = numbers[0].split("-")[1]
    assert numbers == [f"BL-{year}-{n:04d}" for n in range(1, THREADS + 1)]


def test_two_simultaneous_isolation_orders_for_one_person_make_one_isolation():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group)
    person = PersonFactory(unit=tree.a1)

    results, errors = _race(
        lambda kind: isolation_services.isolation_order(actor=office, person=person, kind=kind),
        [(IsolationKind.HOME,), (IsolationKind.CENTRAL,), (IsolationKind.HOME,), (IsolationKind.CENTRAL,)],
    )

    assert Isolation.objects.filter(person=person).count() == 1
    assert len(results) == 1
    assert len(errors) == 3 and all(isinstance(e, ValidationError) for e in errors)
