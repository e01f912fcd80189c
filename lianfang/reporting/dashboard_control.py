"""The dashboard's "prevention and control" panel: cases, isolation, statuses, alerts and stock today.

Counts only, each within what the viewer may see: case and isolation counts over the units at the top
of the viewer's dashboard scope (the same counts the unit reports are prefilled with, never a name);
status colours, cluster alerts, stock below threshold and open material requests only for viewers
who may see those records. Every figure is one aggregate query or a few, whatever the group's size.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

from lianfang.org.choices import Action
from lianfang.org.models import Unit
from lianfang.org.scoping import has_any
from lianfang.reporting import prefill

CASE_SOURCES = (
    "cases.new_suspected",
    "cases.new_confirmed",
    "cases.new_asymptomatic",
    "cases.active",
    "cases.close_contacts",
    "isolation.home",
    "isolation.central",
    "isolation.hospital",
)


def _case_counts(roots: list[Unit], day: datetime.date) -> dict[str, int]:
    totals = dict.fromkeys(CASE_SOURCES, 0)
    for root in roots:
        for key, value in prefill.prefill(root, day, CASE_SOURCES).items():
            totals[key] += value or 0
    return {
        # Apart, not added up: a case suspected and confirmed the same day is in both.
        "new_suspected": totals["cases.new_suspected"],
        "new_confirmed": totals["cases.new_confirmed"],
        "new_asymptomatic": totals["cases.new_asymptomatic"],
        "active": totals["cases.active"],
        "contacts": totals["cases.close_contacts"],
        "isolated": totals["isolation.home"] + totals["isolation.central"] + totals["isolation.hospital"],
    }


def control_figures(*, viewer, roots: list[Unit], day: datetime.date) -> dict[str, Any]:
    """The panel's figures; a key is missing where the viewer may not see that kind of record."""
    from lianfang.cases.choices import AlertStatus
    from lianfang.cases.models import ClusterAlert
    from lianfang.materials.choices import RequestStatus
    from lianfang.materials.models import MaterialRequest, Stock
    from lianfang.status.choices import Colour
    from lianfang.status.models import PersonStatus

    figures: dict[str, Any] = {"cases": _case_counts(roots, day)}
    if has_any(viewer, "status.personstatus", Action.VIEW):
        colours = dict(
            PersonStatus.objects.restrict(viewer, Action.VIEW)
            .order_by()
            .values_list("colour")
            .annotate(n=Count("pk"))
            .values_list("colour", "n")
        )
        figures["status"] = {c: colours.get(c, 0) for c in (Colour.GREEN, Colour.YELLOW, Colour.RED)}
    if has_any(viewer, "cases.clusteralert", Action.VIEW):
        figures["alerts"] = (
            ClusterAlert.objects.restrict(viewer, Action.VIEW).exclude(status=AlertStatus.CLOSED).count()
        )
    if has_any(viewer, "materials.stock", Action.VIEW):
        threshold = Coalesce(F("reorder_threshold"), F("item__reorder_threshold"))
        figures["stock_low"] = (
            Stock.objects.restrict(viewer, Action.VIEW)
            .filter(item__is_active=True)
            .filter(Q(on_hand__lt=threshold))
            .count()
        )
    if has_any(viewer, "materials.materialrequest", Action.VIEW):
        figures["requests_open"] = (
            MaterialRequest.objects.restrict(viewer, Action.VIEW)
            .filter(status__in=[RequestStatus.OPEN, RequestStatus.PARTLY])
            .count()
        )
    return figures
