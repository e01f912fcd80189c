"""REST API of the reporting app, registered on the /api/v1/ router by lianfang/api_urls.py."""


def register(router) -> None:
    """Add this app's viewsets to the API router."""
