"""The cases app's API under /api/v1/: cases and close contacts, isolation orders and follow-ups,
one-on-one care, cluster alerts."""

from __future__ import annotations

from lianfang.cases.api import alerts, care, cases, isolation


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("cases", cases.CaseViewSet, basename="case")
    router.register("case-contacts", cases.ContactViewSet, basename="case-contact")
    router.register("isolations", isolation.IsolationViewSet, basename="isolation")
    router.register("followups", isolation.FollowUpViewSet, basename="followup")
    router.register("care-assignments", care.CareAssignmentViewSet, basename="care-assignment")
    router.register("care-contacts", care.CareContactViewSet, basename="care-contact")
    router.register("cluster-alerts", alerts.ClusterAlertViewSet, basename="cluster-alert")
