from __future__ import annotations

from django.db import models

from lianfang.core.append_only import refuse
from lianfang.core.scoping import policy


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what a user may do (NetBox's ``restrict``).

    Every queryset that reaches a user passes through ``restrict(user, action)``: lists, details,
    API, exports, imports, form choices and dashboards. The rules are the org app's
    (:mod:`lianfang.org.scoping`), reached through :func:`lianfang.core.scoping.policy`.
    """

    def restrict(self, user, action: str = "view"):
        return policy().restrict_queryset(self, user, action)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


class AppendOnlyQuerySet(RestrictedQuerySet):
    """The audit records' queryset: rows are added, never changed or deleted in bulk.

    Only the purge, inside :func:`lianfang.core.append_only.purge_session`, may redact or expire them.
    ``bulk_update`` and ``update_or_create`` end in ``update()`` or ``save()``, which refuse too.
    """

    def update(self, **kwargs):
        refuse()
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self):
        refuse()
        return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def _raw_delete(self, using):
        refuse()
        return super()._raw_delete(using)


AppendOnlyManager = models.Manager.from_queryset(AppendOnlyQuerySet)
