from __future__ import annotations

from django.db import models


class RestrictedQuerySet(models.QuerySet):
    """A queryset that can narrow itself to what a user may do (NetBox's ``restrict``).

    Every queryset that reaches a user passes through ``restrict(user, action)``: lists, details,
    API, exports, imports, form choices and dashboards. The rules live in
    :mod:`lianfang.org.scoping`.
    """

    def restrict(self, user, action: str = "view"):
        from lianfang.org.scoping import restrict_queryset

        return restrict_queryset(self, user, action)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
