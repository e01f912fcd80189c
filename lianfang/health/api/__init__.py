"""The health app's API under /api/v1/: check-ins and their questions, completion and non-reporters,
risk areas, trips and exposures."""

from __future__ import annotations

from lianfang.health.api import checkins, risk_areas, trips


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("checkins", checkins.CheckInViewSet, basename="checkin")
    router.register("checkin-questions", checkins.QuestionViewSet, basename="checkin-question")
    router.register("checkin-completion", checkins.CompletionViewSet, basename="checkin-completion")
    router.register("checkin-non-reporters", checkins.NonReporterViewSet, basename="checkin-non-reporter")
    router.register("risk-areas", risk_areas.RiskAreaViewSet, basename="risk-area")
    router.register("trips", trips.TripViewSet, basename="trip")
