"""The materials to-dos on the home page (``core.extensions.todo_providers``): transfers waiting for
the user's step (approve, ship, receive), stock below its reorder threshold, and for the office the
requests still to cover. Each is a count with one tap to the list filtered to exactly those rows.

A handful of counting queries on balances and open transfers, never a read of the movements: the
home page opens many times a day."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import ngettext

from lianfang.core.extensions import Todo
from lianfang.core.scoping import Action
from lianfang.materials.choices import RequestStatus, Urgency
from lianfang.materials.models import MaterialRequest
from lianfang.materials.selectors.stock import STOCK, below_threshold_count
from lianfang.materials.selectors.transfers import REQUEST_WAITING, TRANSFER, waiting_counts
from lianfang.org.scoping import allowed_paths, has_any


def _requests_to_cover(user) -> tuple[int, bool]:
    """Open or partly covered requests of units the user approves transfers for (the office); and
    whether one of them is critical."""
    if getattr(user, "is_superuser", False):
        where = Q()
    else:
        paths = allowed_paths(user, TRANSFER, Action.APPROVE)
        if not paths:
            return 0, False
        where = Q(pk__in=[])
        for path in paths:
            where |= Q(unit__path__startswith=path)
    qs = (
        MaterialRequest.objects.restrict(user, Action.VIEW)
        .filter(where)
        .filter(status__in=[RequestStatus.OPEN, RequestStatus.PARTLY])
    )
    rows = list(qs.order_by().values_list("urgency", flat=True))
    return len(rows), Urgency.CRITICAL in rows


def materials_todos(user, day: datetime.date) -> list[Todo]:
    todos: list[Todo] = []
    if not getattr(user, "is_authenticated", False):
        return todos
    transfers_url = reverse("materials:transfer-list")
    if has_any(user, TRANSFER, Action.CHANGE) or has_any(user, TRANSFER, Action.APPROVE):
        counts = waiting_counts(viewer=user)
        if counts["approve"]:
            n = counts["approve"]
            todos.append(
                Todo(
                    key="materials.transfers_to_approve",
                    title=ngettext(
                        "%(count)d transfer waiting for your approval",
                        "%(count)d transfers waiting for your approval",
                        n,
                    )
                    % {"count": n},
                    url=f"{transfers_url}?waiting=approve",
                    count=n,
                )
            )
        if counts["ship"]:
            n = counts["ship"]
            todos.append(
                Todo(
                    key="materials.transfers_to_ship",
                    title=ngettext("%(count)d transfer to ship", "%(count)d transfers to ship", n) % {"count": n},
                    url=f"{transfers_url}?waiting=ship",
                    count=n,
                )
            )
        if counts["receive"]:
            n = counts["receive"]
            todos.append(
                Todo(
                    key="materials.transfers_to_receive",
                    title=ngettext("%(count)d transfer to receive", "%(count)d transfers to receive", n) % {"count": n},
                    url=f"{transfers_url}?waiting=receive",
                    count=n,
                )
            )
    if has_any(user, STOCK, Action.CHANGE):
        n = below_threshold_count(viewer=user)
        if n:
            todos.append(
                Todo(
                    key="materials.low_stock",
                    title=ngettext(
                        "%(count)d stock below its reorder threshold",
                        "%(count)d stocks below their reorder threshold",
                        n,
                    )
                    % {"count": n},
                    url=reverse("materials:stock") + "?below_threshold=on",
                    count=n,
                    urgent=True,
                )
            )
    n, critical = _requests_to_cover(user)
    if n:
        todos.append(
            Todo(
                key="materials.requests_to_cover",
                title=ngettext(
                    "%(count)d material request waiting for the office",
                    "%(count)d material requests waiting for the office",
                    n,
                )
                % {"count": n},
                url=reverse("materials:request-list") + f"?status={REQUEST_WAITING}",
                count=n,
                urgent=critical,
            )
        )
    return todos
