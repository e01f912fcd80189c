"""The materials app's API endpoints under /api/v1/."""

from __future__ import annotations


def register(router) -> None:
    """Add this app's viewsets to the API router."""
