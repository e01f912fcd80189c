"""The check-in table is ready to be partitioned by month on PostgreSQL (docs/adr/0010-checkin-key.md)."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is a PostgreSQL matter"),
]


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_the_check_in_key_is_id_and_date():
    [(columns,)] = _rows(
        """SELECT array_agg(a.attname ORDER BY k.n) FROM pg_constraint c
           CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
           WHERE c.conrelid = 'health_checkin'::regclass AND c.contype = 'p'"""
    )
    assert list(columns) == ["id", "date"]


def test_no_foreign_key_points_at_check_ins():
    assert _rows("SELECT conname FROM pg_constraint WHERE confrelid = 'health_checkin'::regclass") == []


def test_every_unique_index_on_check_ins_contains_the_date():
    indexes = _rows(
        """SELECT i.indexrelid::regclass::text, array_agg(a.attname) FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = 'health_checkin'::regclass AND i.indisunique GROUP BY i.indexrelid"""
    )
    assert indexes
    for name, columns in indexes:
        assert "date" in columns, name
