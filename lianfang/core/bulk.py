"""Fast bulk writes: INSERT and UPDATE of many model instances at once, for imports.

Why they exist: Django's ``bulk_create`` and ``bulk_update`` prepare every value of every row
through the query compiler. For a roster import of 100,000 people that was most of the import's
time (about 12 s for the people and 11 s more for their change-log rows, see docs/benchmarks.md).
These helpers convert the values with the same database operations Django uses, once per field
rather than once per value, and hand the rows to the driver's fastest path:

* PostgreSQL: one ``COPY … FROM STDIN`` (a prepared INSERT per row would still cost the server a
  parse and a plan each); an update copies the new values into a temporary table and applies them
  with one ``UPDATE … FROM``;
* SQLite (and anything else): ``executemany`` of one prepared statement, in chunks.

What they do not do, so callers must do it themselves where it matters:

* no ``save()`` and no signals (``pre_save``, ``post_save``), exactly like ``bulk_create``: values
  that ``save()`` derives (such as ``Person.id_number_digest``) must be set by the caller;
* primary keys are not read back: inserted instances keep ``pk = None`` and ``_state.adding``;
  look the rows up again by a unique field if you need them;
* ``fast_insert`` fills ``auto_now`` and ``auto_now_add`` fields that are still ``None``, with one
  time stamp for the whole call; ``fast_update`` stamps nothing, so set ``auto_now`` fields first;
* no ``full_clean()``: the callers have checked every value already, and the database's own
  constraints (unique, check, foreign keys) apply as always.

Like any write they belong inside the caller's transaction (``transaction.atomic``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

from django.db import connection, models
from django.utils import timezone

from lianfang.core.fields import EncryptedCharField

__all__ = ["chunks", "fast_insert", "fast_update"]

# Fields whose Python values the database drivers take as they are (exact types: subclasses such as
# EncryptedCharField change the value and go through their own preparation).
_PLAIN_FIELDS = (
    models.CharField,
    models.SlugField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
)


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _same(value: Any) -> Any:
    return value


def _adapter(field: models.Field) -> Callable[[Any], Any]:
    """The cheapest function that turns the field's Python value into what the driver takes."""
    ops = connection.ops
    if isinstance(field, EncryptedCharField):
        return field.get_prep_value
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else ops.adapt_json_value(v, field.encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if type(field) in _PLAIN_FIELDS:
        return _same
    if isinstance(field, models.ForeignKey) and isinstance(field.target_field, models.AutoField | models.BigAutoField):
        return _same
    return lambda v: field.get_db_prep_save(v, connection)


def _auto_stamp(fields: Iterable[models.Field], objs: Sequence[models.Model], *, add: bool) -> None:
    for field in fields:
        if getattr(field, "auto_now", False) or (add and getattr(field, "auto_now_add", False)):
            now = timezone.now()
            for obj in objs:
                if getattr(obj, field.attname) is None:
                    setattr(obj, field.attname, now)


def _rows(objs: Sequence[models.Model], adapters: list[tuple[str, Callable[[Any], Any]]]) -> Iterator[tuple]:
    for obj in objs:
        yield tuple(adapt(getattr(obj, name)) for name, adapt in adapters)


def fast_insert(model: type[models.Model], objs: Sequence[models.Model], batch: int = 5000) -> None:
    """INSERT the instances (primary keys are left to the database and not read back).

    PostgreSQL gets one COPY (a prepared INSERT per row still costs the server a parse and plan
    each); SQLite gets ``executemany`` of one prepared statement per ``batch`` rows, its fastest path.
    """
    if not objs:
        return
    fields = [cast(models.Field, f) for f in model._meta.local_concrete_fields if not f.primary_key]
    _auto_stamp(fields, objs, add=True)
    adapters = [(f.attname, _adapter(f)) for f in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in _rows(objs, adapters):
                    copy.write_row(values)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
        for chunk in chunks(objs, batch):
            cursor.executemany(sql, list(_rows(chunk, adapters)))


def fast_update(
    model: type[models.Model], objs: Sequence[models.Model], names: Sequence[str], batch: int = 5000
) -> None:
    """UPDATE the named fields of the instances, by primary key.

    On PostgreSQL the new values are copied into a temporary table and applied with one
    ``UPDATE … FROM``; elsewhere one prepared UPDATE runs per row (``executemany``).
    """
    if not objs:
        return
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    pk = cast(models.Field, model._meta.pk)
    adapters = [(pk.attname, _same), *((f.attname, _adapter(f)) for f in fields)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = quote(f"lianfang_staging_{model._meta.db_table}")
            columns = ", ".join(quote(str(c)) for c in (pk.column, *(f.column for f in fields)))
            # Same column types as the target, no constraints; dropped at commit at the latest.
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
            )
            with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
                for values in _rows(objs, adapters):
                    copy.write_row(values)
            assignments = ", ".join(f"{quote(str(f.column))} = s.{quote(str(f.column))}" for f in fields)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s "  # noqa: S608
                f"WHERE t.{quote(str(pk.column))} = s.{quote(str(pk.column))}"
            )
            cursor.execute(f"DROP TABLE {staging}")
            return
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608  (names from model metadata)
            table, ", ".join(f"{quote(str(f.column))} = %s" for f in fields), quote(str(pk.column))
        )
        for chunk in chunks(objs, batch):
            cursor.executemany(sql, [(*values[1:], values[0]) for values in _rows(chunk, adapters)])
