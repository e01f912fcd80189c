"""Audit records are append-only: the one door through which the purge may redact or expire them.

Audit events and the change log (``core.AuditEvent``, ``core.ObjectChange``) are evidence (等保 2.0
level 3: audit records protected against change and deletion), so nothing in the application updates
or deletes them: the models refuse ``save()`` of an existing row and ``delete()``, their querysets
refuse ``update()`` and ``delete()``, and on PostgreSQL a trigger (migration
``core.0002_audit_append_only``) refuses ``UPDATE`` and ``DELETE`` from any client.

The purge (PIPL Art. 19 and 47) is the only exception: it redacts the health values that change-log
snapshots and audit payloads hold, and deletes rows past ``LIANFANG_AUDIT_RETENTION_DAYS``. It does
so inside :func:`purge_session`, which both guards recognise: the model-level guard through a
context variable, the trigger through the transaction-local setting ``lianfang.purge``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.translation import gettext as _

# 等保 2.0 level 3 asks for at least six months of audit records; 183 days covers any six months.
AUDIT_RETENTION_FLOOR_DAYS = 183
# PIPL Art. 56: records of the processing are kept at least three years.
AUDIT_RETENTION_DEFAULT_DAYS = 3 * 365

_purging: contextvars.ContextVar[bool] = contextvars.ContextVar("lianfang_purging", default=False)


class AuditRecordProtected(PermissionDenied):
    """An attempt to change or delete an audit record outside the purge."""


def refuse() -> None:
    if not _purging.get():
        raise AuditRecordProtected(_("Audit records cannot be changed or deleted: they are kept as they were written."))


def purge_active() -> bool:
    return _purging.get()


@contextmanager
def purge_session(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Open a transaction in which the purge may update (redact) and delete audit records.

    On PostgreSQL it runs ``SET LOCAL lianfang.purge = 'on'``, which the trigger recognises and
    which ends with the transaction; the model and queryset guards read the same flag here. Only
    the purge uses it.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        _set_purge_setting(connection, "on")
        token = _purging.set(True)
        try:
            yield
        finally:
            _purging.reset(token)
        # Inside an outer transaction this block is a savepoint, and a SET LOCAL outlives its release: switch
        # it off again so that the rest of the outer transaction is guarded. (On an error the savepoint's
        # rollback undoes the SET LOCAL by itself.)
        _set_purge_setting(connection, "off")


def _set_purge_setting(connection, value: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lianfang.purge = '{value}'")


def audit_retention_days() -> int:
    """How many days audit events and change-log rows are kept (``LIANFANG_AUDIT_RETENTION_DAYS``).

    The purge deletes rows older than this and never anything younger than the floor.
    """
    raw = getattr(settings, "LIANFANG_AUDIT_RETENTION_DAYS", AUDIT_RETENTION_DEFAULT_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"LIANFANG_AUDIT_RETENTION_DAYS must be a whole number of days, not {raw!r}."
        ) from exc
    if days < AUDIT_RETENTION_FLOOR_DAYS:
        raise ImproperlyConfigured(
            f"LIANFANG_AUDIT_RETENTION_DAYS is {days}: audit records are kept at least "
            f"{AUDIT_RETENTION_FLOOR_DAYS} days (six months, 等保 2.0)."
        )
    return days
