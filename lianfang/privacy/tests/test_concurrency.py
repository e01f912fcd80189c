"""Concurrent consents never fork the chain: each new record locks the chain's head row (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from lianfang.health.tests.factories import employee
from lianfang.org.choices import Role
from lianfang.privacy import services
from lianfang.privacy.models import ConsentRecord
from lianfang.testing import make_tree, user_with_role

THREADS = 12

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the race needs PostgreSQL's concurrent writers"),
]


def test_twelve_people_consenting_at_once_leave_one_unbroken_chain():
    tree = make_tree()
    office = user_with_role(Role.GROUP_ADMIN, tree.group, username="office")
    draft = services.notice_create(actor=office, title="告知书", title_en="Notice", body="正文", body_en="Text")
    services.notice_publish(actor=office, notice=draft)
    people = [employee(tree.a1) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def consent(person):
        try:
            barrier.wait()
            services.consent_give(actor=person.user, person=person)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=consent, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert ConsentRecord.objects.count() == 2 * THREADS
    assert len(set(ConsentRecord.objects.values_list("prev_hash", flat=True))) == 2 * THREADS  # no fork
    assert services.consent_chain_verify().ok
