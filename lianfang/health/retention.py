"""How the health app's personal data is purged (PIPL Art. 19, 47): registered in
``lianfang.core.extensions.retention_providers`` for privacy's purge engine, which imports no app above it.

Check-ins (with their answers) go by their date, trips by their last day. A check-in's delete clears
the trips that point at it first (``Trip.checkin`` has no database constraint, docs/adr/0010), then
deletes the rows by primary key. Once the table is partitioned by month on PostgreSQL (docs/adr/0010), a
month wholly past retention is dropped as a partition instead, after its change log is redacted. Per-unit
day counts (``UnitDayStat``) are counts, not persons: they stay.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db import connections
from django.db.models import Min

from lianfang.core.extensions import PurgeProvider, PurgeTarget, purge_batches, purge_months
from lianfang.health.models import CheckIn, Trip
from lianfang.privacy.choices import HEALTH, WHEREABOUTS


def _checkins():
    return CheckIn._base_manager.all()


def _trips():
    return Trip._base_manager.all()


def delete_checkins(pks: Sequence[int]) -> dict[str, int]:
    ids = list(pks)
    Trip._base_manager.filter(checkin_id__in=ids).update(checkin=None)
    # Nothing references a check-in in the database (docs/adr/0010) and no signal listens to its
    # deletion: a raw delete spares loading the rows.
    deleted = _checkins().filter(pk__in=ids)._raw_delete(CheckIn._base_manager.db)
    return {CheckIn._meta.label_lower: deleted}


def _next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def checkin_partition(target: PurgeTarget) -> str | None:
    """The name of the partition of ``health_checkin`` that holds exactly the target's month, if the table
    is partitioned by month on PostgreSQL (docs/adr/0010); None otherwise (then rows go in batches)."""
    connection = connections[CheckIn._base_manager.db]
    if connection.vendor != "postgresql" or target.since is not None:
        return None
    bound = f"FOR VALUES FROM ('{target.month.isoformat()}') TO ('{_next_month(target.month).isoformat()}')"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = %s AND pg_get_expr(c.relpartbound, c.oid) = %s",
            [CheckIn._meta.db_table, bound],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def drop_checkin_month(target: PurgeTarget) -> dict[str, int]:
    """Drop the month's partition (its change log is redacted by then): the trips that point at its
    check-ins are cleared first, as a batch delete would."""
    name = checkin_partition(target)
    if name is None:
        return {}
    quoted = connections[CheckIn._base_manager.db].ops.quote_name(name)
    with connections[CheckIn._base_manager.db].cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {quoted}")  # noqa: S608 (a partition name read from the catalogue)
        rows = cursor.fetchone()[0]
        cursor.execute(
            f"UPDATE {Trip._meta.db_table} SET checkin_id = NULL WHERE checkin_id IN (SELECT id FROM {quoted})"  # noqa: S608
        )
        cursor.execute(f"ALTER TABLE {CheckIn._meta.db_table} DETACH PARTITION {quoted}")
        cursor.execute(f"DROP TABLE {quoted}")
    return {CheckIn._meta.label_lower: rows}


def delete_trips(pks: Sequence[int]) -> dict[str, int]:
    deleted = _trips().filter(pk__in=list(pks))._raw_delete(Trip._base_manager.db)
    return {Trip._meta.label_lower: deleted}


PROVIDERS = (
    PurgeProvider(
        key="health.checkin",
        category=HEALTH,
        model=CheckIn,
        months=lambda before, since=None: purge_months(_checkins(), "date", before, since),
        batches=lambda target: purge_batches(_checkins(), "date", target),
        delete=delete_checkins,
        oldest=lambda: _checkins().aggregate(d=Min("date"))["d"],
        order=10,
        partitioned=lambda target: checkin_partition(target) is not None,
        drop_month=drop_checkin_month,
    ),
    PurgeProvider(
        key="health.trip",
        category=WHEREABOUTS,
        model=Trip,
        months=lambda before, since=None: purge_months(_trips(), "date_to", before, since),
        batches=lambda target: purge_batches(_trips(), "date_to", target),
        delete=delete_trips,
        oldest=lambda: _trips().aggregate(d=Min("date_to"))["d"],
        order=10,
    ),
)
