from __future__ import annotations

from django.db import models

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
