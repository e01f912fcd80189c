"""``dashboard/``: the dashboard's figures for the viewer's scope and a day."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from lianfang.reporting.selectors import dashboard


class DashboardViewSet(viewsets.ViewSet):
    """Today's figures for the caller's scope: the same as the dashboard page."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Dashboard figures for my units",
        description="The dashboard page's figures: check-ins, reports (late and missing units), the breakdown by "
        "unit, the 14- and 30-day trends, and under `control` the prevention panel.",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, required=False)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def list(self, request):
        if not dashboard.can_see_dashboard(request.user):
            raise PermissionDenied
        day = dashboard.parse_day(request.query_params.get("date"))
        figures = dashboard.dashboard_figures(viewer=request.user, day=day)
        # The page's prevention panel: cases, colours, alerts, low stock, open requests (each key only
        # where the caller may see that kind of record).
        roots = dashboard.scope_roots(request.user, "health.unitdaystat")
        figures["control"] = dashboard.control_figures(viewer=request.user, roots=roots, day=day)
        return Response(figures)
