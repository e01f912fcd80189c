"""The reporting app's API under /api/v1/: unit daily reports, the report template, raised items, the
group bulletin and the dashboard."""

from __future__ import annotations

from lianfang.reporting.api import bulletins, dashboard, reports


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("reports", reports.UnitReportViewSet, basename="unitreport")
    router.register("report-fields", reports.ReportFieldViewSet, basename="reportfield")
    router.register("raised-items", reports.RaisedItemViewSet, basename="raiseditem")
    router.register("bulletins", bulletins.BulletinViewSet, basename="bulletin")
    router.register("dashboard", dashboard.DashboardViewSet, basename="dashboard")
