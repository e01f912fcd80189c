def register(router) -> None:
    """Add viewsets to the API router."""
