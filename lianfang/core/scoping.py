"""The plumbing of unit scoping: the actions a role may allow, and the policy that says which rows a
user may see or touch.

``core`` is the bottom of the dependency order, so it knows neither units nor roles: the policy is
the org app's (roles held on units, :mod:`lianfang.org.scoping`), handed over when that app loads
(``OrgConfig.ready``). The code in core that must ask — the restricted queryset, the base API
viewset, scoped API fields — asks through :func:`policy`; every other app imports
:mod:`lianfang.org.scoping` directly.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Action(models.TextChoices):
    VIEW = "view", _("view")
    ADD = "add", _("add")
    CHANGE = "change", pgettext_lazy("permission", "change")
    DELETE = "delete", _("delete")
    IMPORT = "import", _("import")
    EXPORT = "export", _("export")
    UNMASK = "unmask", _("see unmasked personal data")
    # Office decisions on what others proposed: transfers, fund spending, rebalancing.
    APPROVE = "approve", _("approve")


class ScopePolicy(Protocol):
    """What core asks of the scoping rules."""

    def restrict_queryset(self, qs: QuerySet, user: Any, action: str) -> QuerySet: ...

    def has_any(self, user: Any, model_label: str, action: str) -> bool: ...

    def units_where(self, user: Any, model: Any, action: str) -> QuerySet: ...

    def all_units(self) -> QuerySet: ...


_policy: ScopePolicy | None = None


def set_policy(scope_policy: ScopePolicy) -> None:
    global _policy
    _policy = scope_policy


def policy() -> ScopePolicy:
    if _policy is None:
        raise ImproperlyConfigured("No scoping policy: lianfang.org must be in INSTALLED_APPS.")
    return _policy


class _SystemViewer:
    """The scheduled jobs' viewer: sees every unit (like a superuser), owns nothing, cannot log in."""

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False

    def get_username(self) -> str:
        return "system"


SYSTEM_VIEWER: Any = _SystemViewer()
