"""Writing the change log and audit events. Services call these inside their transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from lianfang.core import context
from lianfang.core.append_only import purge_session
from lianfang.core.bulk import _adapter, fast_insert
from lianfang.core.models import AuditEvent, AuditKind, ChangeAction, ObjectChange

# Rows written here are never changed or deleted, except by the purge inside ``purge_session`` (see
# lianfang/core/append_only.py): the one door, named here too so that the purge finds it beside the writers.
__all__ = ["purge_session", "record_change", "record_changes", "record_event", "snapshot"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, FieldFile):  # an uploaded file: its stored name, not its bytes
        return value.name or ""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete fields as JSON, with sensitive values masked.

    Models name their sensitive fields in ``audit_masked`` (field → masking function) and fields
    to leave out in ``audit_exclude``.
    """
    masked: dict = getattr(obj, "audit_masked", {})
    exclude: Iterable[str] = getattr(obj, "audit_exclude", ())
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        value = getattr(obj, f.attname)
        if f.name in masked:
            value = masked[f.name](value)
        data[f.attname] = _jsonable(value)
    for f in obj._meta.many_to_many:
        if f.name in exclude or obj.pk is None:
            continue
        cache = getattr(obj, "_prefetched_objects_cache", {})
        related = cache.get(f.name)
        values = (
            [r.pk for r in related] if related is not None else list(getattr(obj, f.name).values_list("pk", flat=True))
        )
        data[f.name] = sorted(values)
    return data


def _unit_id(obj: models.Model) -> int | None:
    field = getattr(obj, "scope_unit_field", None)
    if field == "self":
        return obj.pk
    if isinstance(field, tuple):  # several units: the change log files it under the first
        field = field[0]
    if field:
        return getattr(obj, f"{field}_id", None)
    return None


def _user_fields(user) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": None, "user_name": ""}
    return {"user": user, "user_name": user.get_username()}


def _change(*, actor, obj: models.Model, action: str, before: dict | None, after: dict | None) -> ObjectChange:
    return ObjectChange(
        **_user_fields(actor),
        request_id=context.current().request_id,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        unit_id=_unit_id(obj),
        prechange_data=before,
        postchange_data=after,
    )


def record_change(
    *, actor, obj: models.Model, action: str, before: dict | None = None, extra_after: dict | None = None
) -> ObjectChange | None:
    """Log one create/update/delete. ``before`` is the :func:`snapshot` taken before the write;
    ``extra_after`` adds derived values worth reading in the log (a unit's new parent).

    An update that changed nothing is not logged.
    """
    after = None if action == ChangeAction.DELETE else {**snapshot(obj), **(extra_after or {})}
    if action == ChangeAction.UPDATE and before == after:
        return None
    change = _change(actor=actor, obj=obj, action=action, before=before, after=after)
    _insert_one(change)
    return change


class _OneRowInsert:
    """``INSERT INTO core_objectchange (…) VALUES (%s, …) RETURNING id``, written once per database
    with each column's value adapter (those of :func:`~lianfang.core.bulk.fast_insert`).

    ``Model.save()`` compiled the same statement again for every change-log row, a quarter of a
    millisecond of CPU on a request that writes one row (the daily check-in). Same row, same
    ``time`` stamp (``auto_now_add``), no signals (the change log has no receivers).
    """

    def __init__(self, connection) -> None:
        opts = ObjectChange._meta
        self.fields = [f for f in opts.local_concrete_fields if not f.primary_key]
        self.adapters = [(f.attname, _adapter(f)) for f in self.fields]
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.returning = connection.features.can_return_columns_from_insert
        # Identifiers from the model, quoted; every value is a parameter.
        self.sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if self.returning:
            self.sql += f" RETURNING {qn(opts.pk.column)}"


_one_row_inserts: dict[str, _OneRowInsert] = {}


def _insert_one(change: ObjectChange) -> None:
    using = router.db_for_write(ObjectChange)
    connection = connections[using]
    insert = _one_row_inserts.get(connection.vendor)
    if insert is None:
        insert = _one_row_inserts[connection.vendor] = _OneRowInsert(connection)
    if change.time is None:
        change.time = timezone.now()
    params = [adapt(getattr(change, name)) for name, adapt in insert.adapters]
    with connection.cursor() as cursor:
        cursor.execute(insert.sql, params)
        pk = (
            cursor.fetchone()[0]
            if insert.returning
            else connection.ops.last_insert_id(cursor, ObjectChange._meta.db_table, str(ObjectChange._meta.pk.column))
        )
    change.pk = pk
    change._state.adding = False
    change._state.db = using


def record_changes(*, actor, items: Sequence[tuple[models.Model, str, dict | None]], batch_size: int = 2000) -> int:
    """Log many writes at once (imports): ``items`` are (object, action, before snapshot).

    The rows are those :func:`record_change` writes, and unchanged updates are left out the same
    way; returns how many were written. They are inserted with :func:`~lianfang.core.bulk.fast_insert`
    rather than ``bulk_create``, whose query compiler took longer over 100,000 change-log rows than
    the rest of a roster import together; their ids are therefore not read back, and ``time`` is one
    stamp for the whole call (``fast_insert`` fills ``auto_now_add``).
    """
    rows = []
    for obj, action, before in items:
        after = None if action == ChangeAction.DELETE else snapshot(obj)
        if action == ChangeAction.UPDATE and before == after:
            continue
        rows.append(_change(actor=actor, obj=obj, action=action, before=before, after=after))
    fast_insert(ObjectChange, rows, batch=batch_size)
    return len(rows)


def record_event(
    *, kind: AuditKind | str, actor=None, user_name: str = "", unit=None, object_repr: str = "", **detail: Any
) -> AuditEvent:
    ctx = context.current()
    fields = _user_fields(actor)
    if user_name and not fields["user_name"]:
        fields["user_name"] = user_name[:150]
    return AuditEvent.objects.create(
        kind=kind,
        request_id=ctx.request_id,
        ip=ctx.ip,
        unit=unit,
        object_repr=object_repr[:200],
        detail={k: _jsonable(v) for k, v in detail.items()},
        **fields,
    )
