"""The donations app's API endpoints under /api/v1/: donations, money collections, emergency funds and
their spending."""

from __future__ import annotations

from lianfang.donations.api import collections, donations, funds


def register(router) -> None:
    """Add this app's viewsets to the API router."""
    router.register("donations", donations.DonationViewSet, basename="donation")
    router.register("collections", collections.CollectionViewSet, basename="collection")
    router.register("funds", funds.FundViewSet, basename="fund")
    router.register("spending", funds.SpendingViewSet, basename="spending")
