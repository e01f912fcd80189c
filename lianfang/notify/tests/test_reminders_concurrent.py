"""Two job workers reaching 10:00 at the same moment send one round (PostgreSQL: real concurrency)."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from lianfang.health.services.reminders import checkin_round_send
from lianfang.notify.models import Message, ReminderRun
from lianfang.notify.tests.factories import person

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections (PostgreSQL)")
def test_two_workers_at_the_same_minute_send_the_round_once():
    from lianfang.testing import make_tree

    tree = make_tree()
    for i in range(5):
        person(tree.a1, f"周{i}")
    day, at = timezone.localdate(), datetime.time(10, 0)
    barrier = threading.Barrier(4)
    results: list = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(checkin_round_send(day=day, at=at))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1
    assert ReminderRun.objects.count() == 1
    assert Message.objects.count() == 5
